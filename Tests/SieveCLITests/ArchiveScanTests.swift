import Foundation
import GRDB
import SieveTestSupport
import Testing

/// `sieve scan`, `hash`, `report` and `export` on archives: members of archives in folders,
/// in disk images and in other archives are read, hashed, matched and recorded as files
/// named `outer!/member`, with their location chain; encrypted members, bombs and deep
/// nesting are recorded with their reasons; a killed scan resumes to the same result.
@Suite struct ArchiveScanTests {
  static let fixtures = TestData.repoRoot.appendingPathComponent("Tests/Fixtures").path
  static let pictures = [
    "vectors/pdq/images/bridge-mods/shrink-a-little.jpg", "vectors/pdq/images/bridge-mods/shrink-a-lot.jpg",
    "vectors/pdq/images/bridge-mods/square-128x128.jpg",
  ].map { fixtures + "/" + $0 }

  /// Evidence made by Python's zipfile and tarfile (and `zip -P`): a tar.gz holding a
  /// picture and a zip (holding another picture and a text), a tar holding two members of
  /// one name, a password-protected zip, a 200 MB zip bomb, ten zips nested in each other,
  /// a plain picture, and a folder named like an archive member (`outer.tar.gz!`).
  static func makeEvidence(in dir: TemporaryDirectory) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "python3", "-c",
      """
      import io, os, sys, tarfile, zipfile
      out = sys.argv[1]; a, b, c = (open(p, 'rb').read() for p in sys.argv[2:5])
      def tar_add(t, name, data, mtime=1500000000):
          info = tarfile.TarInfo(name); info.size = len(data); info.mtime = mtime; t.addfile(info, io.BytesIO(data))
      inner = io.BytesIO()
      with zipfile.ZipFile(inner, 'w', zipfile.ZIP_DEFLATED) as z:
          z.writestr(zipfile.ZipInfo('DCIM/a.jpg', (2021, 5, 6, 7, 8, 10)), a); z.writestr('notes.txt', b'benign notes')
      with tarfile.open(out + '/outer.tar.gz', 'w:gz') as t:
          tar_add(t, 'photos/b.jpg', b); tar_add(t, 'inner.zip', inner.getvalue())
      with tarfile.open(out + '/twice.tar', 'w') as t:
          tar_add(t, 'same.jpg', c); tar_add(t, 'same.jpg', b'not a picture')
      with zipfile.ZipFile(out + '/bomb.zip', 'w', zipfile.ZIP_DEFLATED) as z:
          z.writestr('zeros.bin', bytes(200 << 20))
      data, name = c, 'photo.jpg'
      for level in range(10, 0, -1):
          buffer = io.BytesIO()
          with zipfile.ZipFile(buffer, 'w') as z: z.writestr(name, data)
          data, name = buffer.getvalue(), 'level%d.zip' % level
      open(out + '/nested.zip', 'wb').write(data)
      open(out + '/plain.jpg', 'wb').write(c)
      os.makedirs(out + '/outer.tar.gz!/photos')
      open(out + '/outer.tar.gz!/photos/b.jpg', 'wb').write(b'a folder named like an archive member')
      """,
      dir.path + "/ev",
    ] + pictures
    try FileManager.default.createDirectory(atPath: dir.path + "/ev", withIntermediateDirectories: true)
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let locked = Process()
    locked.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    locked.arguments = ["zip", "-q", "-j", "-P", "secret", dir.path + "/ev/locked.zip", pictures[2]]
    try locked.run()
    locked.waitUntilExit()
    #expect(locked.terminationStatus == 0)
    return dir.path + "/ev"
  }

  /// A set of the three pictures (PDQ, pHash, digests).
  static func knownSet(in dir: TemporaryDirectory) throws -> String {
    let hashed = try CommandRunner.run("sieve", ["hash", "--format", "csv", "--digests"] + pictures)
    #expect(hashed.status == 0, "\(hashed.stderr)")
    return try dir.write("known.csv", Array(hashed.stdout.utf8))
  }

  static func rows(_ caseFolder: String) throws -> [String: Row] {
    let queue = try DatabaseQueue(path: caseFolder + "/case.sqlite")
    let rows = try queue.read { db in
      try Row.fetchAll(db, sql: "SELECT path_text, status, type, error, archive_member, location, modified, sha256 FROM files")
    }
    return Dictionary(uniqueKeysWithValues: rows.map { ($0["path_text"] as String, $0) })
  }

  @Test func scanRecordsArchiveMembersWithTheirChain() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let evidence = try Self.makeEvidence(in: dir)
    let set = try Self.knownSet(in: dir)
    let scan = try CommandRunner.run(
      "sieve", ["scan", evidence, TestData.diskImages + "/gpt.dd", "--case", dir.path + "/case", "--hashset", set, "--quiet"])
    // 1: the bomb and the nesting past the limit are failures, recorded with their reasons.
    #expect(scan.status == 1, "\(scan.stderr)")
    let rows = try Self.rows(dir.path + "/case")
    func status(_ path: String) -> String? { rows[evidence + "/" + path]?["status"] }
    func error(_ path: String) -> String { rows[evidence + "/" + path]?["error"] ?? "" }

    #expect(status("outer.tar.gz") == "archive" && (rows[evidence + "/outer.tar.gz"]?["type"] as String?) == "tar+gzip")
    // A folder named like the member (`outer.tar.gz!/photos/b.jpg`) keeps its path; the
    // member is told apart, on every run alike.
    #expect(status("outer.tar.gz!/photos/b.jpg") == "not_image")
    #expect(status("outer.tar.gz!/photos/b.jpg [archive member]") == "hashed")
    #expect(status("outer.tar.gz!/inner.zip") == "archive")
    #expect(status("outer.tar.gz!/inner.zip!/DCIM/a.jpg") == "hashed")
    #expect(status("outer.tar.gz!/inner.zip!/notes.txt") == "not_image")
    // The archive's own times: tar's mtime, zip's local DOS time.
    #expect((rows[evidence + "/outer.tar.gz!/photos/b.jpg [archive member]"]?["modified"] as Double?) == 1_500_000_000)
    let member = try #require(rows[evidence + "/outer.tar.gz!/inner.zip!/DCIM/a.jpg"]?["archive_member"] as String?)
    let chain = try JSONSerialization.jsonObject(with: Data(member.utf8)) as? [String: Any]
    #expect(chain?["container_path_length"] as? Int == (evidence + "/outer.tar.gz").utf8.count)
    #expect((chain?["steps"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["inner.zip", "DCIM/a.jpg"])
    #expect(rows.keys.filter { $0.hasPrefix(evidence + "/outer.tar.gz!/photos/b.jpg") }.count == 2, "\(rows.keys.sorted())")
    // Two members of one name.
    #expect(status("twice.tar!/same.jpg") == "hashed" && status("twice.tar!/same.jpg [entry 1]") == "not_image")
    #expect(status("locked.zip") == "archive" && status("locked.zip!/square-128x128.jpg") == "encrypted")
    #expect(status("bomb.zip") == "failed" && error("bomb.zip").contains("expands more than 1000 times"), "\(error("bomb.zip"))")
    #expect(status("bomb.zip!/zeros.bin") == "failed")
    let deepest = "nested.zip!/level2.zip!/level3.zip!/level4.zip!/level5.zip!/level6.zip"
    #expect(status(deepest) == "failed" && error(deepest).contains("nested deeper than 5"), "\(error(deepest))")
    #expect(!rows.keys.contains { $0.hasSuffix("photo.jpg") })
    // Inside a disk image: the zip's location, then the members down to the file.
    let image = TestData.diskImages + "/gpt.dd!/vol4/photos.zip"
    let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: TestData.diskImages + "/manifest.json")))
    let archived = try #require(((manifest as? [String: Any])?["gpt.dd.archive"] as? [String: Any])?["members"] as? [[String: Any]])
    for want in archived {
      let row = try #require(rows[image + "!/" + (want["path"] as! String)], "\(want)")
      #expect((row["status"] as String) == "hashed" && (row["sha256"] as String?) == want["sha256"] as? String)
      #expect((row["location"] as String?)?.contains("\"pathInFileSystem\":\"/photos.zip\"") == true, "\(row)")
    }
    #expect((rows[image + "!/inner.tar.gz!/deep/in-tar.png"]?["modified"] as Double?) == 1_600_000_000)

    // Reports: the chain in jsonl, csv and VICS.
    let jsonl = try CommandRunner.run("sieve", ["report", dir.path + "/case", "--format", "jsonl"])
    let matches = jsonl.stdout.split(separator: "\n").compactMap { line -> [String: Any]? in
      guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], object["record"] as? String == "match"
      else { return nil }
      return object
    }
    let exact = matches.filter { $0["kind"] as? String == "sha256" }
    #expect(
      Set(exact.compactMap { $0["archive_member"] as? String }) == ["photos/b.jpg", "inner.zip!/DCIM/a.jpg", "same.jpg"],
      "\(exact)")
    #expect(exact.contains { $0["archive"] as? String == evidence + "/outer.tar.gz" })
    let csv = try CommandRunner.run("sieve", ["report", dir.path + "/case", "--format", "csv"])
    #expect(csv.stdout.contains(",\(evidence)/outer.tar.gz,inner.zip!/DCIM/a.jpg,,,,,,unreviewed,\n"), "\(csv.stdout)")
    let vics = try CommandRunner.run("sieve", ["report", dir.path + "/case", "--format", "vics"])
    #expect(vics.stdout.contains("\"RelativeFilePath\" : \"outer.tar.gz!/inner.zip!/DCIM/a.jpg\""), "\(vics.stdout)")
    // Thumbnails of every matched file, members included, read back through their chain.
    let html = try CommandRunner.run("sieve", ["report", dir.path + "/case", "--format", "html", "--thumbnails"])
    #expect(!html.stdout.contains("not shown (file missing"), "a thumbnail could not be read back")

    // Export: the matched members copied out, their digests verified again.
    let export = try CommandRunner.run("sieve", ["export", dir.path + "/case", "--matched", "--out", dir.path + "/out"])
    #expect(export.status == 0, "\(export.stderr)")
    let manifestCSV = try String(contentsOfFile: dir.path + "/out/manifest.csv", encoding: .utf8)
    #expect(manifestCSV.contains(",inner.zip!/DCIM/a.jpg,"))
    #expect(!manifestCSV.contains("not copied"), "\(manifestCSV)")
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/out")
    #expect(names.contains { $0.hasSuffix("-a.jpg") } && names.contains { $0.hasSuffix("-same.jpg") }, "\(names)")
  }

  /// Display paths that collide — a suffix a member's own name already has, a member named
  /// `inner!/p.jpg` beside an archive `inner` in a folder `a.zip!`, a member named like
  /// the renamed one — never leave a member out: each gets a free name, the same when the
  /// scan is resumed.
  @Test func collidingNamesLeaveNoMemberOut() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let evidence = dir.path + "/ev"
    let make = Process()
    make.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    make.arguments = [
      "python3", "-c",
      """
      import os, sys, warnings, zipfile
      warnings.simplefilter('ignore')
      out = sys.argv[1]; a, b, c = (open(p, 'rb').read() for p in sys.argv[2:5])
      os.makedirs(out + '/a.zip!')
      with zipfile.ZipFile(out + '/dup.zip', 'w') as z:
          z.writestr('p.jpg', a); z.writestr('p.jpg [entry 2]', b'text'); z.writestr('p.jpg', b)
      with zipfile.ZipFile(out + '/a.zip', 'w') as z:
          z.writestr('inner!/p.jpg', b'text'); z.writestr('q.jpg', c); z.writestr('q.jpg [archive member]', b'text')
      with zipfile.ZipFile(out + '/a.zip!/inner', 'w') as z: z.writestr('p.jpg', c)
      open(out + '/a.zip!/q.jpg', 'wb').write(b'a file beside the archive')
      """,
      evidence,
    ] + Self.pictures
    try make.run()
    make.waitUntilExit()
    #expect(make.terminationStatus == 0)
    func arguments(_ caseFolder: String) -> [String] {
      ["scan", evidence, "--case", caseFolder, "--commit-every", "1", "--quiet"] + ScanCommandTests.sets.flatMap { ["--hashset", $0] }
    }
    let reference = dir.path + "/reference"
    #expect(try CommandRunner.run("sieve", arguments(reference)).status == 0)
    let rows = try Self.rows(reference)
    // Every member and file: dup.zip's 3, a.zip's 3, inner's 1, the 2 archives, q.jpg and
    // inner in the folder, dup.zip.
    #expect(rows.count == 11, "\(rows.keys.sorted())")
    let hashed = rows.filter { ($0.value["status"] as String) == "hashed" }.map(\.key).sorted()
    #expect(hashed == [
      evidence + "/a.zip!/inner!/p.jpg [archive member]", evidence + "/a.zip!/q.jpg [archive member]",
      evidence + "/dup.zip!/p.jpg", evidence + "/dup.zip!/p.jpg [entry 2] [2]",
    ], "\(hashed)")
    #expect(rows[evidence + "/a.zip!/q.jpg [archive member] [archive member]"] != nil)
    // Killed after 3 and 6 rows and resumed: the same names.
    for killAfter in [3, 6] {
      try ScanCommandTests.killAndResume(
        { arguments($0) }, caseFolder: dir.path + "/resumed\(killAfter)", killAfter: killAfter,
        expected: try ScanCommandTests.contents(reference), status: 0)
    }
  }

  /// A large archive's own digests (taken beside the hashing of its members) are its
  /// bytes' digests, and its members are all there.
  @Test func aLargeArchiveIsDigestedWhileItsMembersAreHashed() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let make = Process()
    make.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    make.arguments = [
      "python3", "-c",
      """
      import hashlib, random, sys, zipfile
      rng = random.Random(7)
      with zipfile.ZipFile(sys.argv[1] + '/large.zip', 'w') as z:
          z.writestr('noise.bin', bytes(rng.getrandbits(8) for _ in range(9 << 20)))
          for i, p in enumerate(sys.argv[2:]): z.writestr('%d.jpg' % i, open(p, 'rb').read())
      data = open(sys.argv[1] + '/large.zip', 'rb').read()
      print(hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest(), hashlib.sha256(data).hexdigest())
      """,
      dir.path,
    ] + Self.pictures
    let out = Pipe()
    make.standardOutput = out
    try make.run()
    let expected = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ").map {
      $0.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    make.waitUntilExit()
    let scan = try CommandRunner.run("sieve", ["scan", dir.path + "/large.zip", "--case", dir.path + "/case", "--quiet"] + ScanCommandTests.sets.flatMap { ["--hashset", $0] })
    #expect(scan.status == 0, "\(scan.stderr)")
    let queue = try DatabaseQueue(path: dir.path + "/case/case.sqlite")
    let archive = try queue.read { db in
      try Row.fetchOne(db, sql: "SELECT md5, sha1, sha256, status FROM files WHERE archive_member IS NULL")
    }
    #expect([archive?["md5"], archive?["sha1"], archive?["sha256"]] as [String?] == expected.map { Optional($0) })
    #expect((archive?["status"] as String?) == "archive")
    let hashed = try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM files WHERE status = 'hashed'") }
    #expect(hashed == 3)
  }

  /// `sieve hash` reads members too; `--archive-depth 0` leaves archives closed.
  @Test func hashReadsMembersUnlessTold() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let evidence = try Self.makeEvidence(in: dir)
    let hashed = try CommandRunner.run("sieve", ["hash", "--format", "csv", evidence + "/outer.tar.gz", evidence + "/locked.zip"])
    #expect(hashed.status == 1, "the encrypted member is reported: \(hashed.stderr)")
    #expect(hashed.stderr.contains("locked.zip!/square-128x128.jpg: encrypted; not read"), "\(hashed.stderr)")
    #expect(hashed.stdout.contains(evidence + "/outer.tar.gz!/inner.zip!/DCIM/a.jpg,"))
    #expect(hashed.stdout.split(separator: "\n").count == 3)  // header and two pictures
    let closed = try CommandRunner.run("sieve", ["hash", "--format", "csv", "--archive-depth", "0", evidence + "/outer.tar.gz"])
    #expect(closed.status == 1 && closed.stderr.contains("outer.tar.gz: not a recognised image"), "\(closed.stderr)")
    #expect(closed.stdout.split(separator: "\n").count == 1)
  }

  /// Archives larger than `--max-bytes` are not held in memory but read where they lie,
  /// in a folder (a 7z, which libarchive reads by seeking) and inside a disk image; their
  /// members are held to the same limit.
  @Test func archivesTooLargeToHoldAreReadInPlace() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let tree = dir.path + "/tree"
    try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
    for picture in Self.pictures { try FileManager.default.copyItem(atPath: picture, toPath: tree + "/" + (picture as NSString).lastPathComponent) }
    let make = Process()
    make.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    make.arguments = ["bsdtar", "--format", "7zip", "-cf", dir.path + "/big.7z", "-C", tree, "."]
    try make.run()
    make.waitUntilExit()
    #expect(make.terminationStatus == 0)
    // shrink-a-little.jpg (214,410 bytes) is over the limit; the other two are not.
    let hashed = try CommandRunner.run("sieve", ["hash", "--format", "csv", "--max-bytes", "100K", dir.path + "/big.7z"])
    #expect(hashed.status == 1)
    #expect(hashed.stderr.contains("big.7z!/./shrink-a-little.jpg: file is 214410 bytes, over the 102400-byte limit"), "\(hashed.stderr)")
    let lines = hashed.stdout.split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[0]) }.sorted()
    #expect(lines == [dir.path + "/big.7z!/./shrink-a-lot.jpg", dir.path + "/big.7z!/./square-128x128.jpg"], "\(lines)")
    // The zip in the NTFS image (about 20 KB) read in place through the file system.
    let image = try CommandRunner.run("sieve", ["hash", "--format", "csv", "--max-bytes", "10K", TestData.diskImages + "/gpt.dd"])
    #expect(image.stdout.contains("/gpt.dd!/vol4/photos.zip!/inner.tar.gz!/deep/in-tar.png,"), "\(image.stdout)\n\(image.stderr)")
    #expect(image.stderr.contains("/gpt.dd!/vol4/photos.zip!/DCIM/in-zip.jpg: file is 17984 bytes"), "\(image.stderr)")
  }

  /// Killed with SIGKILL in the middle of an archive of 40 pictures and run again: the
  /// same run completes, equal to an uninterrupted scan, each member recorded once.
  @Test(arguments: [6, 21])
  func aKilledArchiveScanResumesToTheSameResult(killAfter: Int) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let evidence = try Self.makeEvidence(in: dir)
    let many = Process()
    many.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    many.arguments = [
      "python3", "-c",
      """
      import sys, zipfile
      with zipfile.ZipFile(sys.argv[1], 'w') as z:
          for i in range(40):
              for p in sys.argv[2:]: z.writestr('%02d/%s' % (i, p.rsplit('/', 1)[1]), open(p, 'rb').read() + bytes([i]))
      """,
      evidence + "/many.zip",
    ] + Self.pictures
    try many.run()
    many.waitUntilExit()
    func arguments(_ caseFolder: String) -> [String] {
      ["scan", evidence, "--case", caseFolder, "--commit-every", "3", "--quiet"] + ScanCommandTests.sets.flatMap { ["--hashset", $0] }
    }
    let reference = dir.path + "/reference"
    #expect(try CommandRunner.run("sieve", arguments(reference)).status == 1)
    let expected = try ScanCommandTests.contents(reference)
    #expect(expected.files.count > 120)

    try ScanCommandTests.killAndResume(arguments, caseFolder: dir.path + "/resumed", killAfter: killAfter, expected: expected)
  }
}
