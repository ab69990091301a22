/// Decodes Windows BMP files: uncompressed 1, 4, 8 (palette), 16, 24 and 32-bit pixels,
/// BI_BITFIELDS masks, bottom-up and top-down rows, OS/2 core headers. Written by hand
/// (the format is small and Debian ships no BMP library); RLE compression is refused
/// for now. Alpha is dropped; output is 8-bit RGB.
struct BMPDecoder {
  let limits: DecodingLimits

  struct Layout {
    var width: Int
    var height: Int
    var topDown: Bool
    var bitsPerPixel: Int
    var compression: UInt32
    var pixelOffset: Int
    var palette: [(UInt8, UInt8, UInt8)]
    var masks: (r: UInt32, g: UInt32, b: UInt32)
  }

  private func u16(_ d: UnsafeRawBufferPointer, _ at: Int) -> Int { Int(d[at]) | Int(d[at + 1]) << 8 }
  private func u32(_ d: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
    UInt32(d[at]) | UInt32(d[at + 1]) << 8 | UInt32(d[at + 2]) << 16 | UInt32(d[at + 3]) << 24
  }

  func parse(_ d: UnsafeRawBufferPointer) throws(ImagingError) -> Layout {
    guard d.count >= 26 else { throw .truncated("the BMP data ends inside its headers") }
    let pixelOffset = Int(u32(d, 10))
    let dibSize = Int(u32(d, 14))
    guard [12, 40, 52, 56, 64, 108, 124].contains(dibSize) else { throw .unsupported("BMP header of \(dibSize) bytes") }
    guard d.count >= 14 + dibSize else { throw .truncated("the BMP data ends inside its headers") }
    var layout: Layout
    if dibSize == 12 {
      layout = Layout(
        width: u16(d, 18), height: u16(d, 20), topDown: false, bitsPerPixel: u16(d, 24), compression: 0,
        pixelOffset: pixelOffset, palette: [], masks: (0, 0, 0))
    } else {
      let rawHeight = Int32(bitPattern: u32(d, 22))
      layout = Layout(
        width: Int(Int32(bitPattern: u32(d, 18))), height: Int(rawHeight.magnitude), topDown: rawHeight < 0,
        bitsPerPixel: u16(d, 28), compression: u32(d, 30), pixelOffset: pixelOffset, palette: [], masks: (0, 0, 0))
    }
    guard layout.width > 0, layout.height > 0 else { throw .corrupt("BMP size \(layout.width)×\(layout.height)") }
    guard [1, 4, 8, 16, 24, 32].contains(layout.bitsPerPixel) else { throw .unsupported("\(layout.bitsPerPixel)-bit BMP") }
    switch layout.compression {
    case 0: break
    case 3, 6:
      // Masks follow a 40-byte header, or sit inside a V2+ header.
      guard d.count >= 14 + 40 + 12 else { throw .truncated("the BMP data ends inside its colour masks") }
      layout.masks = (u32(d, 54), u32(d, 58), u32(d, 62))
      for mask in [layout.masks.r, layout.masks.g, layout.masks.b] where mask != 0 {
        let run = mask >> UInt32(mask.trailingZeroBitCount)
        guard run & (run &+ 1) == 0 else { throw .corrupt("BMP colour mask 0x\(String(mask, radix: 16)) is not one run of bits") }
      }
    case 1, 2: throw .unsupported("RLE-compressed BMP")
    default: throw .unsupported("BMP compression \(layout.compression)")
    }
    if layout.bitsPerPixel <= 8 {
      let entrySize = dibSize == 12 ? 3 : 4
      var colors = dibSize == 12 ? 0 : Int(u32(d, 46))
      if colors == 0 || colors > 1 << layout.bitsPerPixel { colors = 1 << layout.bitsPerPixel }
      let start = 14 + dibSize
      for i in 0..<colors {
        let at = start + i * entrySize
        guard at + 3 <= d.count else { break }
        layout.palette.append((d[at + 2], d[at + 1], d[at]))
      }
      guard !layout.palette.isEmpty else { throw .corrupt("the BMP palette is missing") }
    }
    return layout
  }

  func header(of data: UnsafeRawBufferPointer) throws(ImagingError) -> ImageHeader {
    Self.header(try parse(data), encodedBytes: data.count)
  }

  /// Decoded a row at a time, straight from the file's bytes: one RGB row of working memory.
  private static func header(_ l: Layout, encodedBytes: Int) -> ImageHeader {
    ImageHeader(
      format: .bmp, width: l.width, height: l.height,
      colorModel: l.bitsPerPixel <= 8 ? "palette" : "RGB", bitDepth: l.bitsPerPixel, isProgressive: false, layout: .rgb,
      encodedBytes: encodedBytes, decoderBytes: ImageHeader.bytes(l.width, 3))
  }

  /// Extracts a masked channel and scales it to 8 bits.
  @inline(__always)
  private func channel(_ value: UInt32, _ mask: UInt32) -> UInt8 {
    guard mask != 0 else { return 0 }
    let shift = mask.trailingZeroBitCount
    let bits = (mask >> UInt32(shift)).trailingZeroBitCount == 0 ? (mask >> UInt32(shift)).nonzeroBitCount : 0
    let v = (value & mask) >> UInt32(shift)
    guard bits > 0 else { return 0 }
    return bits >= 8 ? UInt8(truncatingIfNeeded: v >> UInt32(bits - 8)) : UInt8(clamping: (Int(v) * 255) / ((1 << bits) - 1))
  }

  func decode<Sink: PixelRowSink>(_ d: UnsafeRawBufferPointer, into sink: inout Sink) throws -> ImageHeader {
    let l = try parse(d)
    let header = Self.header(l, encodedBytes: d.count)
    try limits.check(header)
    let stride = ((l.width * l.bitsPerPixel + 31) / 32) * 4
    guard l.pixelOffset >= 0, l.pixelOffset <= d.count else { throw ImagingError.corrupt("BMP pixel offset out of range") }
    guard d.count - l.pixelOffset >= stride * l.height else {
      throw ImagingError.truncated("the BMP pixel data is \(d.count - l.pixelOffset) bytes, \(stride * l.height) needed")
    }
    var masks = l.masks
    if l.compression == 0 && l.bitsPerPixel == 16 { masks = (0x7C00, 0x03E0, 0x001F) }
    if l.compression == 0 && l.bitsPerPixel == 32 { masks = (0x00FF_0000, 0x0000_FF00, 0x0000_00FF) }
    try sink.begin(width: l.width, height: l.height, layout: .rgb)
    var row = [UInt8](repeating: 0, count: l.width * 3)
    for y in 0..<l.height {
      let source = l.pixelOffset + (l.topDown ? y : l.height - 1 - y) * stride
      for x in 0..<l.width {
        let rgb: (UInt8, UInt8, UInt8)
        switch l.bitsPerPixel {
        case 1, 4, 8:
          let bit = x * l.bitsPerPixel
          let byte = d[source + bit / 8]
          let index = Int(byte >> UInt8(8 - l.bitsPerPixel - bit % 8)) & ((1 << l.bitsPerPixel) - 1)
          rgb = index < l.palette.count ? l.palette[index] : (0, 0, 0)
        case 16:
          let v = UInt32(d[source + 2 * x]) | UInt32(d[source + 2 * x + 1]) << 8
          rgb = (channel(v, masks.r), channel(v, masks.g), channel(v, masks.b))
        case 24:
          rgb = (d[source + 3 * x + 2], d[source + 3 * x + 1], d[source + 3 * x])
        default:
          let v = u32(d, source + 4 * x)
          rgb = (channel(v, masks.r), channel(v, masks.g), channel(v, masks.b))
        }
        row[3 * x] = rgb.0
        row[3 * x + 1] = rgb.1
        row[3 * x + 2] = rgb.2
      }
      row.withUnsafeBufferPointer { sink.consume(rows: $0.baseAddress!, stride: l.width * 3, firstRow: y, count: 1) }
    }
    return header
  }
}
