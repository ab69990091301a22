import Foundation
import SieveCore
import SievePipeline
import SieveTestSupport
import Testing

@testable import SieveCase

/// `sieve export CASE --matched --out DIR`: matched files copied out of folders and disk
/// images, each verified against the digest the scan recorded.
@Suite struct ExportCommandTests {
  static func manifest(_ folder: String) throws -> [[String: String]] {
    try TestData.csv(URL(fileURLWithPath: folder + "/manifest.csv"))
  }

  /// From a folder and two disk images: every matched file is written, read-only, under a
  /// numbered name, with the bytes that were scanned; the manifest lists each with its
  /// location; a second export into the same folder is refused, as is one inside the
  /// evidence.
  @Test func matchedFilesAreCopiedAndVerified() throws {
    let evidence = try ScanCommandTests.makeEvidence(copies: 4)
    defer { evidence.remove() }
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let set = try DiskImageScanTests.knownSet(in: dir)
    let roots = [evidence.path + "/disk", TestData.diskImages + "/fat.E01", TestData.diskImages + "/mbr.dd"]
    let scan = try CommandRunner.run(
      "sieve", ["scan"] + roots + ["--case", dir.path + "/case", "--hashset", set, "--hashset", ScanCommandTests.sets[0], "--examiner", "T",
                                   "--case-id", "X-1", "--quiet"])
    #expect(scan.status <= 1, "\(scan.stderr)")
    let out = dir.path + "/export"
    let export = try CommandRunner.run("sieve", ["export", dir.path + "/case", "--matched", "--out", out])
    #expect(export.status == 0, "\(export.stderr)")
    let rows = try Self.manifest(out)
    #expect(rows.count >= 7 && rows.allSatisfy { $0["status"] == "copied" }, "\(rows.map { $0["status"] ?? "-" })")
    #expect(rows.contains { $0["allocation"] == "deleted" && $0["image"]?.hasSuffix("/fat.E01") == true })
    #expect(rows.contains { $0["path"]?.hasPrefix(evidence.path + "/disk/") == true && ($0["image"] ?? "").isEmpty })
    for (i, row) in rows.enumerated() {
      let name = try #require(row["file"])
      #expect(name.hasPrefix(String(format: "%05d-", i + 1)) && !name.contains("/"))
      let bytes = try TestData.bytes(URL(fileURLWithPath: out + "/" + name))
      #expect(bytes.withUnsafeBytes { FileDigests(of: $0).sha256.hexString } == row["sha256"])
      let mode = try #require(try FileManager.default.attributesOfItem(atPath: out + "/" + name)[.posixPermissions] as? Int)
      #expect(mode & 0o222 == 0)
    }
    #expect(export.stderr.contains("manifest.csv SHA-256 "))
    let again = try CommandRunner.run("sieve", ["export", dir.path + "/case", "--matched", "--out", out])
    #expect(again.status == 1 && again.stderr.contains("not empty"), "\(again.stderr)")
    let inside = try CommandRunner.run("sieve", ["export", dir.path + "/case", "--matched", "--out", evidence.path + "/disk/out"])
    #expect(inside.status == 1 && inside.stderr.contains("inside the evidence"), "\(inside.stderr)")
    #expect(!FileManager.default.fileExists(atPath: evidence.path + "/disk/out"))
  }

  /// A matched file changed since the scan is not copied: the manifest says why, the
  /// others are copied, and the exit status is 1.
  @Test func aChangedFileIsNotCopied() throws {
    let evidence = try ScanCommandTests.makeEvidence(copies: 3)
    defer { evidence.remove() }
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let scan = try CommandRunner.run(
      "sieve", ["scan", evidence.path + "/disk", "--case", dir.path + "/case", "--hashset", ScanCommandTests.sets[0], "--examiner", "T",
                "--case-id", "X-2", "--quiet"])
    #expect(scan.status <= 1, "\(scan.stderr)")
    let changed = evidence.path + "/disk/folder1/deeper/IMG_1.jpg"
    let handle = try #require(FileHandle(forWritingAtPath: changed))
    handle.seekToEndOfFile()
    handle.write(Data([0xFF, 0xD9]))
    try handle.close()
    let out = dir.path + "/export"
    let export = try CommandRunner.run("sieve", ["export", dir.path + "/case", "--matched", "--out", out])
    #expect(export.status == 1, "\(export.stderr)")
    let rows = try Self.manifest(out)
    let row = try #require(rows.first { $0["path"] == changed })
    #expect(row["file"] == "" && row["status"]?.contains("its SHA-256 is now") == true, "\(row)")
    #expect(rows.filter { $0["status"] == "copied" }.count == rows.count - 1)
  }

  /// Names from the evidence (hostile ones included) cannot leave the export folder,
  /// hide as dot files or carry control characters; long ones keep their end.
  @Test func namesCannotLeaveTheFolder() {
    #expect(CaseExporter.safeName("../../etc/passwd") == "_._.._etc_passwd")
    #expect(CaseExporter.safeName("a\nb\u{7}.jpg") == "a_b_.jpg")
    #expect(CaseExporter.safeName(String(repeating: "x", count: 300) + ".jpg") == String(repeating: "x", count: 96) + ".jpg")
    #expect(CaseExporter.safeName("") == "file")
  }
}
