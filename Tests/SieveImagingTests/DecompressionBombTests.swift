import Foundation
import SieveTestSupport
import Testing

@testable import SieveImaging

/// The crafted files of `Tests/Fixtures/bombs` (made by `Scripts/make_bomb_fixtures.py`;
/// their README says what each costs a naive decoder): each is refused from its header,
/// before any large allocation, or decoded within the limits with its memory accounted.
@Suite struct DecompressionBombTests {
  static let folder = TestData.repoRoot.appendingPathComponent("Tests/Fixtures/bombs")

  static func bytes(_ name: String) throws -> [UInt8] {
    try TestData.bytes(folder.appendingPathComponent(name))
  }

  /// Refused from the header, by `header(of:)` and `limits.check` as the batch and the
  /// service call them, and by `decode`.
  @Test(arguments: [
    ("tiff_tile_bomb.tif", "tiles of 32768×32768"),
    ("gif_screen_bomb.gif", "15000×15000 pixels in only 35 bytes"),
    ("webp_lossless_solid.webp", "16383×16383, over the limit of 250000000 pixels"),
    ("png_solid_bomb.png", "20000×20000, over the limit of 250000000 pixels"),
  ])
  func refusedBeforeAllocating(name: String, reason: String) throws {
    let data = try Self.bytes(name)
    let decoder = ImageDecoder()
    let headerError = #expect(throws: ImagingError.self) {
      let header = try decoder.header(of: data)
      try decoder.limits.check(header)
    }
    #expect(headerError?.description.contains(reason) == true, "\(headerError?.description ?? "-")")
    let decodeError = #expect(throws: ImagingError.self) { try decoder.decodeImage(data) }
    #expect(decodeError?.description.contains(reason) == true, "\(decodeError?.description ?? "-")")
  }

  /// A 146-byte TIFF declaring 2147483648×2147483647: its sizes are computed without
  /// trapping (this one killed the process), and it is refused from its header.
  @Test func sizesThatOverflowAreRefusedNotTrapped() throws {
    let data = try Self.bytes("tiff_overflow.tif")
    let decoder = ImageDecoder()
    let error = #expect(throws: ImagingError.self) { try decoder.header(of: data) }
    #expect(error?.description.contains("2147483648×2147483647") == true, "\(error?.description ?? "-")")
    #expect(throws: ImagingError.self) { try decoder.decodeImage(data) }
    #expect(ImageHeader.bytes(Int.max / 2, 3) == .max && ImageHeader.sum(.max, 1) == .max)
    // The same trap, found by the tiff fuzz target: refused with a reason, never a crash.
    #expect(throws: ImagingError.self) { try decoder.decodeImage(try Self.bytes("tiff_overflow_fuzzed.tif")) }
  }

  /// A HEIC whose container declares 2048×2048 (`ispe`) around a 16384×8704 HEVC picture:
  /// the coded size, read from the stream's SPS, is what the limits check and the budget
  /// reserves (it used to decode to 867 MB before being refused).
  @Test func heifIsCheckedByItsCodedSize() throws {
    let data = try Self.bytes("heif_ispe_lie.heic")
    let coded = try #require(try data.withUnsafeBytes { try HEIFCodedPictures($0) }.largest)
    #expect(coded == .init(width: 16384, height: 8704))
    var limits = DecodingLimits(maxPixels: 100_000_000)
    limits.maxPixelsPerByte = .max
    let error = #expect(throws: ImagingError.self) { try ImageDecoder(limits: limits).header(of: data) }
    #expect(error?.description.contains("16384×8704, over the limit of 100000000 pixels") == true, "\(error?.description ?? "-")")
    limits.maxPixels = 250_000_000
    let header = try ImageDecoder(limits: limits).header(of: data)
    #expect(header.width == 2048 && header.decoderBytes >= 16384 * 8704 * 11)
    // A legitimate HEIC: the coded size is the declared one (within the coding block).
    let photo = try TestData.bytes(TestData.repoRoot.appendingPathComponent("Tests/Fixtures/formats/photo.heic"))
    let size = try #require(try photo.withUnsafeBytes { try HEIFCodedPictures($0) }.largest)
    #expect(size.width >= 64 && size.width <= 128 && size.height >= 48 && size.height <= 128, "\(size)")
  }

  /// AVIF and HEIC files whose containers hide what they code (what decoding them costs
  /// through libheif 1.15.1 unchecked is in the fixtures' README: 939 MB for the AVIF,
  /// 1.69 GB for the grid's canvas): refused from the header by the size their streams
  /// code, and with the pixels-per-byte limit turned off, by that size against the pixel
  /// limit.
  @Test(arguments: [
    ("avif_ispe_lie.avif", "16384×8704 pixels in only 1720 bytes, over 512 pixels per byte", "16384×8704, over the limit"),
    ("avif_grid_canvas_lie.avif", "16384×16384, over the limit of 250000000 pixels", "16384×16384, over the limit"),
    ("heif_sps_in_data.heic", "16384×8704 pixels in only 3079 bytes, over 512 pixels per byte", "16384×8704, over the limit"),
    // 256 tiles that each declare 128×128 and code 2048×2048: 3 s of libheif from 11 KB.
    ("avif_grid_tiles_lie.avif", "its coded items hold 1077936128 pixels in only 11119 bytes, over 512 pixels per byte",
     "its coded items hold 1077936128 pixels, over 4 times the limit of 100000000 pixels"),
  ])
  func heifAndAVIFAreCheckedByWhatTheyCode(name: String, reason: String, withoutRatio: String) throws {
    let data = try Self.bytes(name)
    let error = #expect(throws: ImagingError.self) { try ImageDecoder().header(of: data) }
    #expect(error?.description.contains(reason) == true, "\(error?.description ?? "-")")
    var limits = DecodingLimits(maxPixels: 100_000_000)
    limits.maxPixelsPerByte = .max
    let size = #expect(throws: ImagingError.self) { try ImageDecoder(limits: limits).header(of: data) }
    #expect(size?.description.contains(withoutRatio) == true, "\(size?.description ?? "-")")
    let decode = #expect(throws: ImagingError.self) { try ImageDecoder(limits: limits).decodeImage(data) }
    #expect(decode?.description.contains(withoutRatio) == true, "\(decode?.description ?? "-")")
  }

  /// The control: an honest 2×2 grid decodes, its canvas the declared size.
  @Test func anHonestGridDecodes() throws {
    let image = try ImageDecoder().decodeImage(try Self.bytes("avif_grid_2x2.avif"))
    #expect(image.width == 1024 && image.height == 1024)
  }

  /// A 1×1 screen holding a 15000×15000 frame with 6 pixels of data: the header is
  /// harmless, the frame descriptor is refused before a row is read.
  @Test func gifFrameIsCheckedBeforeItsRowsAreRead() throws {
    let data = try Self.bytes("gif_frame_bomb.gif")
    let header = try ImageDecoder().header(of: data)
    #expect(header.width == 1 && header.height == 1)
    let error = #expect(throws: ImagingError.self) { try ImageDecoder().decodeImage(data) }
    #expect(error?.description.contains("15000×15000 pixels in only 35 bytes") == true, "\(error?.description ?? "-")")
  }

  /// A 35-byte screen bomb, under a pixel limit it passes, is still refused by the ratio;
  /// turning the ratio off leaves GIF's own coding ceiling.
  @Test func gifScreenIsBoundedByWhatTheFileCanHold() throws {
    let data = try Self.bytes("gif_screen_bomb.gif")
    var limits = DecodingLimits()
    limits.maxPixelsPerByte = .max
    let error = #expect(throws: ImagingError.self) { try ImageDecoder(limits: limits).decodeImage(data) }
    #expect(error == .implausibleSize(width: 15000, height: 15000, bytes: 35, limit: GIFDecoder.maxPixelsPerByte))
  }

  /// Text and colour-profile chunks that inflate to 100 MB are dropped unread; the 8×8
  /// image decodes.
  @Test(arguments: ["png_ztxt_bomb.png", "png_iccp_bomb.png"])
  func ancillaryChunkBombsAreSkipped(name: String) throws {
    let image = try ImageDecoder().decodeImage(try Self.bytes(name))
    #expect(image.width == 8 && image.height == 8)
  }

  /// Large one-colour images that compress hundreds of times better than any photo (562
  /// to 1,682 pixels a byte, over 16.8 M pixels) are refused from the header: hashing them
  /// would cost 370 MB to 1 GB for a hash of quality 0.
  @Test(arguments: [
    ("webp_lossy_solid.webp", "7168×7168 pixels in only 91412 bytes, over 512 pixels per byte"),
    ("png_solid_15000.png", "15000×15000 pixels in only 218443 bytes, over 512 pixels per byte"),
    ("heif_large_solid.heic", "16384×8704 pixels in only 84799 bytes, over 512 pixels per byte"),
  ])
  func largeFlatImagesAreRefusedFromTheHeader(name: String, reason: String) throws {
    let data = try Self.bytes(name)
    let decoder = ImageDecoder()
    let header = try decoder.header(of: data)
    let error = #expect(throws: ImagingError.self) { try decoder.limits.check(header) }
    #expect(error?.description.contains(reason) == true, "\(error?.description ?? "-")")
    // With the ratio turned off they are within the limits, their memory declared.
    var limits = DecodingLimits()
    limits.maxPixelsPerByte = .max
    try limits.check(header)
    #expect(header.encodedBytes == data.count && header.decoderBytes > 0)
  }

  /// Mid-sized images may be 64 times as compressible: the 16 M pixel one-colour GIF
  /// (1,883 pixels a byte) is accepted, with its canvas declared for the budget.
  @Test func midSizedImagesHaveTheLargerAllowance() throws {
    let data = try Self.bytes("gif_lzw_long.gif")
    let header = try ImageDecoder().header(of: data)
    try DecodingLimits().check(header)
    #expect(header.decoderBytes >= 4000 * 4000 * 3)
    #expect(DecodingLimits().pixelsPerByteLimit(forPixels: 2048 * 2048) == nil)
    #expect(DecodingLimits().pixelsPerByteLimit(forPixels: 4000 * 4000) == 32_768)
    #expect(DecodingLimits().pixelsPerByteLimit(forPixels: 5000 * 5000) == 512)
  }

  /// The one-colour 4000×4000 GIF decodes (1,883 pixels a byte is legitimate LZW).
  @Test func aFlatGIFWithinTheCodingCeilingDecodes() throws {
    let image = try ImageDecoder().decodeImage(try Self.bytes("gif_lzw_long.gif"))
    #expect(image.width == 4000 && image.height == 4000)
  }
}
