/// What one `sieve eval` run measured: for every strategy, per attack the share of
/// attacked copies found, the false matches over every (attacked copy, other original)
/// pair, the closest false pair, the cost, and the ROC curve. Encoded as the JSON output.
public struct EvalResult: Codable, Sendable, Equatable {
  /// The attack suite's seed: the same seed and images give the same attacked copies.
  public var seed: UInt64
  /// The originals used.
  public var images: Int
  /// How many of them are dark (mean luma under ``EvalResult/darkLuma``).
  public var darkImages: Int
  /// The PDQ distance at or under which a pair counts as a match.
  public var threshold: Int
  /// The PDQ quality under which a hash is not matched (as `sieve match` does).
  public var minimumQuality: Int
  /// The attacks, in the order applied.
  public var attacks: [AttackInfo]
  /// The strategies, side by side.
  public var strategies: [StrategyResult]
  /// The Sieve version that measured it.
  public var version: String

  /// Images whose mean luma is under this are counted as dark.
  public static let darkLuma = 60.0

  public init(
    seed: UInt64, images: Int, darkImages: Int, threshold: Int, minimumQuality: Int, attacks: [AttackInfo],
    strategies: [StrategyResult], version: String
  ) {
    self.seed = seed
    self.images = images
    self.darkImages = darkImages
    self.threshold = threshold
    self.minimumQuality = minimumQuality
    self.attacks = attacks
    self.strategies = strategies
    self.version = version
  }

  /// One attack of the suite.
  public struct AttackInfo: Codable, Sendable, Equatable {
    /// Short name (`jpeg70`, `rot90`, `pad10`…).
    public var name: String
    /// What it does, precisely enough to reproduce.
    public var description: String
    /// Its group (`encoding`, `scaling`, `cropping`, `borders`, `turning`, `colour`, `filtering`, `overlay`).
    public var group: String

    public init(name: String, description: String, group: String) {
      self.name = name
      self.description = description
      self.group = group
    }
  }

  /// One strategy's figures.
  public struct StrategyResult: Codable, Sendable, Equatable {
    /// Short name (`plain`, `dihedral`, `orientations`, `trim`, `full`, `augmented`, `combined`).
    public var name: String
    /// What is hashed on the query side and what is stored on the set side.
    public var description: String
    /// Mean PDQ hashes compared per query (orientations, trimmed picture).
    public var hashesPerQuery: Double
    /// Mean PDQ hashes stored per original (augmented variants).
    public var hashesPerEntry: Double
    /// Mean time to decode and hash one attacked copy with this strategy, milliseconds,
    /// on one thread.
    public var millisecondsPerQuery: Double
    /// That time over the plain strategy's.
    public var costRelativeToPlain: Double
    /// Per attack, in ``EvalResult/attacks`` order.
    public var perAttack: [AttackResult]
    /// The mean of the per-attack true-match rates.
    public var meanTrueMatchRate: Double
    /// False pairs at the threshold over all (attacked copy, other original) pairs.
    public var falsePairs: Int
    /// All (attacked copy, other original) pairs.
    public var pairs: Int
    /// ``falsePairs`` / ``pairs``.
    public var falseMatchRate: Double
    /// The closest pair of an attacked copy and an original it was not made from.
    public var closestFalsePair: FalsePair?
    /// True- and false-match rates at every threshold from 0 to 256 (PDQ distance).
    public var roc: [ROCPoint]

    public init(
      name: String, description: String, hashesPerQuery: Double, hashesPerEntry: Double, millisecondsPerQuery: Double,
      costRelativeToPlain: Double, perAttack: [AttackResult], meanTrueMatchRate: Double, falsePairs: Int, pairs: Int,
      falseMatchRate: Double, closestFalsePair: FalsePair?, roc: [ROCPoint]
    ) {
      self.name = name
      self.description = description
      self.hashesPerQuery = hashesPerQuery
      self.hashesPerEntry = hashesPerEntry
      self.millisecondsPerQuery = millisecondsPerQuery
      self.costRelativeToPlain = costRelativeToPlain
      self.perAttack = perAttack
      self.meanTrueMatchRate = meanTrueMatchRate
      self.falsePairs = falsePairs
      self.pairs = pairs
      self.falseMatchRate = falseMatchRate
      self.closestFalsePair = closestFalsePair
      self.roc = roc
    }
  }

  /// One attack under one strategy.
  public struct AttackResult: Codable, Sendable, Equatable {
    public var attack: String
    /// Attacked copies made (one per original that the attack applies to).
    public var queries: Int
    /// Copies found: their original within the threshold.
    public var trueMatches: Int
    /// ``trueMatches`` / ``queries``.
    public var trueMatchRate: Double
    /// The same for the dark originals only.
    public var darkQueries: Int
    public var darkTrueMatches: Int
    /// Mean distance from each copy to its original (every copy, found or not).
    public var meanDistance: Double
    /// Copies whose PDQ quality was under the minimum (never matched).
    public var lowQuality: Int

    public init(
      attack: String, queries: Int, trueMatches: Int, trueMatchRate: Double, darkQueries: Int, darkTrueMatches: Int,
      meanDistance: Double, lowQuality: Int
    ) {
      self.attack = attack
      self.queries = queries
      self.trueMatches = trueMatches
      self.trueMatchRate = trueMatchRate
      self.darkQueries = darkQueries
      self.darkTrueMatches = darkTrueMatches
      self.meanDistance = meanDistance
      self.lowQuality = lowQuality
    }
  }

  /// A copy and an original it was not made from.
  public struct FalsePair: Codable, Sendable, Equatable {
    /// The original the copy was made from (file name).
    public var query: String
    public var attack: String
    /// The other original (file name).
    public var other: String
    public var distance: Int

    public init(query: String, attack: String, other: String, distance: Int) {
      self.query = query
      self.attack = attack
      self.other = other
      self.distance = distance
    }
  }

  /// One point of the ROC curve.
  public struct ROCPoint: Codable, Sendable, Equatable {
    public var threshold: Int
    /// Share of attacked copies (over the whole suite) found at this threshold.
    public var trueMatchRate: Double
    /// Share of (copy, other original) pairs within this threshold.
    public var falseMatchRate: Double

    public init(threshold: Int, trueMatchRate: Double, falseMatchRate: Double) {
      self.threshold = threshold
      self.trueMatchRate = trueMatchRate
      self.falseMatchRate = falseMatchRate
    }
  }
}
