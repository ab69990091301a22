import Dispatch
import SieveCore
import SieveHashing
import SieveImaging
import SieveMatching
import SievePipeline

/// `sieve eval` as a library workflow: makes the attack suite's copies of benign
/// pictures, hashes each copy with every strategy (timing it), and measures how often
/// each strategy finds the copy's original and how often it matches another original.
///
/// ```swift
/// let evaluation = Evaluation(configuration: .init(seed: 1))
/// let result = try evaluation.run(images: [("a.jpg", bytesA), ("b.png", bytesB)])
/// print(result.strategies.map { ($0.name, $0.meanTrueMatchRate) })
/// ```
public struct Evaluation: Sendable {
  /// What to run.
  public struct Configuration: Sendable, Equatable {
    /// The attack suite's seed.
    public var seed: UInt64
    /// PDQ distance at or under which a pair matches (31, as `sieve match`).
    public var threshold: Int = 31
    /// PDQ quality under which a copy is not matched (50, as `sieve match`).
    public var minimumQuality: Int = 50
    /// The strategies, side by side.
    public var strategies: [EvalStrategy] = EvalStrategy.standard
    /// The variants an augmented set stores for each original.
    public var augmentation: [PDQVariant] = Evaluation.defaultAugmentation
    /// A set to stand for the augmented set side: per original's file name (last path
    /// component), every PDQ hash of its entry (own and variants). Originals not in it are
    /// left out. Nil: eval hashes each original with ``augmentation`` itself.
    public var augmentedSet: [String: [PDQHash]]?
    /// Attack names to run (nil: the whole suite).
    public var attacks: [String]?
    /// Worker threads.
    public var jobs: Int = 1
    /// Originals with a longer side are first reduced to it (triangle filter), so that
    /// memory and time stay bounded on large photos.
    public var maxSide = 2048

    public init(seed: UInt64) {
      self.seed = seed
    }
  }

  /// The variants `hashset build --augment` stores by default, and eval's augmented sets.
  public static let defaultAugmentation: [PDQVariant] = [.trimmed] + PDQVariant.centreCrops + PDQVariant.sideCrops

  public var configuration: Configuration
  /// The Sieve version recorded in results.
  public var version: String

  public init(configuration: Configuration, version: String = "") {
    self.configuration = configuration
    self.version = version
  }

  /// An original that could not be used, and why.
  public struct Skipped: Sendable, Error {
    public var name: String
    public var reason: String
  }

  /// One original's set-side hashes.
  struct Original {
    var name: String
    var dark: Bool
    var plain: [PDQHash]
    var augmented: [PDQHash]
  }

  /// One attacked copy's probes under each query strategy, and their hashing times.
  struct Copy {
    var original: Int
    var attack: Int
    /// Per query strategy (``Evaluation/queryStrategies`` order): the probes matched, or nil
    /// when the copy's quality is under the minimum.
    var probes: [[PDQHash]?]
    var seconds: [Double]
  }

  /// The distinct query strategies, in first-use order.
  var queryStrategies: [MatchStrategy] {
    var seen: [MatchStrategy] = []
    for s in configuration.strategies where !seen.contains(s.query) { seen.append(s.query) }
    return seen
  }

  /// The attacks run.
  public var attacks: [Attack] {
    guard let names = configuration.attacks else { return Attack.suite }
    return Attack.suite.filter { names.contains($0.name) }
  }

  /// One image to evaluate on: its name, and how to read its bytes (read when a worker
  /// takes it, so that a large folder is never held in memory at once).
  public struct Image: Sendable {
    public var name: String
    public var load: @Sendable () throws -> [UInt8]

    public init(name: String, load: @escaping @Sendable () throws -> [UInt8]) {
      self.name = name
      self.load = load
    }
  }

  /// Runs the suite on `images` held in memory (file name, file bytes).
  public func run(
    images: [(name: String, bytes: [UInt8])], skipped: @Sendable (Skipped) -> Void = { _ in },
    progress: @Sendable (Int, Int) -> Void = { _, _ in },
    copyMade: (@Sendable (String, String, [UInt8]) -> Void)? = nil
  ) -> EvalResult {
    run(images: images.map { image in Image(name: image.name) { image.bytes } }, skipped: skipped, progress: progress, copyMade: copyMade)
  }

  /// Runs the suite on `images`.
  ///
  /// Each worker takes one original at a time: reads and decodes it, reduces it to
  /// ``Configuration/maxSide``, hashes its set side, makes and hashes its copies, and lets
  /// its pixels go; memory holds one original and its copy per worker.
  ///
  /// - Parameters:
  ///   - skipped: called for each image that cannot be read or decoded (it is left out),
  ///     from worker threads.
  ///   - progress: called with (copies done, copies in all), from worker threads.
  ///   - copyMade: called with (original's name, attack name, the copy's file bytes) for
  ///     every copy, from worker threads (to keep the copies for inspection).
  public func run(
    images: [Image], skipped: @Sendable (Skipped) -> Void = { _ in }, progress: @Sendable (Int, Int) -> Void = { _, _ in },
    copyMade: (@Sendable (String, String, [UInt8]) -> Void)? = nil
  ) -> EvalResult {
    let attacks = attacks
    let strategies = queryStrategies
    let results = Locked([(Original, [Copy])?](repeating: nil, count: images.count))
    let done = Locked(0)
    let total = images.count * attacks.count
    let next = Locked(0)
    let workers = max(1, min(configuration.jobs, images.count))
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      var setHasher = ImageHasher(options: setOptions)
      var hashers = strategies.map { ImageHasher(options: $0.applied(to: HashOptions(pdq: true, phash: false))) }
      while true {
        let i = next.withLock { n -> Int in defer { n += 1 }; return n }
        guard i < images.count else { break }
        let result = evaluate(
          images[i], attacks: attacks, setHasher: &setHasher, hashers: &hashers, skipped: skipped, copyMade: copyMade) {
            let finished = done.withLock { n -> Int in n += 1; return n }
            progress(finished, total)
          }
        results.withLock { $0[i] = result }
      }
    }
    // Number the originals that were used, in input order.
    var originals: [Original] = []
    var copies: [Copy] = []
    for case let (original, theirs)? in results.withLock({ $0 }) {
      copies += theirs.map { var copy = $0; copy.original = originals.count; return copy }
      originals.append(original)
    }
    return measure(originals: originals, attacks: attacks, copies: copies)
  }

  /// What the set side stores for each original: its own hash and the augmentation.
  var setOptions: HashOptions {
    var options = HashOptions(pdq: true, phash: false)
    MatchStrategy.plain.apply(to: &options)
    options.variants = configuration.augmentation
    return options
  }

  /// A stable number for an image's name (its last path component, FNV-1a), so that its
  /// copies are the same whatever else is evaluated with it and wherever it lies.
  static func key(of name: String) -> Int {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in (name.split(separator: "/").last.map(String.init) ?? name).utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return Int(truncatingIfNeeded: h & 0x7fff_ffff_ffff_ffff)
  }

  /// One original: decoded, its set side hashed, its copies made and hashed.
  func evaluate(
    _ input: Image, attacks: [Attack], setHasher: inout ImageHasher, hashers: inout [ImageHasher],
    skipped: @Sendable (Skipped) -> Void, copyMade: (@Sendable (String, String, [UInt8]) -> Void)?, copyDone: () -> Void
  ) -> (Original, [Copy])? {
    var image: PixelImage
    do {
      let bytes = try input.load()
      // A large JPEG is decoded at 1/2, 1/4 or 1/8 scale in the DCT domain, never below
      // maxSide, so that a huge original does not take its full size in memory.
      var denominator = 1
      if ImageFormat.detect(bytes) == .jpeg, let header = try? setHasher.decoder.header(of: bytes) {
        let long = max(header.width, header.height)
        for d in [8, 4, 2] where long / d >= configuration.maxSide {
          denominator = d
          break
        }
      }
      var collector = PixelImage.Collector()
      try bytes.withUnsafeBytes { _ = try setHasher.decoder.decode($0, jpegScaleDenominator: denominator, into: &collector) }
      image = collector.image.asRGB
    } catch {
      skipped(Skipped(name: input.name, reason: "\(error)"))
      return nil
    }
    guard image.width >= 16, image.height >= 16 else {
      skipped(Skipped(name: input.name, reason: "smaller than 16 × 16 pixels"))
      return nil
    }
    let longSide = max(image.width, image.height)
    if longSide > configuration.maxSide {
      let scale = Double(configuration.maxSide) / Double(longSide)
      image = image.resized(
        width: max(16, Int((Double(image.width) * scale).rounded())), height: max(16, Int((Double(image.height) * scale).rounded())))
    }
    guard let pdq = setHasher.hash(image).pdq else { return nil }
    // As `hashset build` stores them: variants under the minimum quality are left out.
    var augmented = [pdq.hash] + pdq.variants.filter { $0.quality >= configuration.minimumQuality }.map(\.hash)
    if let set = configuration.augmentedSet {
      guard let stored = set[String(input.name.split(separator: "/").last ?? "")], !stored.isEmpty else {
        skipped(Skipped(name: input.name, reason: "no entry of that file name in the set given"))
        return nil
      }
      augmented = stored
    }
    let original = Original(name: input.name, dark: image.meanLuma < EvalResult.darkLuma, plain: [pdq.hash], augmented: augmented)
    let key = Self.key(of: input.name)
    var copies: [Copy] = []
    for (a, attack) in attacks.enumerated() {
      // The stream is the image's name and the attack's place in the whole suite, so a copy
      // is the same whichever images and attacks are run with it.
      var generator = SeededGenerator(seed: configuration.seed, image: key, attack: Attack.suite.firstIndex { $0.name == attack.name } ?? a)
      defer { copyDone() }
      guard let bytes = try? attack.apply(image, &generator) else { continue }
      copyMade?(input.name, attack.name, bytes)
      var copy = Copy(original: 0, attack: a, probes: [], seconds: [])
      for s in hashers.indices {
        let start = DispatchTime.now().uptimeNanoseconds
        let hashes = try? hashers[s].hash(bytes)
        copy.seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        copy.probes.append(hashes.flatMap { Self.probes($0, minimumQuality: configuration.minimumQuality) })
      }
      copies.append(copy)
    }
    return (original, copies)
  }

  /// The PDQ hashes a copy is matched with: its match query's probes, as `sieve match`
  /// makes them; nil when its quality is under the minimum.
  static func probes(_ hashes: ImageHashes, minimumQuality: Int) -> [PDQHash]? {
    let query = MatchQuery(hashes)
    guard query.hasMatchablePDQ(minimumQuality: minimumQuality) else { return nil }
    return query.pdqProbes(minimumQuality: minimumQuality).map(\.hash)
  }

  /// The figures from the copies' probes.
  func measure(originals: [Original], attacks: [Attack], copies: [Copy]) -> EvalResult {
    let threshold = configuration.threshold
    let queryStrategies = queryStrategies
    let maxROC = 256
    var plainSeconds = 0.0
    if let p = queryStrategies.firstIndex(of: .plain) {
      plainSeconds = copies.map { $0.seconds[p] }.reduce(0, +)
    }
    var results: [EvalResult.StrategyResult] = []
    for strategy in configuration.strategies {
      let s = queryStrategies.firstIndex(of: strategy.query)!
      var trueHistogram = [Int](repeating: 0, count: maxROC + 2)
      var falseHistogram = [Int](repeating: 0, count: maxROC + 2)
      var perAttack = attacks.map {
        EvalResult.AttackResult(
          attack: $0.name, queries: 0, trueMatches: 0, trueMatchRate: 0, darkQueries: 0, darkTrueMatches: 0, meanDistance: 0,
          lowQuality: 0)
      }
      var distanceSums = [Double](repeating: 0, count: attacks.count)
      var closest: EvalResult.FalsePair?
      var probeCount = 0
      var pairs = 0
      for copy in copies {
        let own = originals[copy.original]
        perAttack[copy.attack].queries += 1
        if own.dark { perAttack[copy.attack].darkQueries += 1 }
        pairs += originals.count - 1
        guard let probes = copy.probes[s] else {
          perAttack[copy.attack].lowQuality += 1
          distanceSums[copy.attack] += 256
          trueHistogram[maxROC + 1] += 1
          falseHistogram[maxROC + 1] += originals.count - 1
          continue
        }
        probeCount += probes.count
        for (o, original) in originals.enumerated() {
          let stored = strategy.augmented ? original.augmented : original.plain
          var best = 256
          for p in probes { for h in stored { best = min(best, p.distance(to: h)) } }
          if o == copy.original {
            distanceSums[copy.attack] += Double(best)
            trueHistogram[min(best, maxROC + 1)] += 1
            if best <= threshold {
              perAttack[copy.attack].trueMatches += 1
              if own.dark { perAttack[copy.attack].darkTrueMatches += 1 }
            }
          } else {
            falseHistogram[min(best, maxROC + 1)] += 1
            if closest.map({ best < $0.distance }) ?? true {
              closest = EvalResult.FalsePair(query: own.name, attack: attacks[copy.attack].name, other: original.name, distance: best)
            }
          }
        }
      }
      for a in perAttack.indices where perAttack[a].queries > 0 {
        perAttack[a].trueMatchRate = Double(perAttack[a].trueMatches) / Double(perAttack[a].queries)
        perAttack[a].meanDistance = distanceSums[a] / Double(perAttack[a].queries)
      }
      var roc: [EvalResult.ROCPoint] = []
      var trueSoFar = 0, falseSoFar = 0
      for t in 0...maxROC {
        trueSoFar += trueHistogram[t]
        falseSoFar += falseHistogram[t]
        roc.append(EvalResult.ROCPoint(
          threshold: t, trueMatchRate: copies.isEmpty ? 0 : Double(trueSoFar) / Double(copies.count),
          falseMatchRate: pairs == 0 ? 0 : Double(falseSoFar) / Double(pairs)))
      }
      let falsePairs = falseHistogram[0...min(threshold, maxROC + 1)].reduce(0, +)
      let seconds = copies.map { $0.seconds[s] }.reduce(0, +)
      let rated = perAttack.filter { $0.queries > 0 }
      results.append(EvalResult.StrategyResult(
        name: strategy.name, description: strategy.description,
        hashesPerQuery: copies.isEmpty ? 0 : Double(probeCount) / Double(copies.count),
        hashesPerEntry: originals.isEmpty
          ? 0 : Double(originals.map { strategy.augmented ? $0.augmented.count : $0.plain.count }.reduce(0, +)) / Double(originals.count),
        millisecondsPerQuery: copies.isEmpty ? 0 : 1000 * seconds / Double(copies.count),
        costRelativeToPlain: plainSeconds > 0 ? seconds / plainSeconds : 0,
        perAttack: perAttack,
        meanTrueMatchRate: rated.isEmpty ? 0 : rated.map(\.trueMatchRate).reduce(0, +) / Double(rated.count),
        falsePairs: falsePairs, pairs: pairs, falseMatchRate: pairs == 0 ? 0 : Double(falsePairs) / Double(pairs),
        closestFalsePair: closest, roc: roc))
    }
    return EvalResult(
      seed: configuration.seed, images: originals.count, darkImages: originals.filter(\.dark).count, threshold: threshold,
      minimumQuality: configuration.minimumQuality, attacks: attacks.map(\.info), strategies: results, version: version)
  }
}
