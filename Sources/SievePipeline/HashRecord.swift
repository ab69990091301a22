import SieveCore
import SieveHashing
import SieveImaging
import SieveMatching
import SieveVideo

/// What happened to one file of a batch.
public struct HashRecord: Sendable {
  /// The file's path, as walked (raw bytes; ``RawPath/description`` for output).
  public var path: RawPath
  /// The outcome.
  public var outcome: Outcome
  /// The file's size in bytes, when it was read.
  public var size: Int?
  /// MD5, SHA-1 and SHA-256 of the file, when asked for and the file was read
  /// (images or not).
  public var digests: FileDigests?
  /// The file's times as they were before it was read.
  public var times = FileReader.FileTimes()
  /// The image format its first bytes show, when it was read (also for files that failed
  /// to decode), so that nobody has to open the file again to learn it.
  public var format: ImageFormat?
  /// The video container its first bytes show, when it was read and is not a picture.
  public var video: VideoContainer?
  /// Where the file lies inside a disk image; nil for a file of a mounted folder. For an
  /// archive member: where its outermost archive lies.
  public var location: EvidenceLocation?
  /// Where the file lies inside an archive.
  public var member: ArchiveMember?
  /// For an archive: the records of the files inside it (nested archives' included, each
  /// archive after its files), delivered before the archive's own.
  public var contained: [HashRecord] = []

  /// The outcome for one file.
  public enum Outcome: Sendable {
    /// Hashed: the hashes and the header as decoded.
    case hashed(ImageHashes, ImageHeader)
    /// A video, hashed as vPDQ does: its sampled frames' features (and, when it stopped
    /// before its end, why: ``SieveVideo/VideoHashes/stoppedEarly``).
    case video(VideoHashes)
    /// Could not be read or decoded; the reason is for a person.
    case failed(String)
    /// Not an image (found in a folder, so not an error).
    case skipped(String)
    /// In the known-good list: digests computed, no perceptual work done.
    case knownGood
    /// An archive, opened: its files are records of their own (``HashRecord/contained``).
    case container(ContainerOutcome)
    /// An encrypted archive member: recorded, not read.
    case encrypted
    /// An archive entry that is not a file (a link): what it is.
    case special(String)
  }

  public init(path: RawPath, outcome: Outcome, size: Int? = nil, digests: FileDigests? = nil) {
    self.path = path
    self.outcome = outcome
    self.size = size
    self.digests = digests
  }
}

extension HashRecord {
  /// Whether its digest is in the known-good list.
  public var isKnownGood: Bool {
    if case .knownGood = outcome { return true }
    return false
  }

  /// What this file is matched with: its perceptual hashes when it was hashed (PDQ in all
  /// the orientations computed, pHash), and its digests whenever they were computed, for
  /// every file read, image or not.
  public var query: MatchQuery {
    var query = MatchQuery(digests: digests?.all ?? [])
    if case .hashed(let hashes, _) = outcome { query.add(hashes) }
    return query
  }
}

extension MatchQuery {
  /// A query for an image's hashes and, when given, its file's digests.
  public init(_ hashes: ImageHashes, digests: FileDigests? = nil) {
    self.init(digests: digests?.all ?? [])
    add(hashes)
  }

  /// Adds an image's perceptual hashes to the query.
  public mutating func add(_ hashes: ImageHashes) {
    pdq = hashes.pdq?.hash
    pdqQuality = hashes.pdq?.quality
    // The picture really turned when those hashes were computed, else the DCT-domain variants.
    pdqDihedral = hashes.pdq?.orientations ?? hashes.pdq?.dihedral
    // The pictures made from the query; an augmented set's crops (computed only when a
    // set is built) are not query pictures.
    pdqPictures = (hashes.pdq?.variants ?? []).filter { $0.variant == .trimmed || $0.variant.isQueryOnly }.map {
      MatchQuery.Picture(variant: $0.variant, hash: $0.hash, quality: $0.quality, orientations: $0.orientations)
    }
    phash = hashes.phash
  }
}
