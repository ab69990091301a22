import Foundation
import GRDB
import SieveCore
import SievePipeline
import SieveTestSupport
import Testing

/// `sieve report`, checked field by field against the case database it reads.
@Suite(.serialized) struct ReportCommandTests {
  /// A scanned case over an evidence tree with repeated images (near-duplicate groups).
  static func scannedCase() throws -> (evidence: TemporaryDirectory, cases: TemporaryDirectory) {
    let evidence = try ScanCommandTests.makeEvidence(copies: 12)
    let cases = try TemporaryDirectory("sieve-case")
    let result = try CommandRunner.run(
      "sieve", ["scan", evidence.path + "/disk", "--case", cases.path + "/c", "--examiner", "Test <Examiner>", "--case-id", "T&1", "--quiet"]
        + ScanCommandTests.sets.flatMap { ["--hashset", $0] })
    #expect(result.status == 1, "\(result.stderr)")  // some evidence files fail to decode
    return (evidence, cases)
  }

  @Test func jsonlCarriesTheRunMatchesAndClusters() throws {
    let (evidence, cases) = try Self.scannedCase()
    defer { evidence.remove(); cases.remove() }
    let result = try CommandRunner.run("sieve", ["report", cases.path + "/c", "--format", "jsonl"])
    #expect(result.status == 0, "\(result.stderr)")
    let records = try result.stdout.split(separator: "\n").map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    let run = try #require(records.first)
    #expect(run["record"] as? String == "run")
    #expect(run["examiner"] as? String == "Test <Examiner>" && run["case_id"] as? String == "T&1")
    #expect((run["files_by_status"] as? [String: Int])?["hashed"] == 12)
    let sets = try #require(run["hashsets"] as? [[String: Any]])
    #expect(sets.count == 2 && sets.allSatisfy { ($0["sha256"] as? String ?? "").count == 64 && ($0["version"] as? String)?.count == 16 })
    #expect((run["parameters"] as? [String: Any])?["max_distance"] as? Int == 31)
    let matches = records.filter { $0["record"] as? String == "match" }
    let dbMatches = try DatabaseQueue(path: cases.path + "/c/case.sqlite").read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM matches")! }
    #expect(matches.count == dbMatches && dbMatches > 0)
    let md5 = try #require(matches.first { $0["kind"] as? String == "md5" })
    #expect((md5["md5"] as? String)?.count == 32 && (md5["sha256"] as? String)?.count == 64)
    #expect(md5["distance"] as? Int == 0)
    // 12 copies of 8 images: the repeats form near-duplicate groups.
    let clusters = records.filter { $0["record"] as? String == "cluster" }
    #expect(!clusters.isEmpty)
    #expect(clusters.allSatisfy { ($0["size"] as? Int ?? 0) >= 2 && ($0["max_link_distance"] as? Int ?? 99) <= 31 })
  }

  @Test func htmlIsOneEscapedFileAndItsSHA256IsRecorded() throws {
    let (evidence, cases) = try Self.scannedCase()
    defer { evidence.remove(); cases.remove() }
    let out = cases.path + "/report.html"
    let result = try CommandRunner.run("sieve", ["report", cases.path + "/c", "--format", "html", "--out", out])
    #expect(result.status == 0, "\(result.stderr)")
    let html = try String(contentsOfFile: out, encoding: .utf8)
    #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
    #expect(html.contains("Test &lt;Examiner&gt;") && html.contains("T&amp;1"))
    #expect(!html.contains("<script") && !html.contains("src=\"http"))
    #expect(html.contains("Near-duplicate groups"))
    let bytes = try TestData.bytes(URL(fileURLWithPath: out))
    let sha256 = bytes.withUnsafeBytes { FileDigests(of: $0).sha256.hexString }
    #expect(result.stderr.contains(sha256))
    let recorded = try DatabaseQueue(path: cases.path + "/c/case.sqlite").read {
      try String.fetchOne($0, sql: "SELECT sha256 FROM reports ORDER BY id DESC LIMIT 1")
    }
    #expect(recorded == sha256)
  }

  @Test func thumbnailsAreOffByDefaultAndBlurredWhenAskedFor() throws {
    let (evidence, cases) = try Self.scannedCase()
    defer { evidence.remove(); cases.remove() }
    let plain = try CommandRunner.run("sieve", ["report", cases.path + "/c", "--format", "html"])
    #expect(!plain.stdout.contains("data:image/jpeg;base64,"))
    let withThumbnails = try CommandRunner.run("sieve", ["report", cases.path + "/c", "--format", "html", "--thumbnails"])
    #expect(withThumbnails.status == 0, "\(withThumbnails.stderr)")
    #expect(withThumbnails.stdout.contains("data:image/jpeg;base64,/9j/"))
    #expect(withThumbnails.stdout.contains(".thumb.blurred{filter:blur("))
    // Revealed one at a time by radio buttons (CSS, no script).
    #expect(withThumbnails.stdout.contains("<input type=\"radio\" name=\"reveal\"><img class=\"thumb blurred\""))
    #expect(!withThumbnails.stdout.contains("<script"))
    // A matched file changed since the scan is not shown as if it were the one that matched.
    let changed = try FileManager.default.subpathsOfDirectory(atPath: evidence.path + "/disk").filter { $0.hasSuffix("IMG_0.dat") }
    let target = evidence.path + "/disk/" + (try #require(changed.first))
    var bytes = try TestData.bytes(URL(fileURLWithPath: target))
    bytes.append(0)
    try Data(bytes).write(to: URL(fileURLWithPath: target))
    let after = try CommandRunner.run("sieve", ["report", cases.path + "/c", "--format", "html", "--thumbnails"])
    #expect(after.stdout.contains("not shown (file missing or changed since the scan)"))
  }

  @Test func csvListsEveryMatchWithDigests() throws {
    let (evidence, cases) = try Self.scannedCase()
    defer { evidence.remove(); cases.remove() }
    let result = try CommandRunner.run("sieve", ["report", cases.path + "/c", "--format", "csv"])
    let all = result.stdout.split(separator: "\n")
    let preamble = all.prefix { $0.hasPrefix("#") }
    #expect(preamble.contains { $0.hasPrefix("# tool: sieve ") })
    #expect(preamble.contains { $0.hasPrefix("# hash sets: ") && $0.contains("sha256") })
    #expect(preamble.contains { $0.hasPrefix("# parameters: ") && $0.contains("max_distance") })
    let lines = all.dropFirst(preamble.count)
    // Eight columns say where a file inside a disk image or an archive lies (empty for
    // folders); every PDQ match carries its false-match estimate.
    #expect(
      lines.first
        == "path,size,md5,sha1,sha256,set,entry,label,kind,distance,orientation,allocation,image,volume,file_system,path_in_file_system,metadata_address,archive,archive_member,picture,expected_false_matches,frame_time,query_match,compared_match,review,category"
    )
    let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
    #expect(rows.allSatisfy { $0.count == 26 && $0[11..<19].allSatisfy(\.isEmpty) && $0[21..<24].allSatisfy(\.isEmpty) })
    // Not reviewed yet: the review column says so, no category.
    #expect(rows.allSatisfy { $0[24] == "unreviewed" && $0[25].isEmpty })
    #expect(rows.filter { $0[8] == "pdq" }.allSatisfy { Double($0[20]) != nil } && rows.contains { $0[8] == "pdq" })
    let dbMatches = try DatabaseQueue(path: cases.path + "/c/case.sqlite").read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM matches")! }
    #expect(lines.count == dbMatches + 1)
  }

  @Test func csvDefusesSpreadsheetFormulasFromHashSets() throws {
    // A hash list whose label is a spreadsheet formula, matched by one evidence file.
    let dir = try TemporaryDirectory("sieve-formula")
    defer { dir.remove() }
    let image = try TestData.bytes(TestData.fixtureVectors.appendingPathComponent("pdq/images/misc-images/wee.jpg"))
    _ = try dir.write("disk/wee.jpg", image)
    let list = try dir.write("list.txt", Array("6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d\n".utf8))
    let scan = try CommandRunner.run(
      "sieve", ["scan", dir.path + "/disk", "--case", dir.path + "/case", "--hashset", list, "--type", "pdq", "--label", "=HYPERLINK(\"x\")", "--quiet"])
    #expect(scan.status == 0, "\(scan.stderr)")
    let report = try CommandRunner.run("sieve", ["report", dir.path + "/case", "--format", "csv"])
    let row = try #require(report.stdout.split(separator: "\n").first { $0.contains("wee.jpg") })
    #expect(row.contains(#""'=HYPERLINK(""x"")""#), "\(row)")
    #expect(report.stdout.contains("# text cells starting with = + - @ are prefixed with '"))
  }

  @Test func vicsExportHasOneMediaRecordPerMatchedFile() throws {
    let (evidence, cases) = try Self.scannedCase()
    defer { evidence.remove(); cases.remove() }
    let result = try CommandRunner.run("sieve", ["report", cases.path + "/c", "--format", "vics"])
    #expect(result.status == 0, "\(result.stderr)")
    let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect((document["odata.metadata"] as? String)?.contains("ProjectVic") == true)
    let media = try #require(document["value"] as? [[String: Any]])
    let matchedFiles = try DatabaseQueue(path: cases.path + "/c/case.sqlite").read {
      try Int.fetchOne($0, sql: "SELECT COUNT(DISTINCT file_id) FROM matches")!
    }
    #expect(media.count == matchedFiles && matchedFiles > 0)
    for (i, record) in media.enumerated() {
      #expect(record["MediaID"] as? Int == i + 1)
      #expect((record["MD5"] as? String)?.count == 32 && (record["SHA1"] as? String)?.count == 40)
      #expect((record["RelativeFilePath"] as? String)?.hasPrefix("folder") == true)
      // VICS categories are numbers: a text label goes to the comments.
      #expect(record["Category"] == nil && (record["Comments"] as? String)?.contains("label example") == true)
      #expect((record["MediaSize"] as? Int ?? 0) > 0)
    }
  }

  @Test func aReportIsNeverWrittenInsideTheEvidence() throws {
    let (evidence, cases) = try Self.scannedCase()
    defer { evidence.remove(); cases.remove() }
    let inside = evidence.path + "/disk/report.html"
    let result = try CommandRunner.run("sieve", ["report", cases.path + "/c", "--out", inside])
    #expect(result.status == 1 && result.stderr.contains("inside the evidence"))
    #expect(!FileManager.default.fileExists(atPath: inside))
  }

  @Test func aFolderWithoutACaseIsAnError() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let result = try CommandRunner.run("sieve", ["report", dir.path])
    #expect(result.status == 1)
    #expect(result.stderr.contains("no case database here"))
  }
}
