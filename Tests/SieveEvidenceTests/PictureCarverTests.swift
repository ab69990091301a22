import Foundation
import SieveImaging
import SieveTestSupport
import Testing

@testable import SieveEvidence

/// The carver on its own: exact ends, and nothing carved from what is not a whole picture.
@Suite struct PictureCarverTests {
  static func fixture(_ relative: String) throws -> [UInt8] {
    try TestData.bytes(TestData.repoRoot.appendingPathComponent("Tests/Fixtures/" + relative))
  }

  static func carve(_ bytes: [UInt8], alignment: Int = 512) -> [PictureCarver.Carve] {
    bytes.withUnsafeBytes { PictureCarver(alignment: alignment).carve($0) }
  }

  /// Each picture between filler, at an aligned offset: carved with its exact length,
  /// whatever follows it.
  @Test(arguments: [
    "vectors/pdq/images/bridge-mods/square-128x128.jpg", "decoding/graya16.png", "formats/interlaced.gif", "formats/topdown.bmp",
    "formats/lossy.webp", "decoding/baseline_444.jpg",
  ])
  func wholePicturesAreCarvedExactly(relative: String) throws {
    let picture = try Self.fixture(relative)
    let bytes = [UInt8](repeating: 0x5A, count: 1024) + picture + [0xFF, 0xD9, 0x00] + [UInt8](repeating: 0x5A, count: 700)
    let carves = Self.carve(bytes)
    #expect(carves.count == 1 && carves.first?.offset == 1024 && carves.first?.length == picture.count, "\(carves)")
  }

  /// Cut short, or with one byte changed where the structure is checked: nothing carved.
  @Test func damagedPicturesAreNotCarved() throws {
    let jpeg = try Self.fixture("vectors/pdq/images/bridge-mods/square-128x128.jpg")
    #expect(Self.carve(Array(jpeg.dropLast(2)) + [UInt8](repeating: 0, count: 600)).isEmpty)  // no EOI
    var png = try Self.fixture("decoding/graya16.png")
    png[40] ^= 0x01  // inside a chunk: its CRC fails
    #expect(Self.carve(png + [UInt8](repeating: 0, count: 600)).isEmpty)
    let gif = try Self.fixture("formats/interlaced.gif")
    #expect(Self.carve(Array(gif.dropLast()) + [0x99] + [UInt8](repeating: 0, count: 600)).isEmpty)  // no trailer
    // Noise with signatures at every boundary, but nothing behind them.
    var noise = [UInt8](repeating: 0, count: 64 * 512)
    for block in 0..<64 {
      let signature: [UInt8] = [[0xFF, 0xD8, 0xFF, 0xE0], [0x89, 0x50, 0x4E, 0x47], [0x47, 0x49, 0x46, 0x38], [0x42, 0x4D, 0, 0]][block % 4]
      noise.replaceSubrange(block * 512..<block * 512 + 4, with: signature)
    }
    #expect(Self.carve(noise).isEmpty)
  }

  /// A BMP header whose width and height multiply past Int.max (the carver fuzz target
  /// found one; it trapped): refused, not a crash.
  @Test func hugeBMPHeadersDoNotTrap() {
    var header: [UInt8] = Array("BM".utf8) + [0x00, 0x10, 0x00, 0x00] + [0, 0, 0, 0] + [54, 0, 0, 0] + [40, 0, 0, 0]
    header += [0xFF, 0xFF, 0xFF, 0x7F] + [0xFF, 0xFF, 0xFF, 0x7F] + [1, 0, 32, 0] + [0, 0, 0, 0]
    #expect(Self.carve(header + [UInt8](repeating: 0, count: 4096 + 600)).isEmpty)
  }

  /// A picture not at a boundary (a thumbnail inside another file) is not looked for;
  /// with an alignment of 1 it is.
  @Test func onlyAlignedStartsAreLookedAt() throws {
    let picture = try Self.fixture("formats/interlaced.gif")
    let bytes = [UInt8](repeating: 7, count: 100) + picture + [UInt8](repeating: 7, count: 600)
    #expect(Self.carve(bytes).isEmpty)
    #expect(Self.carve(bytes, alignment: 1).map(\.offset) == [100])
  }

  /// Space where every block starts a PNG whose second chunk claims to run 7 MiB (each
  /// candidate reads that far to check its CRC): the search gives up once it has read 16
  /// bytes per byte searched, instead of taking quadratic time, and says so.
  @Test func candidatesThatRunLongSpendABudget() {
    let ihdrBody: [UInt8] = Array("IHDR".utf8) + [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]
    let crc = ihdrBody.withUnsafeBytes { CRC32.checksum($0) }
    let header: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + ihdrBody
      + withUnsafeBytes(of: crc.bigEndian, Array.init) + [0x00, 0x70, 0x00, 0x00] + Array("IDAT".utf8)
    var bytes = [UInt8](repeating: 0x11, count: 8 << 20)
    for block in stride(from: 0, to: bytes.count, by: 512) { bytes.replaceSubrange(block..<block + header.count, with: header) }
    let result = bytes.withUnsafeBytes { PictureCarver().carveWithinBudget($0) }
    #expect(result.budgetSpent && result.carves.isEmpty)
  }

  /// A fake BMP header claiming 1 MB does not hide the JPEG 8 KiB after it; a "BM" 31
  /// bytes before the end is not read past.
  @Test func aFakeHeaderHidesNothing() throws {
    let jpeg = try Self.fixture("vectors/pdq/images/bridge-mods/square-128x128.jpg")
    var bmp: [UInt8] = Array("BM".utf8) + [0x00, 0x00, 0x10, 0x00] + [0, 0, 0, 0] + [54, 0, 0, 0] + [40, 0, 0, 0]
    bmp += [1, 0, 0, 0] + [1, 0, 0, 0] + [1, 0, 24, 0] + [0, 0, 0, 0]
    let bytes = bmp + [UInt8](repeating: 0, count: 8192 - bmp.count) + jpeg + [UInt8](repeating: 0, count: 1 << 20)
    let carves = Self.carve(bytes)
    #expect(carves.contains { $0.format == .jpeg && $0.offset == 8192 && $0.length == jpeg.count }, "\(carves)")
    let tail = [UInt8](repeating: 0, count: 512) + Array("BM".utf8) + [UInt8](repeating: 0xFF, count: 29)
    #expect(Self.carve(tail).isEmpty)
  }

}
