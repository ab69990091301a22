import CWebP

/// Decodes WebP through libwebp's simple API (`WebPGetFeatures`, `WebPDecodeRGBInto`),
/// which reports errors as return values. Output is 8-bit RGB; alpha is dropped, not
/// composited, as for PNG. An animated WebP is not a picture here: Sieve hashes it as a
/// video (SieveVideo, through libwebp's animation decoder).
struct WebPDecoder {
  let limits: DecodingLimits

  private func features(_ data: UnsafeRawBufferPointer) throws(ImagingError) -> WebPBitstreamFeatures {
    var features = WebPBitstreamFeatures()
    let status = WebPGetFeaturesInternal(
      data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count, &features, WEBP_DECODER_ABI_VERSION)
    switch status {
    case VP8_STATUS_OK: return features
    case VP8_STATUS_NOT_ENOUGH_DATA: throw .truncated("the WebP data ends inside its header")
    case VP8_STATUS_UNSUPPORTED_FEATURE: throw .unsupported("WebP feature not supported by libwebp")
    default: throw .corrupt("not a valid WebP header (libwebp status \(status.rawValue))")
    }
  }

  func header(of data: UnsafeRawBufferPointer) throws(ImagingError) -> ImageHeader {
    let f = try features(data)
    let (width, height) = (Int(f.width), Int(f.height))
    // The RGB frame Sieve hands libwebp, plus libwebp's own: a lossless image is decoded
    // into a whole ARGB plane first; lossy decoding keeps a few macroblock rows of YUV.
    let lossless = f.format == 2
    return ImageHeader(
      format: .webp, width: width, height: height,
      colorModel: (lossless ? "lossless" : "lossy") + (f.has_alpha != 0 ? "+alpha" : "") + (f.has_animation != 0 ? ", animated" : ""),
      bitDepth: 8, isProgressive: true, layout: .rgb, encodedBytes: data.count,
      decoderBytes: ImageHeader.sum(
        ImageHeader.bytes(width, height, 3), lossless ? ImageHeader.bytes(width, height, 4) : 0, ImageHeader.bytes(width, 96)))
  }

  func decode<Sink: PixelRowSink>(_ data: UnsafeRawBufferPointer, into sink: inout Sink) throws -> ImageHeader {
    let header = try header(of: data)
    try limits.check(header)
    guard !header.colorModel.hasSuffix("animated") else {
      throw ImagingError.unsupported("animated WebP (hashed as a video, not decoded as a picture)")
    }
    let stride = header.width * 3
    var pixels = [UInt8](repeating: 0, count: stride * header.height)
    let decoded = pixels.withUnsafeMutableBufferPointer { out in
      WebPDecodeRGBInto(
        data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count, out.baseAddress, out.count, Int32(stride))
    }
    guard decoded != nil else { throw ImagingError.corrupt("libwebp could not decode the image data (damaged or truncated)") }
    try sink.begin(width: header.width, height: header.height, layout: .rgb)
    pixels.withUnsafeBufferPointer { sink.consume(rows: $0.baseAddress!, stride: stride, firstRow: 0, count: header.height) }
    return header
  }

  /// The libwebp decoder version, e.g. `"libwebp 1.2.4"`.
  static var version: String {
    let v = WebPGetDecoderVersion()
    return "libwebp \(v >> 16).\((v >> 8) & 0xFF).\(v & 0xFF)"
  }
}
