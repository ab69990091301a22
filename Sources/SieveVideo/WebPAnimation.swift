import CWebP
import SieveImaging

/// An animated WebP open in libwebp's animation decoder: its frames composed onto the
/// canvas as the format says, one after another, each as RGB with alpha dropped (as
/// FFmpeg's conversion of an animated GIF drops it). The bytes must outlive it.
final class WebPAnimation {
  /// The most frames an animated WebP may have: libwebp's demuxer keeps every frame's
  /// bookkeeping before the first is decoded and walks the list from its start for each.
  static let maxFrames = 50_000

  let header: AnimatedWebP
  private let decoder: OpaquePointer
  private var canvas: UnsafeMutablePointer<UInt8>?

  /// The animation's chunks, read and checked against `limits` before libwebp allocates
  /// anything: frames (at most ``maxFrames``) and the canvas's size.
  static func header(of data: UnsafeRawBufferPointer, limits: VideoLimits) throws(VideoError) -> AnimatedWebP {
    let frameLimit = min(limits.maxDecodedFrames, maxFrames)
    guard let webp = AnimatedWebP.read(data, frameLimit: frameLimit + 1), webp.frameCount > 0 else {
      throw .notVideo("an animated WebP without frames")
    }
    guard webp.frameCount <= frameLimit else {
      throw .decoding("an animated WebP of more than \(frameLimit) frames (the most Sieve decodes from one)")
    }
    if webp.width * webp.height > limits.maxFramePixels {
      throw .frameTooLarge(width: webp.width, height: webp.height, limit: limits.maxFramePixels)
    }
    return webp
  }

  /// Opens the animation `header` (checked) describes.
  init(_ data: UnsafeRawBufferPointer, header: AnimatedWebP) throws(VideoError) {
    self.header = header
    var options = WebPAnimDecoderOptions()
    guard WebPAnimDecoderOptionsInit(&options) != 0 else { throw .decoding("libwebp's animation decoder is not the version built against") }
    options.color_mode = MODE_RGBA
    options.use_threads = 0
    var webpData = WebPData(bytes: data.baseAddress?.assumingMemoryBound(to: UInt8.self), size: data.count)
    guard let decoder = WebPAnimDecoderNew(&webpData, &options) else {
      throw .decoding("libwebp cannot read the animation (damaged or truncated)")
    }
    self.decoder = decoder
    // The canvas libwebp composes onto is the one checked against the limits.
    var animation = WebPAnimInfo()
    guard WebPAnimDecoderGetInfo(decoder, &animation) != 0, Int(animation.canvas_width) == header.width,
      Int(animation.canvas_height) == header.height
    else { throw .decoding("libwebp reads another canvas than the file's header gives") }
  }

  deinit { WebPAnimDecoderDelete(decoder) }

  var hasMoreFrames: Bool { WebPAnimDecoderHasMoreFrames(decoder) != 0 }

  /// Decodes the next frame; false when it cannot be (damaged).
  func advance() -> Bool {
    var timestamp: Int32 = 0
    canvas = nil
    return WebPAnimDecoderGetNext(decoder, &canvas, &timestamp) != 0 && canvas != nil
  }

  /// The frame last decoded, as RGB.
  func current() -> PixelImage {
    let (width, height) = (header.width, header.height)
    var rgb = [UInt8](repeating: 0, count: width * height * 3)
    if let canvas {
      rgb.withUnsafeMutableBufferPointer { out in
        for i in 0..<width * height {
          out[i * 3] = canvas[i * 4]
          out[i * 3 + 1] = canvas[i * 4 + 1]
          out[i * 3 + 2] = canvas[i * 4 + 2]
        }
      }
    }
    return PixelImage(width: width, height: height, layout: .rgb, pixels: rgb)
  }
}
