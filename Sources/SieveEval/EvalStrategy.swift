import SieveCore
import SieveHashing

/// One column of `sieve eval`: how the attacked copy is hashed (a ``MatchStrategy``) and
/// what the set stores for each original (its own hash, or augmented variants too).
public struct EvalStrategy: Sendable, Hashable {
  /// Short name in tables and JSON.
  public var name: String
  /// The query side.
  public var query: MatchStrategy
  /// Whether the set side holds the augmented variants.
  public var augmented: Bool

  public init(name: String, query: MatchStrategy, augmented: Bool) {
    self.name = name
    self.query = query
    self.augmented = augmented
  }

  /// What is hashed on each side, for the report.
  public var description: String {
    "query: \(query.summary); set: " + (augmented ? "each original and its augmented variants" : "each original's own PDQ hash")
  }

  /// The strategies compared by default: each query strategy against plain hashes, then the
  /// plain and the full query against an augmented set.
  public static let standard: [EvalStrategy] =
    MatchStrategy.allCases.map { EvalStrategy(name: $0.rawValue, query: $0, augmented: false) } + [
      EvalStrategy(name: "augmented", query: .plain, augmented: true),
      EvalStrategy(name: "combined", query: .full, augmented: true),
    ]

  /// Looks a standard strategy up by name.
  public init?(name: String) {
    guard let found = Self.standard.first(where: { $0.name == name }) else { return nil }
    self = found
  }
}
