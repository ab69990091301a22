import CJPEG

/// Decodes JPEG through libjpeg(-turbo), via the `CJPEG` shim (`sieve_jpeg_*`), which
/// turns libjpeg's `error_exit` into status codes.
///
/// Output matches what ImageMagick and Pillow produce with the same library: ISLOW
/// IDCT, fancy upsampling, RGB for colour files, gray for 1-component files, no
/// colour management. CMYK and YCCK files come out of libjpeg as CMYK, are taken as
/// Adobe-inverted (as Pillow and ImageMagick take them) and converted to RGB here.
struct JPEGDecoder {
  let limits: DecodingLimits

  private static func colorModel(_ colorSpace: Int32) -> String {
    switch colorSpace {
    case 1: return "gray"
    case 2: return "RGB"
    case 3: return "YCbCr"
    case 4: return "CMYK"
    case 5: return "YCCK"
    default: return "unknown(\(colorSpace))"
    }
  }

  private static func error(_ status: Int32, _ decoder: OpaquePointer, limits: DecodingLimits) -> ImagingError {
    let message = String(cString: sieve_jpeg_message(decoder))
    switch status {
    case Int32(SIEVE_JPEG_TRUNCATED): return .truncated(message)
    case Int32(SIEVE_JPEG_TIMEOUT): return .timedOut(seconds: limits.maxSeconds ?? 0)
    case Int32(SIEVE_JPEG_TOO_MANY_SCANS): return .corrupt(message)
    default:
      if message.contains("Insufficient memory") { return .outOfMemory }
      if message.contains("Unsupported") || message.contains("not supported") { return .unsupported(message) }
      return .corrupt(message.isEmpty ? "libjpeg error" : message)
    }
  }

  private static func header(from info: sieve_jpeg_info, encodedBytes: Int) -> ImageHeader {
    let (width, height, components) = (Int(info.width), Int(info.height), max(1, Int(info.components)))
    let multiScan = info.progressive != 0 || info.multiple_scans != 0
    // A multi-scan JPEG keeps every DCT coefficient (2 bytes a sample) until the end; a
    // single-scan one, an MCU row of them. Plus the band of output rows and CMYK's RGB band.
    let coefficients = multiScan ? ImageHeader.bytes(width, height, components, 2) : ImageHeader.bytes(width, components, 64)
    return ImageHeader(
      format: .jpeg, width: width, height: height,
      colorModel: colorModel(info.color_space) + (info.arithmetic != 0 ? ", arithmetic" : ""),
      bitDepth: 8, isProgressive: multiScan, layout: info.components == 1 ? .gray : .rgb,
      encodedBytes: encodedBytes, decoderBytes: ImageHeader.sum(coefficients, ImageHeader.bytes(width, 7 * 16)))
  }

  func header(of data: UnsafeRawBufferPointer) throws(ImagingError) -> ImageHeader {
    guard let decoder = sieve_jpeg_create(data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count) else {
      throw .outOfMemory
    }
    defer { sieve_jpeg_destroy(decoder) }
    var info = sieve_jpeg_info()
    let status = sieve_jpeg_read_header(decoder, &info)
    guard status == SIEVE_JPEG_OK else { throw Self.error(status, decoder, limits: limits) }
    return Self.header(from: info, encodedBytes: data.count)
  }

  /// Decodes `data`, checking the header against the limits before any pixel
  /// buffer is allocated, and passes rows to `sink`.
  ///
  /// - Parameter scaleDenominator: 1, 2, 4 or 8: libjpeg's DCT-domain downscaling.
  func decode<Sink: PixelRowSink>(
    _ data: UnsafeRawBufferPointer, scaleDenominator: Int = 1, into sink: inout Sink
  ) throws -> ImageHeader {
    guard let decoder = sieve_jpeg_create(data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count) else {
      throw ImagingError.outOfMemory
    }
    defer { sieve_jpeg_destroy(decoder) }
    var info = sieve_jpeg_info()
    var status = sieve_jpeg_read_header(decoder, &info)
    guard status == SIEVE_JPEG_OK else { throw Self.error(status, decoder, limits: limits) }
    let header = Self.header(from: info, encodedBytes: data.count)
    try limits.check(header)

    let deadline = limits.deadline(fromNanoseconds: sieve_monotonic_ns())
    status = sieve_jpeg_start(
      decoder, Int32(scaleDenominator), deadline, Int32(clamping: limits.maxProgressiveScans), &info)
    guard status == SIEVE_JPEG_OK else { throw Self.error(status, decoder, limits: limits) }

    let width = Int(info.output_width)
    let height = Int(info.output_height)
    let components = Int(info.output_components)
    let cmyk = components == 4
    // Pillow ("CMYK;I", "assume adobe conventions") and ImageMagick both invert every
    // 4-component JPEG, marker or not; so does Sieve.
    let inverted = cmyk
    let layout: PixelLayout = components == 1 ? .gray : .rgb
    try sink.begin(width: width, height: height, layout: layout)

    let bandRows = 16
    let stride = width * components
    var band = [UInt8](repeating: 0, count: stride * bandRows)
    var rgb = cmyk ? [UInt8](repeating: 0, count: width * 3 * bandRows) : []
    var row = 0
    while row < height {
      let got = band.withUnsafeMutableBufferPointer {
        sieve_jpeg_read_rows(decoder, $0.baseAddress, stride, Int32(min(bandRows, height - row)))
      }
      guard got > 0 else { throw Self.error(got, decoder, limits: limits) }
      let count = Int(got)
      if cmyk {
        band.withUnsafeBufferPointer { src in
          rgb.withUnsafeMutableBufferPointer { dst in
            CMYKConversion.toRGB(
              src.baseAddress!, dst.baseAddress!, pixels: width * count, adobeInverted: inverted)
          }
        }
        rgb.withUnsafeBufferPointer { sink.consume(rows: $0.baseAddress!, stride: width * 3, firstRow: row, count: count) }
      } else {
        band.withUnsafeBufferPointer { sink.consume(rows: $0.baseAddress!, stride: stride, firstRow: row, count: count) }
      }
      row += count
    }
    var decoded = header
    decoded.layout = layout
    return decoded
  }

  /// The libjpeg-turbo version, e.g. `"libjpeg-turbo 2.1.5 (API 62)"`.
  static var version: String {
    let v = Int(sieve_jpeg_turbo_version())
    let api = Int(sieve_jpeg_lib_version())
    guard v > 0 else { return "libjpeg (API \(api))" }
    return "libjpeg-turbo \(v / 1_000_000).\(v / 1000 % 1000).\(v % 1000) (API \(api))"
  }
}
