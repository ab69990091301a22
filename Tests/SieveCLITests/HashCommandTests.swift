import Foundation
import SieveTestSupport
import Testing

/// End-to-end tests of `sieve hash`: the real binary, run as a child process.
@Suite struct HashCommandTests {
  static let vectors = TestData.fixtureVectors.appendingPathComponent("pdq")
  static let images = vectors.appendingPathComponent("images")
  static let q0122 = images.appendingPathComponent("reg-test-input/labelme-subset/q0122.jpg").path
  static let shrink = images.appendingPathComponent("bridge-mods/shrink-a-little.jpg").path

  func sieve(_ arguments: String...) throws -> CommandRunner.Result {
    try CommandRunner.run("sieve", arguments)
  }

  /// The expected row of a vector CSV for an image path under `images`.
  func expected(_ csv: String, _ path: String) throws -> [String: String] {
    let relative = String(path.dropFirst(Self.images.path.count + 1))
    return try #require(TestData.csv(Self.vectors.appendingPathComponent(csv)).first { $0["file"] == relative })
  }

  @Test func csvHasTheDocumentedHeaderAndReferenceValues() throws {
    let result = try sieve("hash", "--quiet", "--format", "csv", Self.q0122, Self.shrink)
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n").map(String.init)
    #expect(lines.first == "path,pdq,pdq_quality,phash,width,height,format,pdq_mode,frame,timestamp")
    #expect(lines.count == 3)
    let rows = lines.dropFirst().map(TestData.fields)
    for row in rows {
      let reference = try expected("expected_core_fullres_pillow.csv", row[0])
      #expect(row[1] == reference["pdq_hex"])
      #expect(row[2] == reference["quality"])
      #expect(row[4] == reference["width"] && row[5] == reference["height"])
      #expect(row[6] == "jpeg" && row[7] == "fullres")
      #expect(row[3].count == 16)
    }
    #expect(result.stderr.isEmpty)
  }

  /// Hashing a JPEG loads neither The Sleuth Kit, libewf, libarchive nor libheif (with the
  /// 40-odd libraries behind them): the dynamic loader's log (LD_DEBUG=libs) names every
  /// library a process looks for. A HEIF image loads libheif when it comes.
  @Test func startUpLoadsOnlyWhatTheFilesNeed() throws {
    func librariesSought(_ arguments: [String]) throws -> (CommandRunner.Result, [String]) {
      let result = try CommandRunner.run("sieve", arguments, environment: ["LD_DEBUG": "libs"])
      let sought = result.stderr.split(separator: "\n").compactMap { line -> String? in
        guard let at = line.range(of: "find library=") else { return nil }
        return String(line[at.upperBound...].prefix { $0 != " " })
      }
      return (result, sought)
    }
    let (jpeg, forJPEG) = try librariesSought(["hash", "--quiet", Self.q0122])
    #expect(jpeg.status == 0)
    #expect(forJPEG.contains("libjpeg.so.62"))
    for onDemand in ["libtsk", "libewf", "libarchive", "libheif"] {
      #expect(!forJPEG.contains { $0.hasPrefix(onDemand) }, "\(onDemand) loaded to hash a JPEG")
    }
    let heic = TestData.repoRoot.appendingPathComponent("Tests/Fixtures/formats/photo.heic").path
    let (heif, forHEIF) = try librariesSought(["hash", "--quiet", "--format", "csv", heic])
    #expect(heif.status == 0)
    #expect(forHEIF.contains("libheif.so.1"))
    #expect(heif.stdout.contains(",heif,fullres,"))
  }

  /// Names holding an escape sequence, a newline that would forge an output line, a
  /// carriage return and a right-to-left override are escaped in text output and on
  /// standard error; JSON Lines keeps the name exact (as JSON escapes).
  @Test func controlCharactersInNamesAreEscapedForTerminals() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let good = try dir.write("ok\u{1B}[2J\nq0122.jpg: FORGED\u{202E}gpj.jpg", TestData.bytes(URL(fileURLWithPath: Self.q0122)))
    _ = try dir.write("bad\r\u{1B}]0;title\u{07}.jpg", [0xFF, 0xD8, 0xFF, 0x00])
    let text = try sieve("hash", "--quiet", dir.path)
    #expect(text.status == 1)
    for output in [text.stdout, text.stderr] {
      #expect(!output.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\r" || $0 == "\u{202E}" || $0 == "\u{07}" }, "\(output)")
    }
    #expect(text.stdout.split(separator: "\n").count == 1 && text.stdout.contains("ok\\x1b[2J\\x0aq0122.jpg: FORGED\\u{202e}gpj.jpg"))
    #expect(text.stderr.contains("bad\\x0d\\x1b]0;title\\x07.jpg: "), "\(text.stderr)")
    let json = try sieve("hash", "--quiet", "--format", "jsonl", good)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect(object["path"] as? String == good)
  }

  @Test func referenceCLIModeAndDihedralColumns() throws {
    let result = try sieve("hash", "--quiet", "--format", "csv", "--dihedral", "--pdq-mode", "reference-cli", Self.shrink)
    #expect(result.status == 0)
    let lines = result.stdout.split(separator: "\n").map(String.init)
    #expect(lines[0].hasSuffix(",pdq_mode,pdq_rot90,pdq_rot180,pdq_rot270,pdq_flipx,pdq_flipy,pdq_flip_plus1,pdq_flip_minus1,frame,timestamp"))
    let row = TestData.fields(lines[1])
    let reference = try expected("expected_reference_cli.csv", Self.shrink)
    #expect(row[1] == reference["pdq_hex"])
    #expect(row[7] == "reference-cli")
    #expect(Array(row[8..<15]) == ["rot90", "rot180", "rot270", "flipx", "flipy", "flip_plus1", "flip_minus1"].map { reference[$0]! })
    #expect(Array(row[15...]) == ["", ""])
  }

  @Test func jsonLinesAreJSONObjectsWithTheMode() throws {
    let result = try sieve("hash", "--quiet", "--format", "jsonl", "--dihedral", Self.q0122)
    #expect(result.status == 0)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(object["path"] as? String == Self.q0122)
    #expect(object["pdq"] as? String == "cfb2009ddd21c6dab0046a7745b5984757a8a4535b3377aea2591d32b33ff940")
    #expect(object["pdq_quality"] as? Int == 100)
    #expect(object["pdq_mode"] as? String == "fullres")
    #expect((object["pdq_dihedral"] as? [String: String])?.count == 7)
    #expect(object["width"] as? Int == 256)
  }

  @Test func textOutputEndsWithThePath() throws {
    let result = try sieve("hash", "--quiet", Self.q0122)
    #expect(result.status == 0)
    #expect(result.stdout.hasPrefix("cfb2009ddd21c6dab0046a7745b5984757a8a4535b3377aea2591d32b33ff940  q100"))
    #expect(result.stdout.hasSuffix("  fullres  \(Self.q0122)\n"))
  }

  @Test func aBadFileIsOneStderrLineAndTheRunGoesOn() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let jpeg = try TestData.bytes(URL(fileURLWithPath: Self.q0122))
    let truncated = try dir.write("broken.jpg", Array(jpeg.prefix(jpeg.count / 3)))
    let good = try dir.write("sub/good.png.bak", jpeg)
    try dir.write("readme.txt", Array("hello".utf8))
    let result = try sieve("hash", "--format", "csv", dir.path)
    #expect(result.status == 1)
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.count == 2)
    #expect(lines[1].hasPrefix(good + ","))
    let errors = result.stderr.split(separator: "\n").map(String.init)
    #expect(errors.contains { $0.hasPrefix("\(truncated): truncated") }, "\(errors)")
    #expect(errors.last?.hasPrefix("sieve: hashed 1 image, 1 failed, 1 skipped (not images)") == true, "\(errors)")
  }

  @Test func missingFilesAndLimitsFailWithStatus1() throws {
    let result = try sieve("hash", "--quiet", "--max-pixels", "1000", Self.q0122, "/nonexistent/x.jpg")
    #expect(result.status == 1)
    #expect(result.stderr.contains("/nonexistent/x.jpg: No such file or directory"))
    #expect(result.stderr.contains("\(Self.q0122): image is 256×256, over the limit of 1000 pixels"))
    #expect(result.stdout.isEmpty)
  }

  @Test(arguments: [
    ["hash", "--format", "xml", "a.jpg"], ["hash", "--bogus", "a.jpg"], ["hash"], ["hash", "--jobs", "0", "a.jpg"],
    ["hash", "--memory-limit", "lots", "a.jpg"], ["hash", "--max-seconds", "inf", "a.jpg"],
    ["hash", "--max-seconds", "-1", "a.jpg"],
  ])
  func usageErrorsExitWith2(arguments: [String]) throws {
    let result = try CommandRunner.run("sieve", arguments)
    #expect(result.status == 2, "\(arguments): \(result.stderr)")
    #expect(!result.stderr.isEmpty)
  }

  @Test func aFailedOutputWriteIsStatus1WithAMessage() throws {
    // /dev/full: every write fails with ENOSPC.
    let process = Process()
    process.executableURL = CommandRunner.productsDirectory.appendingPathComponent("sieve")
    process.arguments = ["hash", "--quiet", Self.q0122]
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/full"))
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 1)
    #expect(text.contains("sieve: cannot write the output: No space left on device"), "\(text)")
  }

  @Test func helpTeachesAndExitsZero() throws {
    let result = try sieve("hash", "--help")
    #expect(result.status == 0)
    for phrase in ["--pdq-mode", "reference-cli", "--dihedral", "--max-pixels", "--memory-limit", "Examples:"] {
      #expect(result.stdout.contains(phrase), "help lacks \(phrase)")
    }
    let version = try sieve("--version")
    #expect(version.stdout.contains("libjpeg"))
  }

  @Test func aSmallMemoryLimitStillHashesEverything() throws {
    let result = try sieve("hash", "--quiet", "--format", "csv", "--memory-limit", "64K", "--jobs", "2", Self.images.path)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.split(separator: "\n").count == 1 + 8)
  }
}
