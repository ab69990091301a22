import Foundation
import SieveImaging
import SieveTestSupport
import Testing

/// Every PNG colour type and bit depth, JPEG variants and bad inputs, from
/// `Tests/Fixtures/decoding/manifest.json` (made by `Scripts/make_decoding_fixtures.py`).
@Suite struct DecoderFixtureTests {
  static let folder = TestData.repoRoot.appendingPathComponent("Tests/Fixtures/decoding")

  struct Fixture: CustomTestStringConvertible, Sendable {
    var file: String
    var format: String?
    var width: Int?
    var height: Int?
    var layout: String?
    var expected: String?
    var maxDifference: Int
    var expectError: String?
    var interlaced: Bool
    var progressive: Bool
    var testDescription: String { file }
  }

  static let fixtures: [Fixture] = {
    guard let data = try? Data(contentsOf: folder.appendingPathComponent("manifest.json")),
      let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
    else { return [] }
    return list.map { entry in
      Fixture(
        file: entry["file"] as! String, format: entry["format"] as? String, width: entry["width"] as? Int,
        height: entry["height"] as? Int, layout: entry["layout"] as? String, expected: entry["expected"] as? String,
        maxDifference: entry["max_abs_diff_allowed"] as? Int ?? 0, expectError: entry["expect_error"] as? String,
        interlaced: entry["interlaced"] as? Bool ?? false, progressive: entry["progressive"] as? Bool ?? false)
    }
  }()

  @Test func manifestIsThere() {
    #expect(Self.fixtures.count >= 40)
    #expect(Self.fixtures.contains { $0.interlaced })
    #expect(Self.fixtures.contains { $0.progressive })
  }

  @Test("decodes to the expected pixels", arguments: fixtures.filter { $0.expectError == nil })
  func decodes(fixture: Fixture) throws {
    let bytes = try TestData.bytes(Self.folder.appendingPathComponent(fixture.file))
    let header = try ImageDecoder().header(of: bytes)
    #expect(header.format.rawValue == fixture.format)
    #expect(header.width == fixture.width && header.height == fixture.height)
    #expect(header.isProgressive == (fixture.interlaced || fixture.progressive))
    let image = try ImageDecoder().decodeImage(bytes)
    #expect(image.width == fixture.width && image.height == fixture.height)
    #expect((image.layout == .gray ? "gray" : "rgb") == fixture.layout)
    try PixelComparison.expect(
      image, equals: Self.folder.appendingPathComponent(try #require(fixture.expected)), within: fixture.maxDifference)
  }

  @Test("bad input is a typed error", arguments: fixtures.filter { $0.expectError != nil })
  func refuses(fixture: Fixture) throws {
    let bytes = try TestData.bytes(Self.folder.appendingPathComponent(fixture.file))
    let outcome: Result<PixelImage, ImagingError>
    do {
      outcome = .success(try ImageDecoder().decodeImage(bytes))
    } catch let error as ImagingError {
      outcome = .failure(error)
    }
    switch (fixture.expectError, outcome) {
    case ("empty", .failure(.empty)), ("unrecognized", .failure(.unrecognizedFormat)),
      ("truncated", .failure(.truncated)), ("corrupt", .failure(.corrupt)), ("tooLarge", .failure(.tooLarge)),
      ("unsupportedFormat", .failure(.unsupportedFormat)):
      break
    case ("corrupt_or_truncated", _):
      // Bad Huffman codes are warnings in libjpeg: like Pillow and ImageMagick, the
      // decoder goes on and yields an image. Any outcome but a crash is correct here.
      break
    default:
      Issue.record("\(fixture.file): expected \(fixture.expectError!), got \(outcome)")
    }
  }
}

@Suite struct CMYKTests {
  /// Removes every APP14 (Adobe) segment from a JPEG.
  static func strippingAdobeMarker(_ jpeg: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0xFF, 0xD8]
    var i = 2
    while i + 4 <= jpeg.count, jpeg[i] == 0xFF {
      let marker = jpeg[i + 1]
      if marker == 0xDA { break }  // start of scan: copy the rest as is
      let length = Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3])
      if marker != 0xEE { out += jpeg[i..<i + 2 + length] }
      i += 2 + length
    }
    return out + jpeg[i...]
  }

  @Test func cmykIsInvertedWithOrWithoutTheAdobeMarker() throws {
    let folder = DecoderFixtureTests.folder
    let jpeg = try TestData.bytes(folder.appendingPathComponent("cmyk.jpg"))
    let stripped = Self.strippingAdobeMarker(jpeg)
    #expect(stripped.count < jpeg.count)
    #expect(!stripped.indices.dropLast().contains { stripped[$0] == 0xFF && stripped[$0 + 1] == 0xEE })
    let expected = try TestData.bytes(folder.appendingPathComponent("cmyk.jpg.rgb"))
    #expect(try ImageDecoder().decodeImage(jpeg).pixels == expected)
    #expect(try ImageDecoder().decodeImage(stripped).pixels == expected)
  }
}
