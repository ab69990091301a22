/// How much of a video Sieve will decode: each limit, when reached, stops the video with a
/// clear reason (``VideoError``) instead of letting one hostile file take the machine.
public struct VideoLimits: Sendable, Equatable {
  /// The longest video, by its header's duration (seconds); longer ones are refused
  /// before decoding.
  public var maxDurationSeconds: Double
  /// The largest frame (width × height); larger streams are refused, and the decoder
  /// refuses to allocate larger frames found mid-stream.
  public var maxFramePixels: Int
  /// The most frames hashed from one video; past it the video stops with what it has.
  public var maxHashedFrames: Int
  /// The most frames decoded from one video (hashed or not).
  public var maxDecodedFrames: Int
  /// The longest wall-clock time one video may take to decode and hash.
  public var maxSeconds: Double?

  public init(
    maxDurationSeconds: Double = 4 * 3600, maxFramePixels: Int = 4096 * 2304, maxHashedFrames: Int = 20_000,
    maxDecodedFrames: Int = 2_000_000, maxSeconds: Double? = 600
  ) {
    self.maxDurationSeconds = maxDurationSeconds
    self.maxFramePixels = maxFramePixels
    self.maxHashedFrames = maxHashedFrames
    self.maxDecodedFrames = maxDecodedFrames
    self.maxSeconds = maxSeconds
  }

  /// The defaults: 4 hours, 4K frames (4096 × 2304: UHD and DCI 4K), 20,000 hashed frames
  /// (5.5 hours at one a second), 2 million decoded frames, 10 minutes.
  public static let `default` = VideoLimits()
}
