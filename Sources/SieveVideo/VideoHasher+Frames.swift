import CWebP
import SieveImaging

extension VideoHasher {
  /// The frames numbered `numbers` of the video in `bytes`, as RGB pictures: numbered as
  /// vPDQ numbers them (every frame decoded in order, from 0), decoded in one pass only as
  /// far as the last asked for, within ``limits``. A number past the end, or a frame that
  /// does not decode, is missing from the result. For reports: a matched frame's thumbnail.
  public func frames(_ numbers: Set<Int>, of bytes: [UInt8]) throws(VideoError) -> [Int: PixelImage] {
    guard let last = numbers.max(), last >= 0 else { return [:] }
    do {
      return try bytes.withUnsafeBytes { data throws(VideoError) in
        if AnimatedWebP.isAnimated(data) { return try webpFrames(numbers, last: last, of: data) }
        let reader = try VideoReader(bytes: data, limits: limits, threads: decoderThreads, deadline: nil)
        var found: [Int: PixelImage] = [:]
        var number = 0
        while number <= last, number < limits.maxDecodedFrames,
          let frame = try? reader.next(convert: numbers.contains(number))
        {
          if let rgb = frame.rgb { found[number] = PixelImage(width: frame.width, height: frame.height, layout: .rgb, pixels: rgb) }
          number += 1
        }
        return found
      }
    } catch let error as VideoError {
      throw error
    } catch {
      throw .decoding("\(error)")
    }
  }

  private func webpFrames(_ numbers: Set<Int>, last: Int, of data: UnsafeRawBufferPointer) throws(VideoError) -> [Int: PixelImage] {
    guard let webp = AnimatedWebP.read(data, frameLimit: 1), webp.width * webp.height <= limits.maxFramePixels else {
      throw .notVideo("not an animated WebP within the frame-size limit")
    }
    var options = WebPAnimDecoderOptions()
    guard WebPAnimDecoderOptionsInit(&options) != 0 else { throw .decoding("libwebp's animation decoder is not the version built against") }
    options.color_mode = MODE_RGBA
    var webpData = WebPData(bytes: data.baseAddress?.assumingMemoryBound(to: UInt8.self), size: data.count)
    guard let decoder = WebPAnimDecoderNew(&webpData, &options) else { throw .decoding("libwebp cannot read the animation") }
    defer { WebPAnimDecoderDelete(decoder) }
    var info = WebPAnimInfo()
    guard WebPAnimDecoderGetInfo(decoder, &info) != 0, Int(info.canvas_width) == webp.width, Int(info.canvas_height) == webp.height
    else { throw .decoding("libwebp reads another canvas than the file's header gives") }
    var found: [Int: PixelImage] = [:]
    var number = 0
    while number <= last, WebPAnimDecoderHasMoreFrames(decoder) != 0 {
      var canvas: UnsafeMutablePointer<UInt8>?
      var timestamp: Int32 = 0
      guard WebPAnimDecoderGetNext(decoder, &canvas, &timestamp) != 0, let canvas else { break }
      if numbers.contains(number) { found[number] = Self.rgb(fromRGBA: canvas, width: webp.width, height: webp.height) }
      number += 1
    }
    return found
  }

  /// An RGBA canvas's colours, alpha dropped.
  static func rgb(fromRGBA canvas: UnsafePointer<UInt8>, width: Int, height: Int) -> PixelImage {
    let pixels = width * height
    var rgb = [UInt8](repeating: 0, count: pixels * 3)
    rgb.withUnsafeMutableBufferPointer { out in
      for i in 0..<pixels {
        out[i * 3] = canvas[i * 4]
        out[i * 3 + 1] = canvas[i * 4 + 1]
        out[i * 3 + 2] = canvas[i * 4 + 2]
      }
    }
    return PixelImage(width: width, height: height, layout: .rgb, pixels: rgb)
  }
}
