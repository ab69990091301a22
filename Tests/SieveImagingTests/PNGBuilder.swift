import Foundation
import SieveImaging

/// Writes minimal PNG files for tests: any IHDR, stored (uncompressed) zlib data.
enum PNGBuilder {
  static let crcTable: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
  }

  static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

  static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let body = Array(type.utf8) + data
    return be32(UInt32(data.count)) + body + be32(crc32(body))
  }

  /// A PNG with the given IHDR and raw IDAT payload.
  static func png(width: Int, height: Int, colorType: UInt8, bitDepth: UInt8, idat: [UInt8]) -> [UInt8] {
    let ihdr = be32(UInt32(width)) + be32(UInt32(height)) + [bitDepth, colorType, 0, 0, 0]
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", idat) + chunk("IEND", [])
  }

  /// An 8-bit gray or RGB PNG of `image`, zlib "stored" blocks (no compression).
  static func png(_ image: PixelImage) -> [UInt8] {
    var raw: [UInt8] = []
    for y in 0..<image.height {
      raw.append(0)  // filter: none
      raw += image.pixels[(y * image.rowBytes)..<((y + 1) * image.rowBytes)]
    }
    var zlib: [UInt8] = [0x78, 0x01]
    var offset = 0
    repeat {
      let n = min(65_535, raw.count - offset)
      let final: UInt8 = offset + n == raw.count ? 1 : 0
      zlib += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
      zlib += raw[offset..<offset + n]
      offset += n
    } while offset < raw.count
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in raw {
      a = (a + UInt32(byte)) % 65_521
      b = (b + a) % 65_521
    }
    zlib += be32(b << 16 | a)
    return png(width: image.width, height: image.height, colorType: image.layout == .gray ? 0 : 2, bitDepth: 8, idat: zlib)
  }
}
