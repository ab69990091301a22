import Foundation
import SieveCore
import SievePipeline
import SieveTestSupport
import Testing

/// `sieve hash` and `sieve match` on videos: the real binary on the benign fixtures of
/// Tests/Fixtures/video, whose expected features Meta's `vpdq` computed.
@Suite struct VideoCommandTests {
  static let folder = TestData.repoRoot.appendingPathComponent("Tests/Fixtures/video")
  static let ts = folder.appendingPathComponent("testsrc2-2997.ts").path
  static let slideshow = folder.appendingPathComponent("slideshow-h264.mp4").path
  /// The videos in the fixture folder (each has its vpdq output beside it).
  static let videoCount = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.filter {
    $0.hasSuffix(".vpdq") || $0.hasSuffix(".webp")
  }.count ?? 0

  func sieve(_ arguments: [String]) throws -> CommandRunner.Result { try CommandRunner.run("sieve", arguments) }

  static func expected(_ path: String) throws -> [String] {
    try String(contentsOfFile: path + ".vpdq", encoding: .utf8).split(separator: "\n").map(String.init)
  }

  /// --format vpdq prints vPDQ's own lines under a `# PATH` line; text indents the same
  /// lines under a summary.
  @Test func vpdqAndTextFormats() throws {
    let result = try sieve(["hash", "-q", "--format", "vpdq", Self.ts, Self.slideshow])
    #expect(result.status == 0, "\(result.stderr)")
    let expected = ["# " + Self.ts] + (try Self.expected(Self.ts)) + ["# " + Self.slideshow] + (try Self.expected(Self.slideshow))
    #expect(result.stdout.split(separator: "\n").map(String.init) == expected)
    let text = try sieve(["hash", "-q", Self.ts])
    let lines = text.stdout.split(separator: "\n").map(String.init)
    #expect(lines.first?.hasPrefix("vpdq  5 frames  240x180  29.97 fps") == true && lines.first?.hasSuffix(Self.ts) == true)
    #expect(Array(lines.dropFirst()) == (try Self.expected(Self.ts)).map { "  " + $0 })
  }

  /// An animated GIF is hashed as a video, as vPDQ hashes it; a GIF of one picture stays
  /// a picture.
  @Test func animatedGIFsAreVideos() throws {
    let gif = Self.folder.appendingPathComponent("testsrc2.gif").path
    let result = try sieve(["hash", "-q", "--format", "vpdq", gif])
    #expect(result.stdout.split(separator: "\n").map(String.init) == ["# " + gif] + (try Self.expected(gif)), "\(result.stderr)")
    let formats = TestData.repoRoot.appendingPathComponent("Tests/Fixtures/formats")
    let still = try sieve(["hash", "-q", "--format", "jsonl", formats.appendingPathComponent("static.gif").path])
    #expect(still.status == 0 && !still.stdout.contains("\"kind\":\"video\"") && still.stdout.contains("\"format\":\"gif\""))
    let animated = try sieve(["hash", "-q", "--format", "jsonl", formats.appendingPathComponent("animated.gif").path])
    #expect(animated.status == 0 && animated.stdout.contains("\"kind\":\"video\""), "\(animated.stdout) \(animated.stderr)")
  }

  /// CSV has a row a frame (frame and timestamp columns), JSON Lines a "vpdq" array.
  @Test func csvAndJSONLines() throws {
    let csv = try sieve(["hash", "-q", "--format", "csv", Self.ts])
    let rows = csv.stdout.split(separator: "\n").dropFirst().map { TestData.fields(String($0)) }
    let expected = try Self.expected(Self.ts).map { $0.split(separator: ",").map(String.init) }
    #expect(rows.count == expected.count)
    for (row, line) in zip(rows, expected) {
      #expect(row[0] == Self.ts && row[1] == line[2] && row[2] == line[1] && row[6] == "mpegts")
      #expect(row[row.count - 2] == line[0] && row[row.count - 1] == line[3])
    }
    let jsonl = try sieve(["hash", "-q", "--format", "jsonl", Self.ts])
    let object = try #require(JSONSerialization.jsonObject(with: Data(jsonl.stdout.utf8)) as? [String: Any])
    #expect(object["kind"] as? String == "video" && object["codec"] as? String == "h264" && object["frames_decoded"] as? Int == 120)
    let frames = try #require(object["vpdq"] as? [[String: Any]])
    #expect(frames.map { $0["frame"] as? Int } == expected.map { Int($0[0]) })
    #expect(frames.map { $0["pdq"] as? String } == expected.map { $0[2] })
    #expect(object["decoding"] as? String == "one pass")  // MPEG-TS is not cut into stretches
    // An MP4 is decoded in stretches unless --one-pass; the features are the same.
    let mp4 = Self.folder.appendingPathComponent("testsrc2-h264-g12.mp4").path
    let cut = try sieve(["hash", "-q", "--format", "jsonl", mp4])
    let whole = try sieve(["hash", "-q", "--format", "jsonl", "--one-pass", mp4])
    #expect(cut.stdout.contains("\"decoding\":\"stretches\"") && whole.stdout.contains("\"decoding\":\"one pass\""))
    #expect(cut.stdout.replacingOccurrences(of: "stretches", with: "one pass") == whole.stdout)
  }

  /// A known picture among a video's frames is found, with the frame's time; a file that
  /// only looks like a video is reported, and the run goes on.
  @Test func framesMatchAPictureSetWithTheirTimes() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sieve-video-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let frame = try #require(try Self.expected(Self.slideshow).last?.split(separator: ",").map(String.init))
    let set = dir.appendingPathComponent("known.csv")
    try "id,label,pdq,pdq_quality,phash,md5,sha1,sha256\nsecond-photo,example,\(frame[2]),100,,,,\n".write(
      to: set, atomically: true, encoding: .utf8)
    let broken = dir.appendingPathComponent("broken.mp4")
    try Data([0, 0, 0, 24] + Array("ftypisom".utf8) + [UInt8](repeating: 7, count: 200)).write(to: broken)
    let result = try sieve(["match", "-q", "--hashset", set.path, "--format", "jsonl", Self.slideshow, broken.path])
    #expect(result.status == 1, "\(result.stderr)")
    let matches = result.stdout.split(separator: "\n").compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    // The last two seconds show the second photo: both sampled frames match it.
    #expect(matches.allSatisfy { $0["path"] as? String == Self.slideshow })
    #expect(matches.compactMap { $0["frame_time"] as? Double }.sorted() == [2, 3] && matches.compactMap { $0["frame"] as? Int }.sorted() == [48, 72])
    #expect(matches.allSatisfy { $0["id"] as? String == "second-photo" })
    #expect(result.stderr.contains("broken.mp4: "), "\(result.stderr)")
  }

  /// Known videos in a set (.sieveset version 3): built from video files, exported as
  /// vPDQ's lines, and matched whole by vPDQ's rule.
  @Test func videoSetsBuildExportAndMatch() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sieve-vset-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let set = dir.appendingPathComponent("videos.sieveset").path
    let build = try sieve(["hashset", "build", "-q", "--label", "example", Self.folder.path, "-o", set])
    #expect(build.status == 0, "\(build.stderr)")
    let info = try sieve(["hashset", "info", set])
    #expect(info.stdout.contains("sieveset v3") && info.stdout.contains("\(Self.videoCount) videos"), "\(info.stdout)")
    let export = try sieve(["hashset", "export", "--format", "vpdq", set])
    let lines = export.stdout.split(separator: "\n").map(String.init)
    let at = try #require(lines.firstIndex(of: "# " + Self.slideshow))
    let expected = try Self.expected(Self.slideshow)
    #expect(Array(lines[(at + 1)...].prefix(expected.count)) == expected)
    // The slideshow matches itself whole; the synthetic mandelbrot and life videos share
    // nothing with it.
    let match = try sieve(["match", "-q", "--hashset", set, "--format", "jsonl", Self.slideshow])
    let objects = match.stdout.split(separator: "\n").compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    let whole = objects.filter { $0["kind"] as? String == "vpdq" }
    #expect(whole.count == 1, "\(match.stdout)")
    #expect(whole.first?["id"] as? String == Self.slideshow && whole.first?["query_match_percent"] as? Double == 100)
    #expect(whole.first?["compared_match_percent"] as? Double == 100 && whole.first?["label"] as? String == "example")
    #expect((whole.first?["frames"] as? [[String: Any]])?.count == 3)  // 4 frames, 3 distinct hashes
    let life = try sieve(["match", "-q", "--hashset", set, "--format", "jsonl", Self.folder.appendingPathComponent("life-mpeg4.avi").path])
    #expect(!life.stdout.contains(Self.slideshow) && !life.stdout.contains("mandelbrot"), "\(life.stdout)")
  }

  /// Copies of a known video as re-uploads change them (trimmed, re-encoded to VP9 at 10
  /// fps, scaled to 60 %) match it whole by vPDQ's rule (80 % of their frames); a copy
  /// cropped by 5 % a side matches an augmented set; unrelated videos match neither.
  @Test func editedCopiesMatchTheKnownVideo() throws {
    let variants = TestData.repoRoot.appendingPathComponent("Tests/Fixtures/video-variants")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sieve-vvar-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let set = dir.appendingPathComponent("known.sieveset").path
    #expect(try sieve(["hashset", "build", "-q", variants.appendingPathComponent("base.mp4").path, "-o", set]).status == 0)
    func whole(_ path: String) throws -> [[String: Any]] {
      let out = try sieve(["match", "-q", "--hashset", set, "--format", "jsonl", path]).stdout
      return out.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        .filter { $0["kind"] as? String == "vpdq" }
    }
    for copy in ["trimmed.mp4", "reencoded.webm", "scaled.mp4"] {
      let found = try whole(variants.appendingPathComponent(copy).path)
      #expect(found.count == 1 && (found.first?["query_match_percent"] as? Double ?? 0) >= 80, "\(copy): \(found)")
    }
    for unrelated in [Self.slideshow, Self.folder.appendingPathComponent("mandelbrot-vp9.webm").path] {
      #expect(try whole(unrelated).isEmpty, "\(unrelated)")
    }
    // Cropped by 5 % a side: no frame within 31 bits of the plain set; an augmented set
    // (its frames' centre crops, .sieveset version 4) finds it, and still not the others.
    let cropped = variants.appendingPathComponent("cropped.mp4").path
    #expect(try whole(cropped).isEmpty)
    #expect(try sieve(["hashset", "build", "-q", "--augment", "crops", variants.appendingPathComponent("base.mp4").path, "-o", set]).status == 0)
    #expect(try sieve(["hashset", "info", set]).stdout.contains("sieveset v4"))
    let found = try whole(cropped)
    #expect(found.count == 1 && (found.first?["query_match_percent"] as? Double ?? 0) >= 80, "\(found)")
    for unrelated in [Self.slideshow, Self.folder.appendingPathComponent("mandelbrot-vp9.webm").path] {
      #expect(try whole(unrelated).isEmpty, "\(unrelated)")
    }
  }

  /// A video over the byte limit inside a disk image is decoded where it lies, read
  /// through the image's file system where FFmpeg needs (never held whole), and gives the
  /// features it gives from a folder; its digests are streamed beside.
  @Test func videoOverTheByteLimitInADiskImage() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sieve-vimage-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let image = dir.appendingPathComponent("video.dd").path
    #expect(try CommandRunner.tool(["mkfs.fat", "-C", image, "4096"]) == 0)
    #expect(try CommandRunner.tool(["mcopy", "-i", image, Self.slideshow, "::/clip.mp4"]) == 0)
    let size = try #require(try FileManager.default.attributesOfItem(atPath: Self.slideshow)[.size] as? Int)
    let hashed = try sieve(["hash", "-q", "--format", "jsonl", "--digests", "--max-bytes", "\(size / 2)", image])
    #expect(hashed.status == 0, "\(hashed.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(hashed.stdout.utf8)) as? [String: Any])
    #expect((object["path"] as? String)?.hasSuffix("!/clip.mp4") == true && object["kind"] as? String == "video", "\(object)")
    let frames = try #require(object["vpdq"] as? [[String: Any]])
    let expected = try Self.expected(Self.slideshow).map { $0.split(separator: ",").map(String.init) }
    #expect(frames.map { $0["pdq"] as? String } == expected.map { $0[2] } && frames.count == expected.count)
    let digest = try TestData.bytes(URL(fileURLWithPath: Self.slideshow)).withUnsafeBytes { FileDigests(of: $0).sha256.hexString }
    #expect(object["sha256"] as? String == digest)
  }

  /// A scan records each video with its frames, the frames that match a picture set (with
  /// their times), and the known videos it matches whole; the reports show them.
  @Test func scanRecordsVideosFramesAndMatches() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sieve-vscan-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let videoSet = dir.appendingPathComponent("videos.sieveset").path
    let onlySlideshow = dir.appendingPathComponent("input")
    try FileManager.default.createDirectory(at: onlySlideshow, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: Self.slideshow, toPath: onlySlideshow.appendingPathComponent("slideshow.mp4").path)
    #expect(try sieve(["hashset", "build", "-q", onlySlideshow.path, "-o", videoSet]).status == 0)
    let frame = try #require(try Self.expected(Self.slideshow).last?.split(separator: ",").map(String.init))
    let pictures = dir.appendingPathComponent("pictures.csv")
    try "id,label,pdq,pdq_quality,phash,md5,sha1,sha256\nsecond-photo,example,\(frame[2]),100,,,,\n".write(
      to: pictures, atomically: true, encoding: .utf8)
    let caseFolder = dir.appendingPathComponent("case").path
    let scan = try sieve(["scan", Self.folder.path, "--case", caseFolder, "--hashset", videoSet, "--hashset", pictures.path, "--quiet"])
    #expect(scan.status == 0, "\(scan.stderr)")
    let report = try sieve(["report", caseFolder, "--format", "jsonl"])
    let records = report.stdout.split(separator: "\n").compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    let run = try #require(records.first { $0["record"] as? String == "run" })
    #expect((run["files_by_status"] as? [String: Int])?["video"] == Self.videoCount && Self.videoCount == 13, "\(run)")
    let matches = records.filter { $0["record"] as? String == "match" && $0["path"] as? String == Self.slideshow }
    let whole = matches.filter { $0["kind"] as? String == "vpdq" }
    #expect(whole.count == 1 && whole.first?["query_match_percent"] as? Double == 100, "\(matches)")
    let frames = matches.filter { $0["kind"] as? String == "pdq" }.compactMap { $0["frame_time"] as? Double }
    #expect(frames.sorted() == [2, 3], "\(matches)")
    let csv = try sieve(["report", caseFolder, "--format", "csv"])
    #expect(csv.stdout.contains(",frame_time,query_match,compared_match"))
    // The HTML report shows each matched frame's thumbnail (blurred until clicked), read
    // back from the video; the whole-video match shows its first matching frame.
    let html = try sieve(["report", caseFolder, "--format", "html", "--thumbnails"])
    #expect(html.status == 0)
    // One entry per video, with a thumbnail of each matched frame (its first frame for a
    // match of the whole file by digest).
    for frame in ["frame at 2.000 s", "frame at 3.000 s"] {
      #expect(html.stdout.contains("alt=\"blurred \(frame), select to show\" src=\"data:image/jpeg;base64,"), "\(frame)")
    }
    #expect(html.stdout.contains("alt=\"blurred first frame, select to show\" src=\"data:image/jpeg;base64,") || html.stdout.contains("alt=\"blurred frame at 0.000 s, select to show\" src=\"data:image/jpeg;base64,"))
    #expect(!html.stdout.contains("no thumbnail") && !html.stdout.contains("not shown"), "\(html.stdout.components(separatedBy: "<tr>").filter { $0.contains("not shown") })")
  }
}
