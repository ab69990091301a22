import SieveCore

/// A video's vPDQ features and what decoding it found.
public struct VideoHashes: Sendable, Equatable, Codable {
  /// The container's and stream's header.
  public var info: VideoInfo
  /// One feature a sampled frame, in frame order.
  public var features: [VPDQFeature]
  /// Frames in the stream up to where hashing ended, hashed or not: each decoded, or, in
  /// a stretch holding no frame to hash (``decodedInStretches``), counted undecoded.
  public var framesDecoded: Int
  /// Corrupt packets or frames the decoder skipped.
  public var badPackets: Int
  /// Why hashing stopped before the end of the stream (a limit, or data past repair);
  /// nil when every frame was decoded. The features hashed until then are kept.
  public var stoppedEarly: String?
  /// Whether the video was decoded stretch by stretch (``VideoHasher/inStretches``) rather
  /// than in one pass. Damage inside a stretch that was not decoded goes unnoticed.
  public var decodedInStretches: Bool
  /// The PDQ hashes of the hashed frames' variants (``VideoHasher/variants``: an augmented
  /// set's crops), whatever their quality; empty unless asked for.
  public var variants: [VPDQVariant] = []

  public init(
    info: VideoInfo, features: [VPDQFeature], framesDecoded: Int, badPackets: Int, stoppedEarly: String?,
    decodedInStretches: Bool = false
  ) {
    self.decodedInStretches = decodedInStretches
    self.info = info
    self.features = features
    self.framesDecoded = framesDecoded
    self.badPackets = badPackets
    self.stoppedEarly = stoppedEarly
  }
}
