/// A searchable set of hashes: every entry within a Hamming radius of a query, or the
/// k nearest. Every implementation returns exactly what a brute-force scan returns,
/// sorted by distance then id.
public protocol HashIndex<Hash>: Sendable {
  /// The hash type stored.
  associatedtype Hash: HammingHash

  /// The number of entries.
  var count: Int { get }

  /// All entries within `radius` of `query`.
  ///
  /// - Parameters:
  ///   - query: the hash to look for.
  ///   - radius: the largest distance to report (0…bitCount).
  /// - Returns: the matches, sorted by distance, then id.
  func matches(for query: Hash, within radius: Int) -> [IndexMatch]

  /// The `k` entries nearest to `query` (fewer when the index is smaller); ties at
  /// the k-th distance are broken by id.
  func nearest(to query: Hash, count k: Int) -> [IndexMatch]
}

extension HashIndex {
  /// Answers many queries; element `i` holds the matches for `queries[i]`.
  public func matches(for queries: [Hash], within radius: Int) -> [[IndexMatch]] {
    queries.map { matches(for: $0, within: radius) }
  }

  /// k-nearest by growing radius queries: exact, and fast when near entries exist.
  public func nearestByRadius(to query: Hash, count k: Int) -> [IndexMatch] {
    guard k > 0, count > 0 else { return [] }
    var radius = 0
    while true {
      let found = matches(for: query, within: radius)
      if found.count >= k || radius >= Hash.bitCount { return Array(found.prefix(k)) }
      radius = min(Hash.bitCount, radius == 0 ? 8 : radius * 2)
    }
  }
}
