import Foundation
import SieveImaging
import SieveTestSupport
import Testing

/// `sieve hashset build --augment`, matching through its variants, and `sieve eval`, run as
/// the real binary.
@Suite struct AugmentAndEvalCommandTests {
  static let images = TestData.fixtureVectors.appendingPathComponent("pdq/images/reg-test-input/labelme-subset")

  func sieve(_ arguments: [String]) throws -> CommandRunner.Result {
    try CommandRunner.run("sieve", arguments)
  }

  /// A 90 %-area centre crop is missed against a plain set and found through the augmented
  /// set's crop90 variant, reported as such; the set is written as version 2.
  @Test func augmentedSetFindsACroppedCopy() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let original = try ImageDecoder().decodeImage(TestData.bytes(Self.images.appendingPathComponent("q2821.jpg")))
    let (w, h) = (Int((Double(original.width) * 0.9.squareRoot()).rounded()), Int((Double(original.height) * 0.9.squareRoot()).rounded()))
    let (x0, y0) = ((original.width - w) / 2, (original.height - h) / 2)
    var cut: [UInt8] = []
    let channels = original.layout.channels
    for y in y0..<(y0 + h) {
      cut += original.pixels[((y * original.width + x0) * channels)..<((y * original.width + x0 + w) * channels)]
    }
    let crop = try dir.write("evidence/crop.jpg", JPEGEncoder.encode(PixelImage(width: w, height: h, layout: original.layout, pixels: cut), quality: 95))

    let plainSet = dir.path + "/plain.sieveset", augmentedSet = dir.path + "/augmented.sieveset"
    #expect(try sieve(["hashset", "build", "-q", Self.images.path, "-o", plainSet]).status == 0)
    let built = try sieve(["hashset", "build", "--augment", "crops,trim", "--label", "example", Self.images.path, "-o", augmentedSet])
    #expect(built.status == 0 && built.stderr.contains("PDQ hashes of variants (augmented)"), "\(built.stderr)")
    #expect(try sieve(["hashset", "info", augmentedSet]).stdout.contains("sieveset v2"))
    #expect(try sieve(["hashset", "info", plainSet]).stdout.contains("sieveset v1"))

    let missed = try sieve(["match", "--hashset", plainSet, "--format", "csv", crop])
    #expect(missed.status == 0 && !missed.stdout.contains(",pdq,"), "\(missed.stdout)")
    let found = try sieve(["match", "--hashset", augmentedSet, "--format", "jsonl", crop])
    let line = try #require(found.stdout.split(separator: "\n").first { $0.contains("\"kind\":\"pdq\"") })
    #expect(line.contains("q2821.jpg") && line.contains("\"picture\":\"entry-crop90\"") && line.contains("expected_false_matches"), "\(line)")

    #expect(try sieve(["hashset", "build", "--augment", "crop95", Self.images.path, "-o", dir.path + "/x.sieveset"]).status == 2)
  }

  /// `sieve eval` writes its JSON and a self-contained HTML page, and says the same thing
  /// twice for one seed.
  @Test func evalWritesTableJSONAndHTML() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let arguments = ["eval", "-q", "--attacks", "jpeg70,rot90,pad10", "--strategies", "plain,full,combined", Self.images.path]
    let run = try sieve(arguments + ["--json", dir.path + "/eval.json", "--html", dir.path + "/eval.html"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.contains("true matches") && run.stdout.contains("rot90"))
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path + "/eval.json"))) as? [String: Any]
    let strategies = try #require(json?["strategies"] as? [[String: Any]])
    #expect(strategies.map { $0["name"] as? String } == ["plain", "full", "combined"])
    let html = try String(contentsOfFile: dir.path + "/eval.html", encoding: .utf8)
    #expect(html.contains("<svg") && !html.contains("<script") && !html.contains("http://") && !html.contains("https://"))
    let again = try sieve(arguments + ["--format", "json"])
    let first = try String(contentsOfFile: dir.path + "/eval.json", encoding: .utf8)
    func rates(_ text: String) -> [String] { text.split(separator: "\n").filter { $0.contains("trueMatchRate") || $0.contains("falsePairs") }.map(String.init) }
    #expect(rates(first) == rates(again.stdout))
    #expect(try sieve(["eval", "--attacks", "nonesuch", Self.images.path]).status == 2)
  }
}
