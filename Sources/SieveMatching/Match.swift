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
  /// For PDQ: which picture made from the query matched (``PDQVariant/trimmed``: inside
  /// its borders; ``PDQVariant/extended90``…: extended as if cropped); nil: the image itself.
  public var queryPicture: PDQVariant?
  /// Whether the query's picture inside its borders matched.
  public var trimmed: Bool { queryPicture == .trimmed }
  /// For PDQ in an augmented set: the entry's variant that matched (nil: the image itself).
  public var variant: PDQVariant?
  /// For PDQ: the query's hash that matched (the image's own, turned, or trimmed), so
  /// that the distance can be checked again from the record alone.
  public var queryPDQ: PDQHash?
  /// How many unrelated images would be expected to match the sets this closely, by
  /// chance, for this query (``FalseMatchEstimate``); nil when not estimated.
  public var expectedFalseMatches: Double?

  /// Which pictures matched, when not both whole images: `query-trimmed` (the query
  /// inside its borders) or `query-extended90`/`query-extended80` (the query extended as
  /// if cropped), and `entry-<variant>` (an augmented set's variant), joined by a comma;
  /// nil when the query's whole image matched the entry's own hash.
  public var picture: String? {
    let parts = (queryPicture.map { ["query-" + $0.name] } ?? []) + (variant.map { ["entry-" + $0.name] } ?? [])
    return parts.isEmpty ? nil : parts.joined(separator: ",")
  }

  public init(
    set: String, entry: Int, id: String, label: String, kind: HashKind, distance: Int, orientation: PDQOrientation? = nil,
    queryPicture: PDQVariant? = nil, variant: PDQVariant? = nil
  ) {
    self.queryPicture = queryPicture
    self.variant = variant
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
  /// Pictures made from the query (inside its borders, extended as if cropped); they are
  /// matched beside the image's own.
  public var pdqPictures: [Picture] = []

  /// One picture made from the query.
  public struct Picture: Sendable, Hashable {
    /// Which picture.
    public var variant: PDQVariant
    /// Its PDQ hash.
    public var hash: PDQHash
    /// Its PDQ quality: under the matcher's minimum, it is not matched.
    public var quality: Int
    /// It turned and flipped: when present, every orientation is tried.
    public var orientations: PDQDihedralHashes?

    public init(variant: PDQVariant = .trimmed, hash: PDQHash, quality: Int, orientations: PDQDihedralHashes? = nil) {
      self.variant = variant
      self.hash = hash
      self.quality = quality
      self.orientations = orientations
    }
  }
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

extension MatchQuery {
  /// One PDQ hash the query is matched with.
  public struct PDQProbe: Sendable, Hashable {
    public var hash: PDQHash
    /// The orientation it is of, when the query carries orientations.
    public var orientation: PDQOrientation?
    /// The picture made from the query it is of; nil: the image itself.
    public var picture: PDQVariant?
  }

  /// Whether the query has a PDQ picture good enough to match: the image or a picture
  /// made from it of at least `minimumQuality`.
  public func hasMatchablePDQ(minimumQuality: Int) -> Bool {
    pdq != nil && ((pdqQuality ?? 100) >= minimumQuality || pdqPictures.contains { $0.quality >= minimumQuality })
  }

  /// Every PDQ hash the query is matched with, the image's own first: its orientations
  /// (or the one hash), then the pictures made from it (inside its borders, extended).
  ///
  /// - Parameter minimumQuality: each picture (the image, each picture made from it) is left out
  ///   when its own PDQ quality is lower: a pad lowers the whole image's quality, never the
  ///   picture inside it.
  public func pdqProbes(minimumQuality: Int = 0) -> [PDQProbe] {
    var out: [PDQProbe] = []
    if (pdqQuality ?? 100) < minimumQuality {
      // The image itself is not matched; the pictures made from it may be.
    } else if let d = pdqDihedral {
      out += PDQOrientation.allCases.map { PDQProbe(hash: d[$0], orientation: $0, picture: nil) }
    } else if let pdq {
      out.append(PDQProbe(hash: pdq, orientation: nil, picture: nil))
    }
    for picture in pdqPictures where picture.quality >= minimumQuality {
      if let d = picture.orientations {
        out += PDQOrientation.allCases.map { PDQProbe(hash: d[$0], orientation: $0, picture: picture.variant) }
      } else {
        out.append(PDQProbe(hash: picture.hash, orientation: pdqDihedral == nil ? nil : .original, picture: picture.variant))
      }
    }
    return out
  }
}
