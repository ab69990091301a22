import Foundation
import SieveImaging
import SieveTestSupport
import Testing

/// `sieve hashset …` and `sieve match`, run as the real binary.
@Suite struct MatchCommandTests {
  static let images = TestData.fixtureVectors.appendingPathComponent("pdq/images")
  static let sample = TestData.repoRoot.appendingPathComponent("hashsets/sample-fixtures.sieve.csv").path
  static let q0122 = images.appendingPathComponent("reg-test-input/labelme-subset/q0122.jpg").path

  func sieve(_ arguments: [String]) throws -> CommandRunner.Result {
    try CommandRunner.run("sieve", arguments)
  }

  /// A set's name and labels come from whoever made the list: `hashset info` and
  /// `serve keys list` escape their control characters; a key name with one is refused.
  @Test func namesFromListsAreEscapedOnTheTerminal() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let list = try dir.write("list.txt", Array("6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d\n".utf8))
    let out = dir.path + "/evil.sieveset"
    let imported = try sieve(["hashset", "import", list, "--type", "pdq", "--label", "lab\u{1B}]0;owned\u{07}", "--name", "n\u{1B}[2J", "-o", out])
    #expect(imported.status == 0, "\(imported.stderr)")
    let info = try sieve(["hashset", "info", out])
    #expect(!info.stdout.unicodeScalars.contains("\u{1B}") && info.stdout.contains("n\\x1b[2J"), "\(info.stdout)")
    #expect(info.stdout.contains("lab\\x1b]0;owned\\x07"))
    let keys = dir.path + "/keys.json"
    let refused = try sieve(["serve", "keys", "add", "--keys", keys, "--name", "a\u{1B}[31mb"])
    #expect(refused.status != 0 && refused.stderr.contains("control characters"), "\(refused.stderr)")
  }

  @Test func importInfoVerifyExportRoundTrip() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let out = dir.path + "/sample.sieveset"
    let imported = try sieve(["hashset", "import", Self.sample, "-o", out])
    #expect(imported.status == 0, "\(imported.stderr)")
    #expect(imported.stderr.contains("8 entries: 8 pdq, 8 phash"))
    let info = try sieve(["hashset", "info", out])
    #expect(info.stdout.contains("sieveset v1, checksum "))
    let verify = try sieve(["hashset", "verify", out])
    #expect(verify.status == 0 && verify.stdout.contains(": OK, 8 entries"))
    let export = try sieve(["hashset", "export", out, "--format", "pdq-cli"])
    #expect(export.stdout.split(separator: "\n").count == 8)
    #expect(export.stdout.contains(",100,fixtures/misc-images/wee.jpg"))

    // A damaged file fails verification with status 1.
    var bytes = try TestData.bytes(URL(fileURLWithPath: out))
    bytes[bytes.count - 3] ^= 0x40
    try Data(bytes).write(to: URL(fileURLWithPath: out))
    let bad = try sieve(["hashset", "verify", out])
    #expect(bad.status == 1)
    #expect(bad.stderr.contains("checksum mismatch"))
  }

  /// A set written with its PDQ tables (version 5) says so, verifies, matches exactly
  /// as without them, and `hashset index` adds or removes them.
  @Test func prebuiltIndexRoundTrip() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let plain = dir.path + "/plain.sieveset"
    let indexed = dir.path + "/indexed.sieveset"
    #expect(try sieve(["hashset", "import", Self.sample, "-o", plain]).status == 0)
    let imported = try sieve(["hashset", "import", Self.sample, "--prebuilt-index", "always", "-o", indexed])
    #expect(imported.status == 0, "\(imported.stderr)")
    let info = try sieve(["hashset", "info", indexed])
    #expect(info.stdout.contains("sieveset v5") && info.stdout.contains("PDQ index: "), "\(info.stdout)")
    #expect(try sieve(["hashset", "verify", indexed]).stdout.contains(": OK, 8 entries"))
    let a = try sieve(["match", "--hashset", plain, "--index", "mih", "--format", "csv", Self.images.path])
    let b = try sieve(["match", "--hashset", indexed, "--format", "csv", Self.images.path])
    #expect(a.status == 0 && b.status == 0 && !a.stdout.isEmpty)
    #expect(a.stdout.replacingOccurrences(of: "plain", with: "indexed") == b.stdout)
    let removed = try sieve(["hashset", "index", "--remove", indexed])
    #expect(removed.status == 0 && removed.stderr.contains("no PDQ index"), "\(removed.stderr)")
    #expect(try sieve(["hashset", "info", indexed]).stdout.contains("sieveset v1"))
    let added = try sieve(["hashset", "index", indexed])
    #expect(added.status == 0 && added.stderr.contains("PDQ index: 32 parts"), "\(added.stderr)")
    let text = try sieve(["hashset", "index", Self.sample])
    #expect(text.status == 2 && text.stderr.contains("give -o"))
  }

  @Test func importNamesBadLinesAndNeedsATypeFor64Digits() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let list = try dir.write("list.txt", Array("cfb2009ddd21c6dab0046a7745b5984757a8a4535b3377aea2591d32b33ff940\nnothex\n".utf8))
    let ambiguous = try sieve(["hashset", "import", list, "-o", dir.path + "/x.sieveset"])
    #expect(ambiguous.status == 1)
    #expect(ambiguous.stderr.contains("could be pdq or sha256"))
    let strict = try sieve(["hashset", "import", "--type", "pdq", list, "-o", dir.path + "/x.sieveset"])
    #expect(strict.status == 1)
    #expect(strict.stderr.contains("list.txt:2: "))
    let lenient = try sieve(["hashset", "import", "--type", "pdq", "--skip-bad-lines", list, "-o", dir.path + "/x.sieveset"])
    #expect(lenient.status == 1)
    #expect(lenient.stderr.contains("1 entries: 1 pdq"))
  }

  @Test func matchImagesWithOrientationAndFormats() throws {
    let result = try sieve(["match", "--quiet", "--format", "jsonl", "--hashset", Self.sample, Self.q0122])
    #expect(result.status == 0, "\(result.stderr)")
    let rows = try result.stdout.split(separator: "\n").map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    let pdq = try #require(rows.first { $0["kind"] as? String == "pdq" })
    #expect(pdq["id"] as? String == "fixtures/reg-test-input/labelme-subset/q0122.jpg")
    #expect(pdq["distance"] as? Int == 0)
    #expect(pdq["orientation"] as? String == "original")
    #expect(pdq["set"] as? String == "sample-fixtures.sieve.csv")
  }

  /// The picture at `path` turned 90° counter-clockwise (the result's (x, y) is the
  /// source's (w - 1 - y, x)), as a 24-bit BMP: rows bottom up, BGR, padded to 4 bytes.
  static func turnedBMP(_ path: String) throws -> [UInt8] {
    let image = try ImageDecoder().decodeImage(TestData.bytes(URL(fileURLWithPath: path)))
    #expect(image.layout == .rgb)
    let (w, h) = (image.height, image.width)
    let rowBytes = (w * 3 + 3) / 4 * 4
    var bmp = Array("BM".utf8)
    func le32(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(v).littleEndian, Array.init) }
    func le16(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt16(v).littleEndian, Array.init) }
    bmp += le32(54 + rowBytes * h) + le32(0) + le32(54)
    bmp += le32(40) + le32(w) + le32(h) + le16(1) + le16(24) + le32(0) + le32(rowBytes * h) + le32(2835) + le32(2835) + le32(0) + le32(0)
    for y in (0..<h).reversed() {
      var row = [UInt8](repeating: 0, count: rowBytes)
      for x in 0..<w {
        let (sx, sy) = (image.width - 1 - y, x)
        let p = (sy * image.width + sx) * 3
        (row[x * 3], row[x * 3 + 1], row[x * 3 + 2]) = (image.pixels[p + 2], image.pixels[p + 1], image.pixels[p])
      }
      bmp += row
    }
    return bmp
  }

  /// A copy turned 90° counter-clockwise (written as a BMP here): `--orientations` finds it
  /// turned back clockwise, at distance 0 from the turned full plane, and within a few bits
  /// from the blurred plane (the default) and from a 512-pixel plane.
  @Test func orientationsFindATurnedCopyExactly() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let turned = try dir.write("turned.bmp", try Self.turnedBMP(Self.q0122))
    let set = try sieve(["hash", "--format", "csv", Self.q0122])
    let list = try dir.write("set.csv", Array(set.stdout.utf8))
    func best(_ extra: [String]) throws -> (distance: Int, orientation: String) {
      let matched = try sieve(["match", "--hashset", list, "--format", "jsonl", turned] + extra)
      #expect(matched.status == 0, "\(matched.stderr)")
      let pdq = matched.stdout.split(separator: "\n").compactMap { line in
        try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      }.first { $0["kind"] as? String == "pdq" }
      return (pdq?["distance"] as? Int ?? 999, pdq?["orientation"] as? String ?? "")
    }
    let exact = try best(["--orientations", "--orientation-side", "0"])
    #expect(exact.distance == 0 && exact.orientation == "rot270", "\(exact)")
    let blurred = try best(["--orientations"])
    let reduced = try best(["--orientations", "--orientation-side", "512"])
    let dihedral = try best([])
    #expect(blurred.distance <= 10 && blurred.orientation == "rot270", "\(blurred)")
    #expect(reduced.distance <= 31 && reduced.orientation == "rot270", "\(reduced)")
    #expect(dihedral.distance >= exact.distance, "\(dihedral)")
    let refused = try sieve(["match", "--hashset", list, "--orientations", "--no-dihedral", turned])
    #expect(refused.status == 2)
  }

  @Test func matchPrecomputedHashes() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let hashed = try sieve(["hash", "--quiet", "--format", "csv", Self.q0122])
    let hashes = try dir.write("h.csv", Array(hashed.stdout.utf8))
    let result = try sieve(["match", "--format", "csv", "--hashset", Self.sample, "--hashes", hashes])
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.first == "path,set,id,label,kind,distance,orientation,picture,expected_false_matches,frame_time,query_match,compared_match")
    #expect(lines.contains { $0.hasPrefix("\(Self.q0122),sample-fixtures.sieve.csv,fixtures/reg-test-input/labelme-subset/q0122.jpg,,pdq,0,") })
    #expect(result.stderr.contains("1 of 1 hashes matched"))
  }

  @Test(arguments: [
    ["match", "a.jpg"], ["match", "--hashset", "x.csv"], ["match", "--hashset", "x", "--hashes", "h", "a.jpg"],
    ["match", "--hashset", "x", "--max-distance", "300", "a.jpg"],
  ])
  func matchUsageErrors(arguments: [String]) throws {
    #expect(try sieve(arguments).status == 2)
  }

  @Test func helpStatesTheMeasuredFalseMatchRates() throws {
    let help = try sieve(["match", "--help"])
    // Checked on the text with its line breaks folded, as a person reads it.
    let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    #expect(text.contains("11,325 pairs of different images): PDQ distance <= 31 with quality >= 50 gave 0 false matches"))
    #expect(text.contains("pHash distance <= 8 gave 10 false matches (0.09%)"))
    #expect(text.contains("so pHash is off by default"))
  }
}

@Suite struct DigestMatchTests {
  @Test func hashDigestsEqualCoreutils() throws {
    let wee = TestData.fixtureVectors.appendingPathComponent("pdq/images/misc-images/wee.jpg").path
    let result = try CommandRunner.run("sieve", ["hash", "--quiet", "--digests", "--format", "csv", wee])
    let lines = result.stdout.split(separator: "\n")
    #expect(lines[0].hasSuffix(",pdq_mode,md5,sha1,sha256,frame,timestamp"))
    // From hashsets/sample-fixtures.md5 (md5sum) and sha256sum of the same file.
    #expect(lines[1].hasSuffix(
      ",8bbbaa9540800e378beadc8bbef7bb32,7fdbc7fe30189f0a16fbaae7162c9c5eb3c7987c,05636c50d0c2ffe3a820f964eaba35b404deadd10538fe452ad9fb16fdd823d7,,"))
  }

  @Test func anyFileMatchesAnExactDigestSet() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let file = try dir.write("evidence/notes.txt", Array("benign example file\n".utf8))
    let list = try dir.write("known.md5", Array("8df91469d8da3de6861636f15c491188  notes.txt\n".utf8))
    let result = try CommandRunner.run("sieve", ["match", "--quiet", "--format", "csv", "--hashset", list, dir.path + "/evidence"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("\(file),known.md5,notes.txt,,md5,0,"), "\(result.stdout)")
  }
}
