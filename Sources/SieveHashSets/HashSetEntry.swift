import SieveCore

/// One known item: its perceptual hashes and/or exact digests, an id, and a label.
public struct HashSetEntry: Sendable, Hashable {
  /// The entry's id in its source (a file name, an external id, or the line number).
  public var id: String
  /// Label or category (`""` when the source gives none).
  public var label: String
  /// PDQ hash, when known.
  public var pdq: PDQHash?
  /// PDQ quality (0…100), when the source gives it.
  public var pdqQuality: Int?
  /// pHash, when known.
  public var phash: PHash?
  /// MD5 digest, when known.
  public var md5: ExactDigest?
  /// SHA-1 digest, when known.
  public var sha1: ExactDigest?
  /// SHA-256 digest, when known.
  public var sha256: ExactDigest?
  /// Augmented sets: PDQ hashes of variants of the image (crops, the picture inside its
  /// borders), matched as this entry and reported with the variant's name.
  public var pdqVariants: [Variant] = []
  /// A video: its vPDQ features (one a sampled frame), matched by vPDQ's rule.
  public var vpdq: [VPDQFeature] = []
  /// An augmented set's video: the PDQ hashes of its hashed frames' variants (crops), each
  /// tied to a frame of ``vpdq`` by its number.
  public var vpdqVariants: [VPDQVariant] = []

  /// One variant's PDQ hash.
  public struct Variant: Sendable, Hashable {
    public var variant: PDQVariant
    public var hash: PDQHash
    public var quality: Int?
    public init(variant: PDQVariant, hash: PDQHash, quality: Int? = nil) {
      self.variant = variant
      self.hash = hash
      self.quality = quality
    }
  }

  public init(
    id: String, label: String = "", pdq: PDQHash? = nil, pdqQuality: Int? = nil, phash: PHash? = nil,
    md5: ExactDigest? = nil, sha1: ExactDigest? = nil, sha256: ExactDigest? = nil
  ) {
    self.id = id
    self.label = label
    self.pdq = pdq
    self.pdqQuality = pdqQuality
    self.phash = phash
    self.md5 = md5
    self.sha1 = sha1
    self.sha256 = sha256
  }

  /// The exact digest of `kind` (`nil` for perceptual kinds).
  public func digest(_ kind: HashKind) -> ExactDigest? {
    switch kind {
    case .md5: return md5
    case .sha1: return sha1
    case .sha256: return sha256
    default: return nil
    }
  }

  /// Whether the entry holds any hash at all.
  public var isEmpty: Bool { pdq == nil && phash == nil && md5 == nil && sha1 == nil && sha256 == nil && vpdq.isEmpty }
}
