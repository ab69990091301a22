import SieveCore

/// One hit: a query matched an entry of a hash set.
public struct Match: Sendable, Hashable {
  /// The set's name.
  public var set: String
  /// The entry's position in its set.
  public var entry: Int
  /// The entry's id.
  public var id: String
  /// The entry's label.
  public var label: String
  /// What matched: `pdq`, `phash`, or an exact digest kind.
  public var kind: HashKind
  /// Hamming distance (0 for exact digests).
  public var distance: Int
  /// For PDQ with dihedral queries: the orientation of the query that matched.
  public var orientation: PDQOrientation?

  public init(set: String, entry: Int, id: String, label: String, kind: HashKind, distance: Int, orientation: PDQOrientation? = nil) {
    self.set = set
    self.entry = entry
    self.id = id
    self.label = label
    self.kind = kind
    self.distance = distance
    self.orientation = orientation
  }
}

/// What is known of one image (or file) to match.
public struct MatchQuery: Sendable {
  /// PDQ hash and its quality.
  public var pdq: PDQHash?
  public var pdqQuality: Int?
  /// The 8 dihedral PDQ hashes: when present, every orientation is tried.
  public var pdqDihedral: PDQDihedralHashes?
  /// pHash.
  public var phash: PHash?
  /// Exact digests.
  public var digests: [ExactDigest]

  public init(
    pdq: PDQHash? = nil, pdqQuality: Int? = nil, pdqDihedral: PDQDihedralHashes? = nil, phash: PHash? = nil,
    digests: [ExactDigest] = []
  ) {
    self.pdq = pdq
    self.pdqQuality = pdqQuality
    self.pdqDihedral = pdqDihedral
    self.phash = phash
    self.digests = digests
  }
}
