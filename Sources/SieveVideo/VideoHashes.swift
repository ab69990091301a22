import SieveCore

/// A video's vPDQ features and what decoding it found.
public struct VideoHashes: Sendable, Equatable, Codable {
  /// The container's and stream's header.
  public var info: VideoInfo
  /// One feature a sampled frame, in frame order.
  public var features: [VPDQFeature]
  /// Frames decoded, hashed or not.
  public var framesDecoded: Int
  /// Corrupt packets or frames the decoder skipped.
  public var badPackets: Int
  /// Why hashing stopped before the end of the stream (a limit, or data past repair);
  /// nil when every frame was decoded. The features hashed until then are kept.
  public var stoppedEarly: String?

  public init(info: VideoInfo, features: [VPDQFeature], framesDecoded: Int, badPackets: Int, stoppedEarly: String?) {
    self.info = info
    self.features = features
    self.framesDecoded = framesDecoded
    self.badPackets = badPackets
    self.stoppedEarly = stoppedEarly
  }
}
