import Foundation
import SieveImaging
import SieveTestSupport
import Testing

/// GIF (giflib) and WebP (libwebp) against Pillow's `convert("RGB")` of the first frame,
/// from `Tests/Fixtures/formats` (made by `Scripts/make_format_fixtures.py`).
@Suite struct FormatFixtureTests {
  static let folder = TestData.repoRoot.appendingPathComponent("Tests/Fixtures/formats")

  struct Fixture: CustomTestStringConvertible, Sendable {
    var file: String
    var width: Int?
    var height: Int?
    var expected: String?
    var maxDifference: Int
    var maxMean: Double?
    var expectError: String?
    var testDescription: String { file }
  }

  static let fixtures: [Fixture] = {
    guard let data = try? Data(contentsOf: folder.appendingPathComponent("manifest.json")),
      let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
    else { return [] }
    return list.map {
      Fixture(
        file: $0["file"] as! String, width: $0["width"] as? Int, height: $0["height"] as? Int, expected: $0["expected"] as? String,
        maxDifference: $0["max_abs_diff_allowed"] as? Int ?? 0, maxMean: $0["max_mean_diff"] as? Double,
        expectError: $0["expect_error"] as? String)
    }
  }()

  @Test("decodes like Pillow's first frame", arguments: fixtures.filter { $0.expectError == nil })
  func decodes(fixture: Fixture) throws {
    let bytes = try TestData.bytes(Self.folder.appendingPathComponent(fixture.file))
    let image = try ImageDecoder().decodeImage(bytes)
    #expect(image.width == fixture.width && image.height == fixture.height && image.layout == .rgb)
    try PixelComparison.expect(
      image, equals: Self.folder.appendingPathComponent(try #require(fixture.expected)), within: fixture.maxDifference,
      meanWithin: fixture.maxMean)
  }

  @Test("bad input is a typed error", arguments: fixtures.filter { $0.expectError != nil })
  func refuses(fixture: Fixture) throws {
    let bytes = try TestData.bytes(Self.folder.appendingPathComponent(fixture.file))
    do {
      _ = try ImageDecoder().decodeImage(bytes)
      Issue.record("\(fixture.file) decoded")
    } catch let error as ImagingError {
      switch (fixture.expectError, error) {
      case ("unsupported", .unsupported), ("truncated_or_corrupt", .truncated), ("truncated_or_corrupt", .corrupt): break
      default: Issue.record("\(fixture.file): expected \(fixture.expectError!), got \(error)")
      }
    }
  }

  @Test func headersAndVersions() throws {
    let gif = try ImageDecoder().header(of: TestData.bytes(Self.folder.appendingPathComponent("static.gif")))
    #expect(gif.format == .gif && gif.width == 45 && gif.height == 31)
    let webp = try ImageDecoder().header(of: TestData.bytes(Self.folder.appendingPathComponent("alpha.webp")))
    #expect(webp.format == .webp && webp.colorModel == "lossless+alpha")
    #expect(ImageDecoder.codecVersions.contains { $0.hasPrefix("giflib 5.") })
    #expect(ImageDecoder.codecVersions.contains { $0.hasPrefix("libwebp 1.") })
  }
}
