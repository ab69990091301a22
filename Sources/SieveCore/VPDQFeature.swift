/// One hashed frame of a video, as vPDQ (Meta's video PDQ) records it: the frame's
/// number in decoding order, its PDQ hash and quality, and its time.
///
/// vPDQ hashes one frame every `seconds_per_hash` (1 s by default): frame *n* when
/// *n* is a multiple of ⌊seconds × frame rate⌋. Its time is *n* ÷ frame rate, computed
/// in 32-bit floats as vPDQ does, so the text vPDQ writes (3 decimals) comes out the same.
public struct VPDQFeature: Sendable, Hashable, Codable {
  /// The frame's number, from 0, in the order the decoder gives frames out.
  public var frameNumber: Int
  /// The frame's PDQ hash.
  public var hash: PDQHash
  /// The frame's PDQ quality, 0–100.
  public var quality: Int
  /// Seconds from the start (frame number ÷ frame rate).
  public var timestamp: Double

  public init(frameNumber: Int, hash: PDQHash, quality: Int, timestamp: Double) {
    self.frameNumber = frameNumber
    self.hash = hash
    self.quality = quality
    self.timestamp = timestamp
  }

  /// The time as vPDQ writes it: seconds with 3 decimals (`0.968`).
  public var timestampText: String { VPDQText.fixed3(timestamp) }

  /// The time as written, read back (`0.968` rather than 0.96763…): what reports give.
  public var writtenTimestamp: Double { Double(timestampText) ?? timestamp }

  /// vPDQ's time of frame `frameNumber` at `frameRate` frames a second: the division
  /// done in 32-bit floats, as vPDQ 0.2.2 and later do.
  public static func timestamp(frameNumber: Int, frameRate: Double) -> Double {
    Double(Float(frameNumber) / Float(frameRate))
  }
}
