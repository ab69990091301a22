import CPNG
import SieveSystem

/// Decodes PNG through libpng, via the `CPNG` shim (`sieve_png_*`), which turns
/// libpng's `png_error` longjmp into status codes.
///
/// Every colour type and bit depth comes out as 8-bit gray or 8-bit RGB: palettes
/// are expanded, 1/2/4-bit gray is scaled to 0…255, 16-bit samples keep their high
/// byte, and alpha (including tRNS) is dropped without compositing, as the PDQ
/// reference's decoders do (spec §2.3).
struct PNGDecoder {
  let limits: DecodingLimits

  private static func colorModel(_ colorType: Int32) -> String {
    switch colorType {
    case 0: return "gray"
    case 2: return "RGB"
    case 3: return "palette"
    case 4: return "gray+alpha"
    case 6: return "RGBA"
    default: return "unknown(\(colorType))"
    }
  }

  private static func error(_ status: Int32, _ decoder: OpaquePointer, limits: DecodingLimits) -> ImagingError {
    let message = String(cString: sieve_png_message(decoder))
    switch status {
    case Int32(SIEVE_PNG_TRUNCATED): return .truncated(message)
    case Int32(SIEVE_PNG_TIMEOUT): return .timedOut(seconds: limits.maxSeconds ?? 0)
    default:
      if message.contains("memory") { return .outOfMemory }
      return .corrupt(message.isEmpty ? "libpng error" : message)
    }
  }

  private static func header(from info: sieve_png_info, encodedBytes: Int) -> ImageHeader {
    let colorType = info.color_type
    let gray = colorType == 0 || colorType == 4
    let layout: PixelLayout = gray ? .gray : .rgb
    let (width, height) = (Int(info.width), Int(info.height))
    // Interlaced: the whole output frame. Otherwise a band of 16 output rows. Plus
    // libpng's two rows as stored (up to 8 bytes a pixel) and its capped chunk buffers.
    let frame = ImageHeader.bytes(width, info.interlaced != 0 ? height : 16, layout.channels)
    return ImageHeader(
      format: .png, width: width, height: height,
      colorModel: colorModel(colorType) + (info.has_trns != 0 ? "+tRNS" : ""),
      bitDepth: Int(info.bit_depth), isProgressive: info.interlaced != 0, layout: layout,
      encodedBytes: encodedBytes, decoderBytes: ImageHeader.sum(frame, ImageHeader.bytes(width, 16), 1 << 20))
  }

  func header(of data: UnsafeRawBufferPointer) throws(ImagingError) -> ImageHeader {
    guard let decoder = sieve_png_create(data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count) else {
      throw .outOfMemory
    }
    defer { sieve_png_destroy(decoder) }
    var info = sieve_png_info()
    let status = sieve_png_read_header(decoder, &info)
    guard status == SIEVE_PNG_OK else { throw Self.error(status, decoder, limits: limits) }
    return Self.header(from: info, encodedBytes: data.count)
  }

  func decode<Sink: PixelRowSink>(_ data: UnsafeRawBufferPointer, into sink: inout Sink) throws -> ImageHeader {
    guard let decoder = sieve_png_create(data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count) else {
      throw ImagingError.outOfMemory
    }
    defer { sieve_png_destroy(decoder) }
    var info = sieve_png_info()
    var status = sieve_png_read_header(decoder, &info)
    guard status == SIEVE_PNG_OK else { throw Self.error(status, decoder, limits: limits) }
    let header = Self.header(from: info, encodedBytes: data.count)
    try limits.check(header)

    let deadline = limits.deadline(fromNanoseconds: FileSystem.monotonicNanoseconds())
    status = sieve_png_start(decoder, deadline, &info)
    guard status == SIEVE_PNG_OK else { throw Self.error(status, decoder, limits: limits) }
    let layout: PixelLayout = info.output_channels == 1 ? .gray : .rgb
    let width = header.width
    let height = header.height
    let stride = width * layout.channels
    try sink.begin(width: width, height: height, layout: layout)

    if info.interlaced != 0 {
      // Adam7 rows are final only after the last pass: the whole frame is needed.
      var frame = [UInt8](repeating: 0, count: stride * height)
      status = frame.withUnsafeMutableBufferPointer { sieve_png_read_image(decoder, $0.baseAddress, stride) }
      guard status == SIEVE_PNG_OK else { throw Self.error(status, decoder, limits: limits) }
      frame.withUnsafeBufferPointer { sink.consume(rows: $0.baseAddress!, stride: stride, firstRow: 0, count: height) }
    } else {
      let bandRows = 16
      var band = [UInt8](repeating: 0, count: stride * bandRows)
      var row = 0
      while row < height {
        let count = min(bandRows, height - row)
        status = band.withUnsafeMutableBufferPointer { sieve_png_read_rows(decoder, $0.baseAddress, stride, Int32(count)) }
        guard status >= 0 else { throw Self.error(status, decoder, limits: limits) }
        band.withUnsafeBufferPointer { sink.consume(rows: $0.baseAddress!, stride: stride, firstRow: row, count: count) }
        row += count
      }
    }
    var decoded = header
    decoded.layout = layout
    return decoded
  }

  /// The libpng version the program runs with, e.g. `"libpng 1.6.39"`.
  static var version: String { "libpng " + String(cString: sieve_png_version()) }
}
