import Foundation
import GRDB
import SieveCore
import SievePipeline
import SieveTestSupport
import Testing

/// `sieve scan` and `sieve hash` on disk images (`Scripts/make_disk_images.py`): files
/// in their file systems, live and deleted, are read, hashed, matched and recorded with
/// their location, and reports carry it.
@Suite struct DiskImageScanTests {
  static let fixtures = TestData.repoRoot.appendingPathComponent("Tests/Fixtures").path

  /// A hash set of three pictures written into the images: one deleted from the FAT
  /// image (`gone.jpg`, which FAT keeps as `_one.jpg`), one deleted from the ext4
  /// partition, one live in it.
  static func knownSet(in dir: TemporaryDirectory) throws -> String {
    let pictures = [
      "vectors/pdq/images/misc-images/wee.jpg", "decoding/gray8.png", "vectors/pdq/images/bridge-mods/square-256x256.jpg",
    ].map { fixtures + "/" + $0 }
    let hashed = try CommandRunner.run("sieve", ["hash", "--format", "csv", "--digests"] + pictures)
    #expect(hashed.status == 0, "\(hashed.stderr)")
    return try dir.write("known.csv", Array(hashed.stdout.utf8))
  }

  @Test func scanRecordsFilesInImagesWithTheirLocation() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let set = try Self.knownSet(in: dir)
    let images = [TestData.diskImages + "/fat.E01", TestData.diskImages + "/mbr.dd"]
    let scan = try CommandRunner.run(
      "sieve", ["scan"] + images + ["--case", dir.path + "/case", "--hashset", set, "--examiner", "T", "--case-id", "I-1", "--quiet"])
    #expect(scan.status == 0, "\(scan.stderr)")
    let queue = try DatabaseQueue(path: dir.path + "/case/case.sqlite")
    let rows = try queue.read { db in
      try Row.fetchAll(db, sql: "SELECT path_text, status, allocation, location FROM files ORDER BY path_text")
    }
    #expect(rows.count == 13)
    #expect(rows.filter { ($0["allocation"] as String?) == "deleted" }.count == 3)
    #expect(rows.allSatisfy { ($0["location"] as String?)?.contains("\"file_system\"") == true || ($0["location"] as String?)?.contains("fileSystem") == true })
    let erased = try #require(rows.first { ($0["path_text"] as String).contains("/vol3/home/user/erased.png [deleted, entry") })
    #expect((erased["status"] as String) == "hashed" && (erased["location"] as String).contains("ext4"))

    let jsonl = try CommandRunner.run("sieve", ["report", dir.path + "/case", "--format", "jsonl"])
    let matches = jsonl.stdout.split(separator: "\n").compactMap { line -> [String: Any]? in
      guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], object["record"] as? String == "match"
      else { return nil }
      return object
    }
    // Exact (SHA-256) matches: the three files themselves. (PDQ also matches their
    // resized copies and look-alikes written beside them, as it should.)
    let exact = Set(
      matches.filter { $0["kind"] as? String == "sha256" }
        .compactMap { ($0["location"] as? [String: Any])?["path_in_file_system"] as? String })
    #expect(exact == ["/DCIM/100/_one.jpg", "/home/user/erased.png", "/home/user/h.jpg"], "\(exact)")
    #expect(matches.contains { $0["allocation"] as? String == "deleted" && $0["kind"] as? String == "sha256" })
    // Thumbnails of matched files inside the images, read back through their file systems.
    let html = try CommandRunner.run("sieve", ["report", dir.path + "/case", "--format", "html", "--thumbnails"])
    let thumbnails = html.stdout.components(separatedBy: "src=\"data:image/jpeg;base64,").count - 1
    // One entry (and thumbnail) per matched file, however many matches it has.
    let files = Set(matches.compactMap { $0["path"] as? String }).count
    #expect(thumbnails == files && thumbnails > 0, "\(thumbnails) thumbnails for \(files) matched files")
    let csv = try CommandRunner.run("sieve", ["report", dir.path + "/case", "--format", "csv"])
    #expect(csv.stdout.contains(",allocation,image,volume,file_system,path_in_file_system,metadata_address"))
    #expect(csv.stdout.contains(",deleted,\(TestData.diskImages)/mbr.dd,3,ext4,/home/user/erased.png,"), "\(csv.stdout)")
  }

  /// An E01's media is read whole and checked against the MD5 stored at acquisition: said,
  /// and recorded with the run; a changed image is said loudly, recorded, and the scan
  /// exits 1 (it still goes on).
  @Test func e01ImagesAreVerifiedAgainstTheirStoredMD5() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: TestData.diskImages + "/manifest.json")))
    let md5 = try #require((manifest as? [String: Any])?["fat.E01.md5"] as? String)
    func scan(_ image: String, _ name: String) throws -> (CommandRunner.Result, String) {
      let result = try CommandRunner.run(
        "sieve", ["scan", TestData.diskImages + "/" + image, "--case", dir.path + "/" + name, "--hashset", ScanCommandTests.sets[0],
                  "--examiner", "T", "--case-id", "E-1"])
      let report = try CommandRunner.run("sieve", ["report", dir.path + "/" + name, "--format", "csv"])
      return (result, report.stdout)
    }
    let (good, goodReport) = try scan("fat.E01", "good")
    #expect(good.status == 0 && good.stderr.contains("media MD5 verified against the MD5 stored at acquisition (\(md5))"), "\(good.stderr)")
    #expect(goodReport.contains("# note: \(TestData.diskImages)/fat.E01: media MD5 \(md5) verified"))
    let (bad, badReport) = try scan("tampered.E01", "bad")
    #expect(bad.status == 1 && bad.stderr.contains("WARNING: \(TestData.diskImages)/tampered.E01: the media's MD5 is "), "\(bad.stderr)")
    #expect(bad.stderr.contains("but the image stored \(md5) at acquisition"))
    #expect(badReport.contains("MEDIA MD5 MISMATCH"))
  }

  /// `sieve scan --carve`: the pictures planted in free clusters are recorded as carved,
  /// with their offsets; export copies them out too.
  @Test func carvedPicturesAreRecordedAndExported() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let set = try Self.knownSet(in: dir)
    let scan = try CommandRunner.run(
      "sieve", ["scan", TestData.diskImages + "/fat.dd", "--carve", "--case", dir.path + "/case", "--hashset", set, "--examiner", "T",
                "--case-id", "C-1", "--quiet"])
    #expect(scan.status == 0, "\(scan.stderr)")
    let queue = try DatabaseQueue(path: dir.path + "/case/case.sqlite")
    let carved = try queue.read { db in
      try Row.fetchAll(db, sql: "SELECT path_text, status, location FROM files WHERE allocation = 'carved' ORDER BY path_text")
    }
    #expect(carved.count == 6 && carved.allSatisfy { ($0["status"] as String) == "hashed" })
    #expect(carved.allSatisfy { ($0["location"] as String).contains("\"carvedOffset\"") })
    let parameters = try queue.read { db in try String.fetchOne(db, sql: "SELECT parameters FROM runs") }
    #expect(parameters?.contains("\"carve\":true") == true)
    // square-256x256.jpg is in the set and was planted: its carve matches exactly.
    let export = try CommandRunner.run("sieve", ["export", dir.path + "/case", "--matched", "--out", dir.path + "/out"])
    #expect(export.status == 0, "\(export.stderr)")
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/out")
    #expect(names.contains { $0.hasSuffix(".jpg") && $0.contains("-3") }, "\(names)")
  }

  /// An image whose own path is not UTF-8 (`disk-\xff.dd`): the files in it are recorded,
  /// and read back for thumbnails and export from the image's exact bytes.
  @Test func anImageWhosePathIsNotUTF8IsReadBack() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let set = try Self.knownSet(in: dir)
    let sieve = CommandRunner.productsDirectory.appendingPathComponent("sieve").path
    let script = """
      image=$(printf '%s/disk-\\377.dd' "$1"); cat "$2" > "$image"
      "$3" scan "$image" --case "$1/case" --hashset "$4" --quiet && "$3" export "$1/case" --matched --out "$1/out" \\
        && "$3" report "$1/case" --format html --thumbnails --out "$1/report.html"
      """
    let shell = Process()
    shell.executableURL = URL(fileURLWithPath: "/bin/sh")
    shell.arguments = ["-c", script, "sh", dir.path, TestData.diskImages + "/mbr.dd", sieve, set]
    let errors = Pipe()
    shell.standardError = errors
    try shell.run()
    let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    shell.waitUntilExit()
    #expect(shell.terminationStatus == 0, "\(stderr)")
    let manifest = try String(contentsOfFile: dir.path + "/out/manifest.csv", encoding: .utf8)
    #expect(manifest.contains("disk-\\xff.dd!/vol3/home/user/h.jpg") && !manifest.contains("not copied"), "\(manifest)")
    let html = try String(contentsOfFile: dir.path + "/report.html", encoding: .utf8)
    #expect(html.contains("src=\"data:image/jpeg;base64,") && !html.contains("not shown (file missing"))
  }

  /// Killed with SIGKILL in the middle of an ext4 image (made with mkfs.ext4 -d from the
  /// folder evidence of the scan tests) and run again: the same run completes, equal to an
  /// uninterrupted scan of the image, carved pictures included.
  @Test(arguments: [9, 30])
  func aKilledImageScanResumesToTheSameResult(killAfter: Int) throws {
    let evidence = try ScanCommandTests.makeEvidence(copies: 48)
    defer { evidence.remove() }
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let image = dir.path + "/disk.ext4"
    let make = Process()
    make.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    make.arguments = ["mkfs.ext4", "-q", "-F", "-d", evidence.path + "/disk", image, "32M"]
    make.standardOutput = FileHandle.nullDevice
    make.standardError = FileHandle.nullDevice
    try make.run()
    make.waitUntilExit()
    #expect(make.terminationStatus == 0)
    func arguments(_ caseFolder: String) -> [String] {
      ["scan", image, "--carve", "--case", caseFolder, "--examiner", "T", "--case-id", "R-1", "--commit-every", "4", "--quiet"]
        + ScanCommandTests.sets.flatMap { ["--hashset", $0] }
    }
    let reference = dir.path + "/reference"
    #expect(try CommandRunner.run("sieve", arguments(reference)).status == 1)
    let expected = try ScanCommandTests.contents(reference)
    #expect(expected.files.count >= 50 && expected.files.contains { $0.contains("!/folder1/deeper/IMG_1.jpg|hashed|jpeg|") })

    try ScanCommandTests.killAndResume(arguments, caseFolder: dir.path + "/resumed", killAfter: killAfter, expected: expected)
  }

  /// Debian's `forensics-samples-exfat`: an exFAT file system (in a DOS partition table)
  /// into which the package's original files were copied, then every folder ending in `2`
  /// deleted. Every JPEG of `forensics-samples-files` is found with its MD5: the live ones
  /// under their paths, the deleted ones (exFAT keeps their entries) marked deleted; and
  /// the thumbnail inside each OpenDocument file (a zip), the deleted one's too.
  @Test func debianExFATSampleIsReadWithItsDeletedFiles() throws {
    let samples = "/usr/share/forensics-samples"
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let image = dir.path + "/fs.exfat"
    let unpack = Process()
    unpack.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    unpack.arguments = ["sh", "-c", "xz -dc \"$0\" > \"$1\"", samples + "/fs.exfat.xz", image]
    try unpack.run()
    unpack.waitUntilExit()
    #expect(unpack.terminationStatus == 0, "forensics-samples-exfat is installed by Scripts/setup.sh and .ci/run")
    let hashed = try CommandRunner.run("sieve", ["hash", "--format", "csv", "--digests", image])
    var md5ByPath: [String: String] = [:]
    let lines = hashed.stdout.split(separator: "\n").map(String.init)
    let header = lines.first?.split(separator: ",").map(String.init) ?? []
    let md5Column = try #require(header.firstIndex(of: "md5"))
    for line in lines.dropFirst() {
      // The path is quoted when it holds a comma (`[deleted, entry N]`); the rest never is.
      var path = line
      var rest = Substring(line)
      if line.hasPrefix("\""), let end = line.range(of: "\",", range: line.index(after: line.startIndex)..<line.endIndex) {
        path = String(line[line.index(after: line.startIndex)..<end.lowerBound])
        rest = line[end.upperBound...]
      } else if let comma = line.firstIndex(of: ",") {
        path = String(line[..<comma])
        rest = line[line.index(after: comma)...]
      }
      let cells = [path] + rest.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      md5ByPath[path] = cells[md5Column]
    }
    let originals = samples + "/original-files"
    var checked = 0
    for folder in ["pic1", "pic2"] {
      for name in try FileManager.default.contentsOfDirectory(atPath: originals + "/" + folder)
      where name.lowercased().hasSuffix(".jpg") && name != "empty.jpg" {
        let want = try TestData.bytes(URL(fileURLWithPath: originals + "/" + folder + "/" + name)).withUnsafeBytes {
          FileDigests(of: $0).md5.hexString
        }
        let prefix = image + "!/vol2/" + folder + "/" + name
        let found = md5ByPath.filter { $0.key == prefix || ($0.key.hasPrefix(prefix + " [deleted, entry ") && folder == "pic2") }
        #expect(found.count == 1 && found.first?.value == want, "\(folder)/\(name): \(found)")
        checked += 1
      }
    }
    #expect(checked == 8)
    #expect(md5ByPath.keys.contains(image + "!/vol2/text1/a-text.odt!/Thumbnails/thumbnail.png"))
    #expect(md5ByPath.keys.contains { $0.hasPrefix(image + "!/vol2/text2/d-text.odt [deleted, entry ") && $0.hasSuffix("]!/Thumbnails/thumbnail.png") })
  }

  /// The Sleuth Kit is loaded when a disk image comes (OnDemandLibrary); where it cannot
  /// be (here a file that is not a library stands in for it on LD_LIBRARY_PATH), the image
  /// is said not to be read as one, and why, naming the package to install, and the run
  /// goes on. libheif likewise for a HEIF picture.
  @Test func aMissingLibraryIsNamedWithItsPackage() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    for name in ["libtsk.so.19", "libheif.so.1"] { _ = try dir.write(name, Array("not a library".utf8)) }
    let heic = TestData.repoRoot.appendingPathComponent("Tests/Fixtures/formats/photo.heic").path
    let result = try CommandRunner.run(
      "sieve", ["hash", "--format", "csv", TestData.diskImages + "/fat.dd", heic, HashCommandTests.q0122],
      environment: ["LD_LIBRARY_PATH": dir.path])
    #expect(result.status == 1)
    #expect(result.stderr.contains("\(TestData.diskImages)/fat.dd: not read as a disk image: libtsk.so.19 cannot be loaded ("), "\(result.stderr)")
    #expect(result.stderr.contains("install Debian's package libtsk19 to read disk images"))
    #expect(result.stderr.contains("\(heic): "))
    #expect(result.stderr.contains("libheif.so.1 cannot be loaded ("))
    #expect(result.stderr.contains("install Debian's package libheif1 to read HEIF and AVIF images"))
    // The JPEG is hashed all the same.
    #expect(result.stdout.split(separator: "\n").count == 2 && result.stdout.contains(HashCommandTests.q0122))
  }

  /// `sieve hash` on a split image names the first segment and finds what the raw one has.
  @Test func hashReadsSplitImages() throws {
    let split = try CommandRunner.run("sieve", ["hash", "--format", "csv", TestData.diskImages + "/fat.001"])
    let raw = try CommandRunner.run("sieve", ["hash", "--format", "csv", TestData.diskImages + "/fat.dd"])
    #expect(split.status == 0 && raw.status == 0, "\(split.stderr)")
    #expect(split.stdout.split(separator: "\n").count == 8)  // header and 7 pictures
    #expect(split.stdout.replacingOccurrences(of: "/fat.001!", with: "/fat.dd!") == raw.stdout)
  }
}
