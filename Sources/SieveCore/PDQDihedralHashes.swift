/// The eight dihedral PDQ hashes of one image, indexed by ``PDQOrientation``.
///
/// To match an image that may have been rotated or flipped, compare all eight
/// against stored original hashes and keep the smallest distance (spec §8; do not
/// canonicalise by picking one of the eight).
public struct PDQDihedralHashes: Hashable, Sendable {
  /// The hashes in ``PDQOrientation`` order.
  public private(set) var hashes: [PDQHash]

  /// Creates the set from eight hashes in ``PDQOrientation`` order.
  public init(_ hashes: [PDQHash]) {
    precondition(hashes.count == 8, "a dihedral set has 8 hashes, got \(hashes.count)")
    self.hashes = hashes
  }

  /// The hash for one orientation.
  public subscript(orientation: PDQOrientation) -> PDQHash {
    hashes[orientation.rawValue]
  }

  /// The smallest distance from any of the eight to `other`, and which orientation gave it
  /// (the first in ``PDQOrientation`` order on a tie).
  public func bestMatch(to other: PDQHash) -> (distance: Int, orientation: PDQOrientation) {
    var best = (distance: Int.max, orientation: PDQOrientation.original)
    for orientation in PDQOrientation.allCases {
      let d = hashes[orientation.rawValue].distance(to: other)
      if d < best.distance { best = (d, orientation) }
    }
    return best
  }
}

extension PDQDihedralHashes: Codable {
  /// Decodes an array of exactly eight hashes.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let hashes = try container.decode([PDQHash].self)
    guard hashes.count == 8 else {
      throw DecodingError.dataCorruptedError(
        in: container, debugDescription: "a dihedral set has 8 hashes, found \(hashes.count)")
    }
    self.init(hashes)
  }

  /// Encodes the eight hashes as an array.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(hashes)
  }
}
