import Foundation
import GRDB
import SieveTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `sieve scan`, run as the real binary: the case database, and resuming after SIGKILL.
@Suite(.serialized) struct ScanCommandTests {
  static let images = TestData.fixtureVectors.appendingPathComponent("pdq/images")
  static let sets = [
    TestData.repoRoot.appendingPathComponent("hashsets/sample-fixtures.sieveset").path,
    TestData.repoRoot.appendingPathComponent("hashsets/sample-fixtures-md5.sieveset").path,
  ]

  /// An evidence tree: many images under other names, nested folders, a truncated JPEG
  /// named .txt, a zero-byte file, a text file.
  static func makeEvidence(copies: Int) throws -> TemporaryDirectory {
    let dir = try TemporaryDirectory("sieve-evidence")
    let sources = try FileManager.default.subpathsOfDirectory(atPath: images.path).filter { $0.hasSuffix(".jpg") }.sorted()
    for i in 0..<copies {
      let source = sources[i % sources.count]
      var bytes = try TestData.bytes(images.appendingPathComponent(source))
      if i >= sources.count { bytes += [UInt8(i & 0xFF), 0xD9] }  // trailing bytes: a different file, same pixels
      try dir.write("disk/folder\(i % 4)/deeper/IMG_\(i).\(i % 3 == 0 ? "dat" : "jpg")", bytes)
    }
    let jpeg = try TestData.bytes(images.appendingPathComponent(sources[0]))
    try dir.write("disk/holiday.txt", Array(jpeg.prefix(jpeg.count / 2)))
    try dir.write("disk/empty.bin", [])
    try dir.write("disk/notes.txt", Array("benign notes\n".utf8))
    // A corrupt PNG (damaged CRC) under a neutral name.
    try dir.write("disk/folder1/scan0001.dat", TestData.bytes(TestData.repoRoot.appendingPathComponent("Tests/Fixtures/decoding/bad_crc.png")))
    // A link loop and a FIFO: neither may hang or fail the scan.
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/disk/folder0/loop", withDestinationPath: dir.path + "/disk")
    _ = mkfifo(dir.path + "/disk/pipe", 0o644)
    return dir
  }

  func scanArguments(_ evidence: String, _ caseFolder: String) -> [String] {
    ["scan", evidence, "--case", caseFolder, "--examiner", "Test Examiner", "--case-id", "T-1", "--commit-every", "4", "--quiet"]
      + Self.sets.flatMap { ["--hashset", $0] }
  }

  /// The last run's files and matches, as sorted text rows.
  static func contents(_ caseFolder: String) throws -> (files: [String], matches: [String], duplicates: Int) {
    let queue = try DatabaseQueue(path: caseFolder + "/case.sqlite")
    return try queue.read { db in
      let run = try Int64.fetchOne(db, sql: "SELECT max(id) FROM runs")!
      let files = try String.fetchAll(
        db,
        sql: """
          SELECT path_text || '|' || status || '|' || ifnull(type,'') || '|' || ifnull(md5,'') || '|' || ifnull(sha256,'')
            || '|' || ifnull(pdq,'') || '|' || ifnull(pdq_quality,'') || '|' || ifnull(phash,'') || '|' || ifnull(size,'')
          FROM files WHERE run_id = ? ORDER BY path_text
          """, arguments: [run])
      let matches = try String.fetchAll(
        db,
        sql: """
          SELECT f.path_text || '|' || m.set_name || '|' || m.entry_id || '|' || m.kind || '|' || m.distance || '|' || ifnull(m.orientation,'')
          FROM matches m JOIN files f ON f.id = m.file_id WHERE f.run_id = ? ORDER BY 1
          """, arguments: [run])
      let duplicates = try Int.fetchOne(
        db, sql: "SELECT COUNT(*) - COUNT(DISTINCT path) FROM files WHERE run_id = ?", arguments: [run])!
      return (files, matches, duplicates)
    }
  }

  /// `scan --strategy orientations`: a copy turned 90° is matched as the picture turned back (at
  /// distance 0 against the original's PDQ), and the run records how.
  @Test func scanWithOrientationsMatchesATurnedCopy() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    _ = try dir.write("evidence/turned.bmp", try MatchCommandTests.turnedBMP(MatchCommandTests.q0122))
    let set = try CommandRunner.run("sieve", ["hash", "--format", "csv", MatchCommandTests.q0122])
    let list = try dir.write("set.csv", Array(set.stdout.utf8))
    let scan = try CommandRunner.run(
      "sieve", ["scan", dir.path + "/evidence", "--case", dir.path + "/case", "--hashset", list, "--strategy", "orientations", "--quiet"])
    #expect(scan.status == 0, "\(scan.stderr)")
    let queue = try DatabaseQueue(path: dir.path + "/case/case.sqlite")
    let (match, parameters) = try queue.read { db in
      (try Row.fetchOne(db, sql: "SELECT distance, orientation FROM matches WHERE kind = 'pdq'"),
       try String.fetchOne(db, sql: "SELECT parameters FROM runs"))
    }
    #expect((match?["distance"] as Int?) == 0 && (match?["orientation"] as String?) == "rot270", "\(String(describing: match))")
    #expect(parameters?.contains("\"orientations\":\"blurred-plane\"") == true)
  }

  @Test func scanRecordsEveryFileDigestsAndMatches() throws {
    let evidence = try Self.makeEvidence(copies: 12)
    defer { evidence.remove() }
    let cases = try TemporaryDirectory("sieve-case")
    defer { cases.remove() }
    let result = try CommandRunner.run("sieve", scanArguments(evidence.path + "/disk", cases.path + "/c"))
    // 1: the evidence holds files that fail to decode (recorded in the case).
    #expect(result.status == 1, "\(result.stderr)")
    let (files, matches, duplicates) = try Self.contents(cases.path + "/c")
    #expect(files.count == 18 && duplicates == 0)
    #expect(files.contains { $0.contains("/folder1/scan0001.dat|failed|png|") })
    #expect(files.contains { $0.contains("/pipe|special|") })
    #expect(files.contains { $0.contains("/folder0/loop|special|") })
    #expect(files.contains { $0.contains("/holiday.txt|failed|jpeg|") })
    #expect(files.contains { $0.contains("/empty.bin|failed|") })
    #expect(files.contains { $0.contains("/notes.txt|not_image||") })
    #expect(files.filter { $0.contains("|hashed|jpeg|") }.count == 12)
    // The first 8 copies are byte-identical to the set's files: exact MD5 matches.
    #expect(matches.filter { $0.contains("|sample-fixtures-md5|") && $0.contains("|md5|0|") }.count == 8)
    // Every image matches its own PDQ (distance 0, original orientation).
    #expect(matches.filter { $0.contains("|pdq|0|original") }.count >= 12)
    // The run records who, what and with which sets.
    let queue = try DatabaseQueue(path: cases.path + "/c/case.sqlite")
    let run = try queue.read { try Row.fetchOne($0, sql: "SELECT * FROM runs")! }
    #expect(run["status"] as String == "finished")
    #expect(run["examiner"] as String == "Test Examiner" && run["case_id"] as String == "T-1")
    #expect((run["hashsets"] as String).contains("\"sha256\""))
    #expect((run["tool_version"] as String).hasPrefix("sieve "))
  }

  @Test func knownGoodFilesAreCountedAndNotDecoded() throws {
    let evidence = try Self.makeEvidence(copies: 12)
    defer { evidence.remove() }
    let cases = try TemporaryDirectory("sieve-case")
    defer { cases.remove() }
    // An NSRL RDS v2 NSRLFile.txt (benign: the digests of notes.txt) and an md5sum list
    // of the sample images (the first 8 copies are byte-identical to them).
    let nsrl = try cases.write(
      "NSRLFile.txt",
      Array("""
        "SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"
        "51AA69FA3F6624E512CFAF2504FACA8DB0FF30FC","9AB89EE6CD84C13AF5338D029444BC92","00000000","notes.txt",13,1,"358",""

        """.utf8))
    let md5 = TestData.repoRoot.appendingPathComponent("hashsets/sample-fixtures.md5").path
    let result = try CommandRunner.run(
      "sieve", scanArguments(evidence.path + "/disk", cases.path + "/c") + ["--known-good", nsrl, "--known-good", md5])
    #expect(result.status == 1, "\(result.stderr)")
    let (files, matches, _) = try Self.contents(cases.path + "/c")
    let known = files.filter { $0.contains("|known_good|") }
    #expect(known.count == 9, "\(files)")
    #expect(known.contains { $0.contains("/notes.txt|known_good|") })
    #expect(files.filter { $0.contains("|hashed|") }.count == 4)
    // Known-good files are not decoded (no PDQ), but their digests are still matched:
    // the md5 set holds the first 8 copies, which are also on the known-good list.
    #expect(!matches.contains { $0.contains("/notes.txt|") })
    #expect(matches.filter { $0.contains("|md5|0|") }.count == 8)
    let knownPaths = Set(known.map { String($0.split(separator: "|")[0]) })
    #expect(!matches.contains { match in match.contains("|pdq|") && knownPaths.contains(String(match.split(separator: "|")[0])) })
    #expect(known.allSatisfy { $0.split(separator: "|", omittingEmptySubsequences: false)[5].isEmpty })
  }

  @Test func progressIsLoggedWhenNotATerminal() throws {
    let evidence = try Self.makeEvidence(copies: 6)
    defer { evidence.remove() }
    let cases = try TemporaryDirectory("sieve-case")
    defer { cases.remove() }
    let arguments = ["scan", evidence.path + "/disk", "--case", cases.path + "/c", "--progress-interval", "0", "--fast"]
      + Self.sets.flatMap { ["--hashset", $0] }
    let result = try CommandRunner.run("sieve", arguments)
    #expect(result.status == 1)
    let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("sieve: progress: ") }
    #expect(lines.count >= 5, "\(result.stderr)")
    #expect(lines.last?.contains("10/10 files") == true, "\(lines)")
    #expect(lines.last?.contains(" MB") == true && lines.last?.contains("matched") == true && lines.last?.contains("ETA") == true)
  }

  /// Every file's bytes, size and modification time, to show a scan changed nothing.
  static func fingerprint(_ root: String) throws -> [String: String] {
    var out: [String: String] = [:]
    for relative in try FileManager.default.subpathsOfDirectory(atPath: root) {
      var info = stat()
      guard lstat(root + "/" + relative, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
      let bytes = try TestData.bytes(URL(fileURLWithPath: root + "/" + relative))
      out[relative] = "\(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) \(bytes.hashValue)"
    }
    return out
  }

  @Test func evidenceIsNotModifiedAndUnreadableFilesAreRecorded() throws {
    let evidence = try Self.makeEvidence(copies: 6)
    defer { evidence.remove() }
    let cases = try TemporaryDirectory("sieve-case")
    defer { cases.remove() }
    let secret = try evidence.write("disk/locked/secret.jpg", TestData.bytes(Self.images.appendingPathComponent("misc-images/wee.jpg")))
    chmod(secret, 0o000)
    let before = try Self.fingerprint(evidence.path)
    var arguments = scanArguments(evidence.path + "/disk", cases.path + "/c")
    // Root reads everything: run the scan as an unprivileged user when we are root.
    var command = "sieve"
    if getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") {
      chmod(cases.path, 0o777)
      for dir in try FileManager.default.subpathsOfDirectory(atPath: evidence.path) + [""] {
        var info = stat()
        if lstat(evidence.path + "/" + dir, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { chmod(evidence.path + "/" + dir, 0o755) }
      }
      for file in try FileManager.default.subpathsOfDirectory(atPath: evidence.path) where !file.hasSuffix("secret.jpg") {
        var info = stat()
        // Regular files only: chmod follows links, and one link points at a folder.
        if lstat(evidence.path + "/" + file, &info) == 0, info.st_mode & S_IFMT == S_IFREG { chmod(evidence.path + "/" + file, 0o644) }
      }
      arguments = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", CommandRunner.productsDirectory.appendingPathComponent("sieve").path] + arguments
      command = "/usr/bin/setpriv"
    }
    let result = command == "sieve" ? try CommandRunner.run("sieve", arguments) : try Self.runAbsolute(command, arguments)
    #expect(result.status == 1, "\(result.stderr)")
    let (files, _, _) = try Self.contents(cases.path + "/c")
    if command != "sieve" {
      #expect(files.contains { $0.contains("/locked/secret.jpg|failed|") }, "\(files)")
      // Files of another user: the system refuses O_NOATIME. Said once, loudly, and
      // recorded with the run (every report shows it).
      #expect(result.stderr.components(separatedBy: "refused O_NOATIME").count == 2, "\(result.stderr)")
      let notes = try DatabaseQueue(path: cases.path + "/c/case.sqlite").read {
        try String.fetchAll($0, sql: "SELECT note FROM run_notes")
      }
      #expect(notes.count == 1 && notes[0].contains("without O_NOATIME"), "\(notes)")
      let report = try CommandRunner.run("sieve", ["report", cases.path + "/c", "--format", "csv"])
      #expect(report.stdout.contains("# note: ") && report.stdout.contains("without O_NOATIME"))
    }
    // Nothing in the evidence changed: same files, sizes, times and bytes; no new files.
    chmod(secret, 0o644)
    var after = try Self.fingerprint(evidence.path)
    after["disk/locked/secret.jpg"] = before["disk/locked/secret.jpg"] == nil ? nil : after["disk/locked/secret.jpg"]
    #expect(Set(after.keys) == Set(before.keys).union(["disk/locked/secret.jpg"]).intersection(after.keys))
    for (key, value) in before where key != "disk/locked/secret.jpg" { #expect(after[key] == value, "\(key) changed") }
  }

  static func runAbsolute(_ path: String, _ arguments: [String]) throws -> CommandRunner.Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandRunner.Result(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }

  @Test func accessTimesAreLeftAsTheyWereAndRecordedFromBeforeTheRead() throws {
    let evidence = try Self.makeEvidence(copies: 2)
    defer { evidence.remove() }
    let cases = try TemporaryDirectory("sieve-case")
    defer { cases.remove() }
    // 2020-01-01: old enough that a relatime mount would update it on any read.
    let old = timespec(tv_sec: 1_577_836_800, tv_nsec: 0)
    let folder = evidence.path + "/disk/folder1/deeper"
    let file = try FileManager.default.contentsOfDirectory(atPath: folder).sorted().first.map { folder + "/" + $0 }!
    for path in [file, folder] {
      var times = [old, old]
      #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
    }
    _ = try CommandRunner.run("sieve", scanArguments(evidence.path + "/disk", cases.path + "/c"))
    var info = stat()
    #expect(stat(file, &info) == 0 && info.st_atim.tv_sec == old.tv_sec, "file atime changed")
    #expect(stat(folder, &info) == 0 && info.st_atim.tv_sec == old.tv_sec, "folder atime changed")
    let accessed = try DatabaseQueue(path: cases.path + "/c/case.sqlite").read {
      try Double.fetchOne($0, sql: "SELECT accessed FROM files WHERE path_text = ?", arguments: [file])
    }
    #expect(accessed == Double(old.tv_sec))
  }

  @Test func overlappingEvidenceIsScannedOnceAndRestartAbandonsARun() throws {
    let evidence = try Self.makeEvidence(copies: 4)
    defer { evidence.remove() }
    let cases = try TemporaryDirectory("sieve-case")
    defer { cases.remove() }
    let disk = evidence.path + "/disk"
    let first = try CommandRunner.run(
      "sieve", ["scan", disk, disk + "/folder0", disk + "/notes.txt", "--case", cases.path + "/c", "--quiet"]
        + Self.sets.flatMap { ["--hashset", $0] })
    #expect(first.status == 1, "\(first.stderr)")  // the evidence holds undecodable files
    let (files, _, duplicates) = try Self.contents(cases.path + "/c")
    #expect(duplicates == 0 && files.count == 10, "\(files.count)")
    // A new unfinished run with other parameters is refused until --restart.
    let queue = try DatabaseQueue(path: cases.path + "/c/case.sqlite")
    try queue.write { try $0.execute(sql: "UPDATE runs SET status = 'running'") }
    let other = try CommandRunner.run("sieve", ["scan", disk, "--case", cases.path + "/c", "--quiet", "--max-distance", "10"])
    #expect(other.status == 1 && other.stderr.contains("--restart abandons it"), "\(other.stderr)")
    let restarted = try CommandRunner.run("sieve", ["scan", disk, "--case", cases.path + "/c", "--quiet", "--max-distance", "10", "--restart"])
    #expect(restarted.status == 1, "\(restarted.stderr)")
    let statuses = try queue.read { try String.fetchAll($0, sql: "SELECT status FROM runs ORDER BY id") }
    #expect(statuses == ["abandoned", "finished"])
  }

  @Test func aCaseReachedThroughALinkIntoTheEvidenceIsRefused() throws {
    let evidence = try Self.makeEvidence(copies: 1)
    defer { evidence.remove() }
    let cases = try TemporaryDirectory("sieve-case")
    defer { cases.remove() }
    try FileManager.default.createSymbolicLink(atPath: cases.path + "/link", withDestinationPath: evidence.path + "/disk")
    let result = try CommandRunner.run("sieve", scanArguments(evidence.path + "/disk", cases.path + "/link/sub/case"))
    #expect(result.status == 2, "\(result.stderr)")
    #expect(!FileManager.default.fileExists(atPath: evidence.path + "/disk/sub"))
  }

  /// `cases/link/../c1` with `link → evidence`: `..` is taken after the link, as the file
  /// system does, so the case would be inside the evidence: refused, nothing created.
  @Test func aCaseReachedThroughALinkAndDotDotIsRefused() throws {
    let evidence = try Self.makeEvidence(copies: 1)
    defer { evidence.remove() }
    let cases = try TemporaryDirectory("sieve-case")
    defer { cases.remove() }
    try FileManager.default.createSymbolicLink(atPath: cases.path + "/link", withDestinationPath: evidence.path + "/disk/sub")
    try FileManager.default.createDirectory(atPath: evidence.path + "/disk/sub", withIntermediateDirectories: true)
    let result = try CommandRunner.run("sieve", scanArguments(evidence.path + "/disk", cases.path + "/link/../case1"))
    #expect(result.status == 2, "\(result.stderr)")
    #expect(result.stderr.contains("inside the evidence"))
    #expect(!FileManager.default.fileExists(atPath: evidence.path + "/disk/case1"))
  }

  /// Whether this machine lets a process mount in a namespace of its own (root, or user
  /// namespaces allowed): the bind-mount test needs it.
  static let canBindMount: Bool = {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
    process.arguments = ["-rm", "sh", "-c", "d=$(mktemp -d) && mount --bind \"$d\" \"$d\"; s=$?; rmdir \"$d\"; exit $s"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
  }()

  /// The evidence bind-mounted elsewhere: no resolving of paths makes the mount's path
  /// the evidence's, but it is the same folder (same device and inode), so a case
  /// folder inside the mount is inside the evidence: refused, nothing created. (Run in a
  /// mount namespace of its own, which `unshare` needs root or user namespaces for.)
  /// A folder inside the evidence bind-mounted elsewhere: no parent of the case folder
  /// is an evidence root, but mapped to its file system it lies inside one.
  @Test(.enabled(if: canBindMount), arguments: ["", "/sub"])
  func aCaseInsideABindMountOfTheEvidenceIsRefused(mounted: String) throws {
    let evidence = try Self.makeEvidence(copies: 1)
    defer { evidence.remove() }
    let cases = try TemporaryDirectory("sieve-case")
    defer { cases.remove() }
    try FileManager.default.createDirectory(atPath: cases.path + "/mount", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: evidence.path + "/disk/sub", withIntermediateDirectories: true)
    let sieve = CommandRunner.productsDirectory.appendingPathComponent("sieve").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
    process.arguments =
      ["-rm", "sh", "-c", "mount --bind \"$1\" \"$2\" && shift 2 && exec \"$@\"", "sh", evidence.path + "/disk" + mounted,
       cases.path + "/mount", sieve]
      + scanArguments(evidence.path + "/disk", cases.path + "/mount/case1")
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 2, "\(stderr)")
    #expect(stderr.contains("inside the evidence"), "\(stderr)")
    #expect(!FileManager.default.fileExists(atPath: evidence.path + "/disk" + mounted + "/case1"))
  }

  /// Evidence named by a relative path is recorded absolute: the same scan run from
  /// another working directory (with the path that names the same evidence from there)
  /// resumes the run instead of refusing it or scanning everything again.
  @Test func aResumeFromAnotherDirectorySeesTheSamePaths() throws {
    let evidence = try Self.makeEvidence(copies: 2)
    defer { evidence.remove() }
    let cases = try TemporaryDirectory("sieve-case")
    defer { cases.remove() }
    let first = try CommandRunner.run("sieve", scanArguments("disk", cases.path + "/c"), in: evidence.path)
    #expect(first.status == 1, "\(first.stderr)")
    // Mark the run unfinished, as a killed scan leaves it.
    try DatabaseQueue(path: cases.path + "/c/case.sqlite").write {
      try $0.execute(sql: "UPDATE runs SET status = 'running', finished_at = NULL")
      try $0.execute(sql: "DELETE FROM files WHERE id = (SELECT max(id) FROM files WHERE id NOT IN (SELECT file_id FROM matches))")
    }
    let second = try CommandRunner.run("sieve", scanArguments(evidence.path.split(separator: "/").last.map { "../../" + $0 + "/disk" }!, cases.path + "/c"), in: evidence.path + "/disk")
    #expect(second.status == 1, "\(second.stderr)")
    let runs = try DatabaseQueue(path: cases.path + "/c/case.sqlite").read { db in
      try Row.fetchAll(db, sql: "SELECT evidence, resumed, status FROM runs").map { ($0["evidence"] as String, $0["resumed"] as Int, $0["status"] as String) }
    }
    #expect(runs.count == 1 && runs[0].1 == 1 && runs[0].2 == "finished", "\(runs)")
    #expect(runs.first?.0.hasPrefix("[\"/") == true, "recorded absolute: \(runs)")
  }

  @Test func aCaseInsideTheEvidenceIsRefused() throws {
    let evidence = try Self.makeEvidence(copies: 1)
    defer { evidence.remove() }
    let result = try CommandRunner.run("sieve", scanArguments(evidence.path + "/disk", evidence.path + "/disk/case"))
    #expect(result.status == 2)
    #expect(result.stderr.contains("inside the evidence"))
    #expect(!FileManager.default.fileExists(atPath: evidence.path + "/disk/case"))
  }

  /// Kills a running scan with SIGKILL once its case holds `count` files (0: at once);
  /// returns how many it held.
  static func kill(_ process: Process, whenCommitted count: Int, in caseFolder: String) -> Int {
    let deadline = Date().addingTimeInterval(60)
    var committed = 0
    while count > 0 && Date() < deadline && process.isRunning {
      if let queue = try? DatabaseQueue(path: caseFolder + "/case.sqlite"),
        let n = try? queue.read({ try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM files") ?? 0 })
      {
        committed = n
        if n >= count { break }
      }
      usleep(2_000)
    }
    Glibc.kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    return committed
  }

  /// Runs `sieve ARGUMENTS(caseFolder) --jobs 1`, kills it with SIGKILL once `killAfter`
  /// files are committed, runs it again (without `--jobs`), and expects the case to hold
  /// exactly `expected` (an uninterrupted scan's contents), each file once.
  static func killAndResume(
    _ arguments: (String) -> [String], caseFolder: String, killAfter: Int,
    expected: (files: [String], matches: [String], duplicates: Int), status: Int32 = 1
  ) throws {
    let process = Process()
    process.executableURL = CommandRunner.productsDirectory.appendingPathComponent("sieve")
    process.arguments = arguments(caseFolder) + ["--jobs", "1"]
    process.standardError = FileHandle.nullDevice
    try process.run()
    let committedAtKill = kill(process, whenCommitted: killAfter, in: caseFolder)
    #expect(committedAtKill < expected.files.count, "the scan finished before it could be killed (\(committedAtKill) files)")
    let second = try CommandRunner.run("sieve", arguments(caseFolder))
    #expect(second.status == status, "\(second.stderr)")
    let actual = try contents(caseFolder)
    #expect(actual.duplicates == 0)
    #expect(actual.files == expected.files, "killed after \(committedAtKill) files")
    #expect(actual.matches == expected.matches)
  }

  @Test(arguments: [0, 9, 30])
  func killedWithSIGKILLAndResumedEqualsAnUninterruptedScan(killAfter: Int) throws {
    let evidence = try Self.makeEvidence(copies: 48)
    defer { evidence.remove() }
    let cases = try TemporaryDirectory("sieve-case")
    defer { cases.remove() }
    let reference = cases.path + "/reference"
    #expect(try CommandRunner.run("sieve", scanArguments(evidence.path + "/disk", reference)).status == 1)
    let expected = try Self.contents(reference)
    #expect(expected.files.count == 54)

    // Start a scan and kill it once `killAfter` files are committed (0: at once); the same
    // command again continues and completes the same run.
    let resumed = cases.path + "/resumed"
    try Self.killAndResume({ scanArguments(evidence.path + "/disk", $0) }, caseFolder: resumed, killAfter: killAfter, expected: expected)
    let runs = try DatabaseQueue(path: resumed + "/case.sqlite").read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM runs")! }
    #expect(runs == 1)
  }
}
