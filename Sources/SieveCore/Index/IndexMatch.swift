/// One entry an index query found: the entry's id (its position in the array the
/// index was built from) and its distance to the query.
///
/// Results are ordered by distance, then by id, so every index returns the same
/// array for the same query, exactly what a brute-force scan returns.
public struct IndexMatch: Hashable, Sendable, Comparable, CustomStringConvertible {
  /// The entry's position in the hashes the index was built from.
  public var id: Int
  /// Hamming distance from the query.
  public var distance: Int

  @inlinable
  public init(id: Int, distance: Int) {
    self.id = id
    self.distance = distance
  }

  @inlinable
  public static func < (lhs: IndexMatch, rhs: IndexMatch) -> Bool {
    lhs.distance != rhs.distance ? lhs.distance < rhs.distance : lhs.id < rhs.id
  }

  public var description: String { "#\(id)@\(distance)" }
}
