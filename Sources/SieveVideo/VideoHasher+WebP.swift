import CWebP
import SieveCore
import SieveHashing
import SieveImaging

extension VideoHasher {
  /// Frames of an animation whose durations are all 0 are taken as 100 ms each, as
  /// browsers show them.
  static let webpDefaultFrameMilliseconds = 100
  /// The most frames an animated WebP may have (libwebp's work grows with their square).
  static let webpMaxFrames = 50_000

  /// Hashes an animated WebP as vPDQ hashes a video: its frames composed onto the canvas by
  /// libwebp's animation decoder, frame *n* hashed when *n* is a multiple of
  /// ⌊``secondsPerHash`` × frame rate⌋, the rate being its frames over its total duration
  /// (as FFmpeg's average frame rate is); RGB as decoded, alpha dropped (as FFmpeg's
  /// conversion of an animated GIF drops it).
  func hashAnimatedWebP(_ data: UnsafeRawBufferPointer, beforeDecoding: ((VideoInfo) -> Void)?) throws(VideoError) -> VideoHashes {
    // libwebp's demuxer takes every frame's bookkeeping before the first is decoded, and
    // walks the frame list from its start for each: the frames are counted first.
    let frameLimit = min(limits.maxDecodedFrames, Self.webpMaxFrames)
    guard let webp = AnimatedWebP.read(data, frameLimit: frameLimit + 1), webp.frameCount > 0 else {
      throw .notVideo("an animated WebP without frames")
    }
    guard webp.frameCount <= frameLimit else {
      throw .decoding("an animated WebP of more than \(frameLimit) frames (the most Sieve decodes from one)")
    }
    let milliseconds = webp.milliseconds > 0 ? webp.milliseconds : webp.frameCount * Self.webpDefaultFrameMilliseconds
    let frameRate = Double(webp.frameCount) * 1000 / Double(milliseconds)
    let info = VideoInfo(
      width: webp.width, height: webp.height, frameRate: frameRate, duration: Double(milliseconds) / 1000,
      frameCount: webp.frameCount, container: "webp", codec: "webp")
    if let duration = info.duration, duration > limits.maxDurationSeconds {
      throw .tooLong(seconds: duration, limit: limits.maxDurationSeconds)
    }
    // Checked before libwebp allocates its two canvases.
    if info.width * info.height > limits.maxFramePixels {
      throw .frameTooLarge(width: info.width, height: info.height, limit: limits.maxFramePixels)
    }
    beforeDecoding?(info)
    let deadline = limits.maxSeconds.map { VideoReader.monotonicNow() &+ UInt64(min(max(0, $0), 3e9) * 1e9) }
    var options = WebPAnimDecoderOptions()
    guard WebPAnimDecoderOptionsInit(&options) != 0 else { throw .decoding("libwebp's animation decoder is not the version built against") }
    options.color_mode = MODE_RGBA
    options.use_threads = 0
    var webpData = WebPData(bytes: data.baseAddress?.assumingMemoryBound(to: UInt8.self), size: data.count)
    guard let decoder = WebPAnimDecoderNew(&webpData, &options) else {
      throw .decoding("libwebp cannot read the animation (damaged or truncated)")
    }
    defer { WebPAnimDecoderDelete(decoder) }
    // The canvas libwebp composes onto is the one checked against the limits.
    var animation = WebPAnimInfo()
    guard WebPAnimDecoderGetInfo(decoder, &animation) != 0, Int(animation.canvas_width) == webp.width,
      Int(animation.canvas_height) == webp.height
    else { throw .decoding("libwebp reads another canvas than the file's header gives") }
    let step = Self.frameStep(secondsPerHash: secondsPerHash, frameRate: frameRate)
    var hasher = frameHasher()
    var features: [VPDQFeature] = []
    var frameVariants: [VPDQVariant] = []
    var decoded = 0
    var stopped: String?
    while WebPAnimDecoderHasMoreFrames(decoder) != 0 {
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
      var canvas: UnsafeMutablePointer<UInt8>?
      var timestamp: Int32 = 0
      guard WebPAnimDecoderGetNext(decoder, &canvas, &timestamp) != 0, let canvas else {
        guard decoded > 0 else { throw .decoding("libwebp cannot decode the animation's first frame") }
        stopped = "frame \(decoded) of the animation cannot be decoded (damaged)"
        break
      }
      if sampled {
        let image = Self.rgb(fromRGBA: canvas, width: webp.width, height: webp.height)
        if let (feature, variants) = Self.feature(of: image, number: decoded, frameRate: frameRate, hasher: &hasher) {
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
