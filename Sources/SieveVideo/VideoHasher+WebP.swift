import SieveCore
import SieveHashing
import SieveImaging

extension VideoHasher {
  /// Frames of an animation whose durations are all 0 are taken as 100 ms each, as
  /// browsers show them.
  static let webpDefaultFrameMilliseconds = 100

  /// Hashes an animated WebP as vPDQ hashes a video: its frames composed onto the canvas by
  /// libwebp's animation decoder, frame *n* hashed when *n* is a multiple of
  /// ⌊``secondsPerHash`` × frame rate⌋, the rate being its frames over its total duration
  /// (as FFmpeg's average frame rate is); RGB as decoded, alpha dropped (as FFmpeg's
  /// conversion of an animated GIF drops it).
  func hashAnimatedWebP(_ data: UnsafeRawBufferPointer, beforeDecoding: ((VideoInfo) -> Void)?) throws(VideoError) -> VideoHashes {
    let webp = try WebPAnimation.header(of: data, limits: limits)
    let milliseconds = webp.milliseconds > 0 ? webp.milliseconds : webp.frameCount * Self.webpDefaultFrameMilliseconds
    let frameRate = Double(webp.frameCount) * 1000 / Double(milliseconds)
    let info = VideoInfo(
      width: webp.width, height: webp.height, frameRate: frameRate, duration: Double(milliseconds) / 1000,
      frameCount: webp.frameCount, container: "webp", codec: "webp")
    if let duration = info.duration, duration > limits.maxDurationSeconds {
      throw .tooLong(seconds: duration, limit: limits.maxDurationSeconds)
    }
    beforeDecoding?(info)
    let deadline = deadline()
    let animation = try WebPAnimation(data, header: webp)
    let step = Self.frameStep(secondsPerHash: secondsPerHash, frameRate: frameRate)
    var hasher = frameHasher()
    var features: [VPDQFeature] = []
    var frameVariants: [VPDQVariant] = []
    var decoded = 0
    var stopped: String?
    while animation.hasMoreFrames {
      let sampled = decoded % step == 0
      if let limit = limitReached(decoded: decoded, hashed: features.count, sampled: sampled) {
        stopped = limit
        break
      }
      if let deadline, VideoReader.monotonicNow() > deadline {
        guard !features.isEmpty else { throw .timedOut(seconds: limits.maxSeconds ?? 0) }
        stopped = VideoError.timedOut(seconds: limits.maxSeconds ?? 0).description
        break
      }
      guard animation.advance() else {
        guard decoded > 0 else { throw .decoding("libwebp cannot decode the animation's first frame") }
        stopped = "frame \(decoded) of the animation cannot be decoded (damaged)"
        break
      }
      if sampled {
        if let (feature, variants) = Self.feature(of: animation.current(), number: decoded, frameRate: frameRate, hasher: &hasher) {
          features.append(feature)
          frameVariants += variants
        }
      }
      decoded += 1
    }
    var hashes = try finished(info: info, features: features, decoded: decoded, badPackets: 0, stopped: stopped)
    hashes.variants = frameVariants
    return hashes
  }
}
