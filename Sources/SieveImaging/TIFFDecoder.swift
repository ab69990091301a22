import CTIFF

/// Decodes the first image of a TIFF through libtiff (`TIFFClientOpen` over memory,
/// `TIFFReadRGBAImageOriented`), via the `CTIFF` shim, which captures libtiff's error
/// messages per file. Every photometric interpretation and compression libtiff supports
/// comes out as 8-bit RGB; alpha is dropped (libtiff premultiplies unassociated alpha
/// before that, so partly transparent pixels can differ from Pillow's).
struct TIFFDecoder {
  let limits: DecodingLimits

  private func open(_ data: UnsafeRawBufferPointer) throws(ImagingError) -> (OpaquePointer, sieve_tiff_info) {
    var info = sieve_tiff_info()
    var message = [CChar](repeating: 0, count: 256)
    guard let tiff = sieve_tiff_open(data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count, &info, &message, 256) else {
      let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      throw .corrupt(text)
    }
    return (tiff, info)
  }

  private static func header(_ info: sieve_tiff_info, encodedBytes: Int) -> ImageHeader {
    let (width, height) = (Int(info.width), Int(info.height))
    // libtiff decodes into Sieve's RGBA raster a tile or strip at a time, through one
    // buffer of that tile or strip.
    let chunk = Int(clamping: info.chunk_bytes)
    return ImageHeader(
      format: .tiff, width: width, height: height,
      colorModel: "photometric \(info.photometric), \(info.samples_per_pixel) samples"
        + (info.pages > 1 ? ", \(info.pages) pages" : ""),
      bitDepth: Int(info.bits_per_sample), isProgressive: true, layout: .rgb,
      encodedBytes: encodedBytes, decoderBytes: ImageHeader.sum(ImageHeader.bytes(width, height, 4), ImageHeader.bytes(width, 3), chunk))
  }

  /// The largest tile or strip buffer accepted: what the image itself needs uncompressed,
  /// doubled for padding, or 16 MiB for small images. libtiff allocates and inflates a whole
  /// tile before anything of it is used, so a 2 MB file declaring a 16×16 image in one
  /// 32768×32768 deflate tile would cost a gigabyte.
  static func maxChunkBytes(_ info: sieve_tiff_info) -> UInt64 {
    let samples = UInt64(max(info.samples_per_pixel, 1)), bits = UInt64(max(info.bits_per_sample, 1))
    // An image too large to size is refused later by the pixel limit; its chunks are not
    // allowed past the floor meanwhile.
    let (image, overflow) = UInt64(info.width).multipliedReportingOverflow(by: UInt64(info.height))
    guard !overflow else { return 16 << 20 }
    let raw = image.multipliedReportingOverflow(by: samples * bits)
    return raw.overflow ? 16 << 20 : max(16 << 20, raw.partialValue / 8 * 2)
  }

  /// Refuses a tile or strip larger than ``maxChunkBytes(_:)``; part of reading the header,
  /// so that no caller reserves memory for one.
  private static func checkChunks(_ info: sieve_tiff_info) throws(ImagingError) {
    let chunk = info.tiled != 0 ? "tile" : "strip"
    guard info.chunk_bytes > 0 else { throw .corrupt("the TIFF \(chunk) size cannot be computed (overflow or missing tags)") }
    guard info.chunk_bytes <= Self.maxChunkBytes(info) else {
      throw .corrupt(
        "the TIFF declares \(chunk)s of \(info.chunk_width)×\(info.chunk_length) (\(info.chunk_bytes) bytes each) "
          + "for a \(info.width)×\(info.height) image: refused before allocating (a decompression bomb)")
    }
  }

  func header(of data: UnsafeRawBufferPointer) throws(ImagingError) -> ImageHeader {
    let (tiff, info) = try open(data)
    defer { sieve_tiff_close(tiff) }
    try Self.checkChunks(info)
    return Self.header(info, encodedBytes: data.count)
  }

  func decode<Sink: PixelRowSink>(_ data: UnsafeRawBufferPointer, into sink: inout Sink) throws -> ImageHeader {
    let (tiff, info) = try open(data)
    defer { sieve_tiff_close(tiff) }
    try Self.checkChunks(info)
    let header = Self.header(info, encodedBytes: data.count)
    try limits.check(header)
    let (width, height) = (header.width, header.height)
    var raster = [UInt32](repeating: 0, count: width * height)
    let status = raster.withUnsafeMutableBufferPointer { sieve_tiff_read_rgba(tiff, $0.baseAddress) }
    guard status == 0 else { throw ImagingError.corrupt(String(cString: sieve_tiff_message(tiff))) }
    try sink.begin(width: width, height: height, layout: .rgb)
    var row = [UInt8](repeating: 0, count: width * 3)
    raster.withUnsafeBufferPointer { pixels in
      for y in 0..<height {
        for x in 0..<width {
          let p = pixels[y * width + x]  // ABGR: red in the low byte
          row[3 * x] = UInt8(truncatingIfNeeded: p)
          row[3 * x + 1] = UInt8(truncatingIfNeeded: p >> 8)
          row[3 * x + 2] = UInt8(truncatingIfNeeded: p >> 16)
        }
        row.withUnsafeBufferPointer { sink.consume(rows: $0.baseAddress!, stride: width * 3, firstRow: y, count: 1) }
      }
    }
    return header
  }

  /// "libtiff 4.5.0" from libtiff's banner.
  static var version: String {
    let banner = String(cString: sieve_tiff_version())
    let first = banner.split(separator: "\n").first.map(String.init) ?? banner
    let prefix = "LIBTIFF, Version "
    return first.hasPrefix(prefix) ? "libtiff " + first.dropFirst(prefix.count) : first
  }
}
