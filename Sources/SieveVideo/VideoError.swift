/// Why a video was not hashed, or stopped early: each with a message a person can act on.
public enum VideoError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Not a container Sieve reads as video, or one with no video stream.
  case notVideo(String)
  /// FFmpeg has no decoder for the stream's codec.
  case noDecoder(codec: String)
  /// The header's duration is past ``VideoLimits/maxDurationSeconds``.
  case tooLong(seconds: Double, limit: Double)
  /// A frame is larger than ``VideoLimits/maxFramePixels``.
  case frameTooLarge(width: Int, height: Int, limit: Int)
  /// The stream gives no frame rate, so frames cannot be sampled by time.
  case noFrameRate
  /// ``VideoLimits/maxSeconds`` passed.
  case timedOut(seconds: Double)
  /// FFmpeg failed (the message is FFmpeg's).
  case decoding(String)
  /// Reading the file failed.
  case unreadable(String)
  /// Memory ran out.
  case outOfMemory

  public var description: String {
    switch self {
    case .notVideo(let why): return "not a video Sieve reads (\(why))"
    case .noDecoder(let codec): return "no decoder for the video codec \(codec.isEmpty ? "of the stream" : codec) in this FFmpeg"
    case .tooLong(let seconds, let limit):
      return "the video lasts \(Int(seconds)) s, over the limit of \(Int(limit)) s (--max-video-seconds)"
    case .frameTooLarge(let width, let height, let limit):
      return "frames of \(width)x\(height) pixels, over the limit of \(limit) pixels a frame (--max-frame-pixels)"
    case .noFrameRate: return "the video stream has no frame rate, so frames cannot be sampled by time"
    case .timedOut(let seconds): return "decoding took longer than the limit of \(seconds) s (--max-video-time)"
    case .decoding(let message): return "the video cannot be decoded: \(message)"
    case .unreadable(let message): return "the video cannot be read: \(message)"
    case .outOfMemory: return "out of memory while decoding the video"
    }
  }
}
