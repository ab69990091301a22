/// What a video's container and stream header say.
public struct VideoInfo: Sendable, Equatable, Codable {
  /// Frame width and height in pixels.
  public var width: Int
  public var height: Int
  /// The frame rate vPDQ samples by: the stream's average frame rate, or its base rate
  /// when the average is unknown.
  public var frameRate: Double
  /// Seconds, from the stream or else the container; nil when neither says.
  public var duration: Double?
  /// Frames by the stream's header; nil when it does not say.
  public var frameCount: Int?
  /// FFmpeg's demuxer and decoder names (`mov,mp4,m4a,3gp,3g2,mj2`, `h264`).
  public var container: String
  public var codec: String

  public init(
    width: Int, height: Int, frameRate: Double, duration: Double?, frameCount: Int?, container: String, codec: String
  ) {
    self.width = width
    self.height = height
    self.frameRate = frameRate
    self.duration = duration
    self.frameCount = frameCount
    self.container = container
    self.codec = codec
  }
}
