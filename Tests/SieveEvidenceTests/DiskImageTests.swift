#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SieveCore
@testable import SieveEvidence
import SievePipeline
import SieveTestSupport
import Testing

/// Disk images made by `Scripts/make_disk_images.py` with the file systems' own tools
/// (mkfs.vfat and mtools, mkfs.ext4 and debugfs, ewfacquire): every file they hold is
/// found, live and deleted, with its location, and reads back with the digest it was
/// written with.
@Suite(.serialized) struct DiskImageTests {
  static var folder: String { TestData.diskImages }

  struct Expected: Decodable, Hashable {
    var path: String
    var partition: Int?
    var allocation: String
    var size: Int
    var sha256: String
  }

  static func manifest() throws -> [String: [Expected]] {
    let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))
    let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    var out: [String: [Expected]] = [:]
    for (name, value) in object where value is [Any] && !name.hasSuffix(".carved") {
      out[name] = try JSONDecoder().decode([Expected].self, from: JSONSerialization.data(withJSONObject: value))
    }
    return out
  }

  /// What the walk finds in `image`, each file read back and digested.
  static func found(_ source: EvidenceSet) throws -> [(file: InputFile, sha256: String)] {
    var files: [InputFile] = []
    source.walk { entry in if case .file(let file) = entry { files.append(file) } }
    return try files.map { file in
      var times = FileReader.FileTimes()
      let bytes = try source.read(file, maxBytes: 1 << 30, times: &times)
      return (file, bytes.withUnsafeBytes { FileDigests(of: $0).sha256.hexString })
    }
  }

  /// FAT keeps a deleted name with its first character replaced: TSK shows `_one.jpg`
  /// for `gone.jpg`.
  static func matches(_ location: EvidenceLocation, _ expected: Expected) -> Bool {
    guard location.allocation.rawValue == expected.allocation, location.partition == expected.partition else { return false }
    if location.pathInFileSystem == expected.path { return true }
    let (got, want) = (location.pathInFileSystem, expected.path)
    guard location.allocation == .deleted, location.fileSystem.hasPrefix("fat"), got.count == want.count,
      let cut = want.lastIndex(of: "/")
    else { return false }
    let leaf = want.index(after: cut)
    return got[..<leaf] == want[..<leaf] && got[got.index(after: leaf)...] == want[want.index(after: leaf)...]
  }

  /// A FAT32 image, an HFS+ volume (a picture in a resource fork too); raw, split raw (four
  /// 1 MiB segments, from the first) and E01 copies of one FAT image,
  /// an MBR image with a FAT and an ext4 partition, a GPT image with an NTFS partition and
  /// an ISO 9660 image: exactly the files written, the deleted ones included, each where it
  /// was written and with its bytes.
  @Test(arguments: ["fat.dd", "fat32.dd", "fat.001", "fat.E01", "mbr.dd", "gpt.dd", "hfs.dd", "iso.iso"])
  func everyFileIsFoundWhereItWasWritten(image: String) throws {
    let expected = try #require(try Self.manifest()[image])
    let path = Self.folder + "/" + image
    let source = EvidenceSet([RawPath(path)])
    #expect(source.notes.isEmpty, "\(source.notes)")
    let found = try Self.found(source)
    #expect(found.count == expected.count, "\(found.map { $0.file.path.description })")
    for want in expected {
      let hits = found.filter { $0.sha256 == want.sha256 }
      #expect(hits.count == 1, "\(image): \(want.path): \(hits.count) files with its digest")
      guard let hit = hits.first, let location = hit.file.location else { continue }
      #expect(Self.matches(location, want), "\(image): \(want.path) found as \(location)")
      #expect(hit.file.size == want.size && location.image == path)
      #expect(hit.file.path.description.hasPrefix(path + "!/" + (want.partition.map { "vol\($0)/" } ?? "")))
      #expect(hit.file.path.description.hasSuffix(want.allocation == "deleted" ? "]" : want.path))
    }
    #expect(found.contains { $0.file.location?.allocation == .deleted } == expected.contains { $0.allocation == "deleted" })
  }

  /// A partition whose file system is damaged (its superblock zeroed): the other is read,
  /// and a note says which one was not. Directory entries that claim more than their file
  /// holds are not followed beyond it. A truncated image and a file that is no image at
  /// all: no crash, plain errors.
  @Test func damagedImagesGiveNotesAndErrors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var mbr = try TestData.bytes(URL(fileURLWithPath: Self.folder + "/mbr.dd"))
    let ext4 = (2048 + 8192) * 512
    mbr.replaceSubrange(ext4 + 1024..<ext4 + 2048, with: [UInt8](repeating: 0, count: 1024))
    let damaged = try dir.write("damaged.dd", mbr)
    let source = EvidenceSet([RawPath(damaged)])
    #expect(source.notes.count == 1 && source.notes[0].contains("volume 3"), "\(source.notes)")
    #expect(try Self.found(source).count == 2)

    // A directory entry claiming 2 GB in a 4 MB file system is dropped by TSK's own checks;
    // one claiming 3 MB for a file of one cluster reads to the end of its cluster chain
    // and stops there with an error, not 3 MB of something else.
    var fat = try TestData.bytes(URL(fileURLWithPath: Self.folder + "/fat.dd"))
    let entry = try #require(fat.firstRange(of: Array("NOTES   TXT".utf8))).lowerBound
    func notesFile(claiming size: UInt32) throws -> (EvidenceSet, InputFile?) {
      fat.replaceSubrange(entry + 28..<entry + 32, with: withUnsafeBytes(of: size.littleEndian, Array.init))
      let source = EvidenceSet([RawPath(try dir.write("claims-\(size).dd", fat))])
      var files: [InputFile] = []
      source.walk { if case .file(let file) = $0 { files.append(file) } }
      #expect(files.count == (size > 4 << 20 ? 7 : 8), "\(files.count) files")
      return (source, files.first { $0.path.description.hasSuffix("/notes.txt") })
    }
    #expect(try notesFile(claiming: 0x7FFF_FFF0).1 == nil)
    let (source3, notes) = try notesFile(claiming: 3_000_000)
    let claimed = try #require(notes)
    #expect(claimed.size == 3_000_000)
    var read = 0
    let error = #expect(throws: FileReader.Failure.self) { try source3.forEachChunk(claimed, chunkSize: 1 << 20) { read += $0.count } }
    #expect(read < 3_000_000, "\(String(describing: error))")

    let truncated = try dir.write("truncated.dd", Array(mbr.prefix(6 << 20)))
    _ = try? Self.found(EvidenceSet([RawPath(truncated)]))
    let noise = try dir.write("noise.dd", (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
    var entries: [FileWalker.Entry] = []
    EvidenceSet([RawPath(noise)]).walk { entries.append($0) }
    #expect(entries.count == 1)
    if case .file(let file) = entries.first { #expect(file.location == nil) } else { Issue.record("\(entries)") }
  }

  /// A directory that lists its own parent (`DCIM/100` pointed at `DCIM`'s cluster): the
  /// walk ends, and the files outside the loop are found. A partition table whose second
  /// entry runs past the end of the image: a disk image with a note, nothing read, no
  /// crash. A picture that happens to hold a boot-sector signature is a picture.
  @Test func loopsAndBrokenTablesEndWithNotes() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var fat = try TestData.bytes(URL(fileURLWithPath: Self.folder + "/fat.dd"))
    let dcim = try #require(fat.firstRange(of: Array("DCIM       ".utf8) + [0x10])).lowerBound
    let sub = try #require(fat.firstRange(of: Array("100        ".utf8) + [0x10])).lowerBound
    fat.replaceSubrange(sub + 26..<sub + 28, with: Array(fat[dcim + 26..<dcim + 28]))
    let looped = EvidenceSet([RawPath(try dir.write("loop.dd", fat))])
    let found = try Self.found(looped)
    #expect(found.contains { $0.file.path.description.hasSuffix("!/pics/c.gif") } && found.count < 50, "\(found.count)")

    var mbr = try TestData.bytes(URL(fileURLWithPath: Self.folder + "/mbr.dd"))
    mbr.replaceSubrange(446 + 16 + 8..<446 + 16 + 16, with: [0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    let broken = EvidenceSet([RawPath(try dir.write("broken.dd", mbr))])
    #expect(broken.images.count == 1 && broken.notes.count == 1, "\(broken.notes)")
    #expect(broken.notes.first?.contains("partition table cannot be read") == true)
    #expect(try Self.found(broken).isEmpty)

    var jpeg = try TestData.bytes(TestData.repoRoot.appendingPathComponent("Tests/Fixtures/vectors/pdq/images/bridge-mods/square-128x128.jpg"))
    (jpeg[510], jpeg[511]) = (0x55, 0xAA)
    let picture = EvidenceSet([RawPath(try dir.write("odd.jpg", jpeg))])
    #expect(picture.images.isEmpty && picture.notes.isEmpty)
  }


  struct Planted: Decodable, Hashable {
    var offset: Int
    var size: Int
    var sha256: String
    /// For a picture planted in a live file's slack: that file's path.
    var slackOf: String?

    enum CodingKeys: String, CodingKey {
      case offset, size, sha256, slackOf = "slack_of"
    }
  }

  /// Six pictures (JPEG, PNG, GIF, BMP, WebP) written straight into free clusters of the
  /// FAT image, and at 512-byte boundaries into 2 MiB without a file system, two into
  /// the space before the MBR image's first partition, and one into the slack of a live
  /// ext4 file (3 bytes after its end): every one is carved at its offset with its exact
  /// bytes, nothing else is carved (the deleted files found by their metadata are not
  /// carved again), and the files are still found.
  @Test(arguments: ["fat.dd", "blob.dd", "mbr.dd"])
  func picturesAreCarvedFromFreeSpace(image: String) throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: Self.folder + "/manifest.json"))
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let planted = try JSONDecoder().decode(
      [Planted].self, from: JSONSerialization.data(withJSONObject: try #require(object[image + ".carved"])))
    let source = EvidenceSet([RawPath(Self.folder + "/" + image)], carve: true)
    let found = try Self.found(source)
    let carved = found.filter { $0.file.location?.allocation == .carved }
    let got = Set(
      carved.map { hit in
        let slack = hit.file.path.description.contains("/$slack/")
        return Planted(
          offset: hit.file.location?.carvedOffset ?? -1, size: hit.file.size ?? -1, sha256: hit.sha256,
          slackOf: slack ? hit.file.location?.pathInFileSystem : nil)
      })
    #expect(got == Set(planted), "\(got.subtracting(planted)) carved but not planted; \(Set(planted).subtracting(got)) missed")
    #expect(found.count - carved.count == ["fat.dd": 8, "blob.dd": 0, "mbr.dd": 5][image])
    for hit in carved {
      let offset = try #require(hit.file.location?.carvedOffset)
      let slackFolder = hit.file.location?.partition.map { "/vol\($0)/$slack/" } ?? "/$slack/"
      #expect(
        hit.file.path.description.hasPrefix(Self.folder + "/" + image + "!/$carved/\(offset).")
          || hit.file.path.description.hasPrefix(Self.folder + "/" + image + "!" + slackFolder + "\(offset)."))
    }
    #expect(planted.contains { $0.slackOf != nil } == (image == "mbr.dd"))
  }


  /// Runs a tool (mkfs.ext4, debugfs, mcopy…) and expects it to succeed.
  static func tool(_ arguments: [String]) throws {
    #expect(try CommandRunner.tool(arguments) == 0, "\(arguments)")
  }

  /// An ext4 image made from `files` ({name bytes: contents}) in one folder.
  static func ext4(_ dir: TemporaryDirectory, _ name: String, _ files: [[UInt8]: [UInt8]]) throws -> String {
    let tree = dir.path + "/" + name + "-tree"
    try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
    for (leaf, bytes) in files {
      let fd = (Array(tree.utf8) + [0x2F] + leaf + [0]).withUnsafeBufferPointer { p in
        p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { open($0, O_WRONLY | O_CREAT, 0o644) }
      }
      #expect(fd >= 0)
      _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      close(fd)
    }
    let image = dir.path + "/" + name + ".ext4"
    try tool(["mkfs.ext4", "-q", "-F", "-b", "1024", "-d", tree, image, "4M"])
    return image
  }

  /// Found in a second review: slack and in-place reads under hostile metadata. A file
  /// whose size is near 2^63 (block-aligned, so TSK's allocated size passes it) is carved
  /// without a trap; a file whose block lies outside its file system (inside the image) has
  /// no slack read there, though a picture waits at that place; a tar whose file system
  /// claims 1 TiB is not opened in place (the claim would lift the expansion-ratio limit).
  @Test func slackAndInPlaceReadsSeeThroughHostileMetadata() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let png = try TestData.bytes(TestData.repoRoot.appendingPathComponent("Tests/Fixtures/decoding/gray2.png"))
    let huge = try Self.ext4(dir, "huge", [Array("a.txt".utf8): Array(repeating: 0x61, count: 100)])
    try Self.tool(["debugfs", "-w", "-R", "sif /a.txt size 0x7FFFFFFFFFFFF000", huge])
    var found = 0
    EvidenceSet([RawPath(huge)], carve: true).walk { if case .file = $0 { found += 1 } }
    #expect(found == 1)

    // A 2 MiB ext2-style file system (no extents: block[0] is a plain block number) in a
    // 4 MiB image; a.txt's block moved to block 3000, past the file system's end.
    let tree = dir.path + "/outside-tree"
    try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
    _ = try dir.write("outside-tree/a.txt", Array(repeating: 0x61, count: 100))
    let outside = dir.path + "/outside.dd"
    FileManager.default.createFile(atPath: outside, contents: Data(count: 4 << 20))
    try Self.tool(["mkfs.ext4", "-q", "-F", "-b", "1024", "-O", "^extent,^has_journal,^64bit", "-d", tree, outside, "2M"])
    try Self.tool(["debugfs", "-w", "-R", "sif /a.txt block[0] 3000", outside])
    let handle = try #require(FileHandle(forWritingAtPath: outside))
    try handle.seek(toOffset: UInt64(3000 * 1024 + 100 + 3))
    handle.write(Data(png))
    try handle.close()
    var carved: [String] = []
    EvidenceSet([RawPath(outside)], carve: true).walk {
      if case .file(let f) = $0, f.location?.allocation == .carved { carved.append(f.path.description) }
    }
    #expect(carved.isEmpty, "\(carved)")

    let tar = try Self.ext4(dir, "tar", [Array("t.tar".utf8): try Self.tarOf(png)])
    try Self.tool(["debugfs", "-w", "-R", "sif /t.tar size 0x10000000000", tar])
    let source = EvidenceSet([RawPath(tar)])
    var file: InputFile?
    source.walk { if case .file(let f) = $0 { file = f } }
    let claimed = try #require(file)
    #expect(source.expandInPlace(claimed) { _ in } == nil)
  }

  /// A tar holding `bytes` as `p.png`, made by Python's tarfile.
  static func tarOf(_ bytes: [UInt8]) throws -> [UInt8] {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let source = try dir.write("p.png", bytes)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import sys, tarfile; t = tarfile.open(sys.argv[2], 'w'); t.add(sys.argv[1], 'p.png'); t.close()",
                         source, dir.path + "/t.tar"]
    try process.run()
    process.waitUntilExit()
    return try TestData.bytes(URL(fileURLWithPath: dir.path + "/t.tar"))
  }

  /// Two images whose paths read alike as text (`disk-\xff.dd`, with a backslash, and
  /// `disk-` + the byte 0xFF + `.dd`): each file is read from its own image.
  @Test func imagesWhosePathsReadAlikeStayApart() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let literal = RawPath(dir.path + "/disk-\\xff.dd")
    let raw = RawPath(bytes: Array((dir.path + "/disk-").utf8) + [0xFF] + Array(".dd".utf8))
    #expect(literal.description == raw.description)
    for (path, source) in [(literal, "fat.dd"), (raw, "mbr.dd")] {
      let bytes = try TestData.bytes(URL(fileURLWithPath: Self.folder + "/" + source))
      let fd = path.withCString { open($0, O_WRONLY | O_CREAT, 0o644) }
      #expect(fd >= 0)
      _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      close(fd)
    }
    let set = EvidenceSet([literal, raw])
    let found = try Self.found(set)
    let manifest = try Self.manifest()
    let expected = Set((manifest["fat.dd"] ?? []).map(\.sha256) + (manifest["mbr.dd"] ?? []).map(\.sha256))
    #expect(found.count == expected.count && Set(found.map(\.sha256)) == expected)
    #expect(found.allSatisfy { $0.file.location?.imagePath == ($0.file.path.bytes.starts(with: raw.bytes) ? raw : literal) })
  }

  /// Found in an attacker's review: hostile metadata the walk must survive and see through.
  /// A size of 2^62 in an inode; two names that are not UTF-8 and read alike as text
  /// (both are recorded, under different paths); a directory graph in which each level is
  /// reachable by two names (2^16 paths to one file: it is listed once, with a note); a
  /// FAT file named like TSK's volume-label entry, which holds data (it is a file).
  @Test func hostileMetadataIsSeenThrough() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let jpeg = try TestData.bytes(TestData.repoRoot.appendingPathComponent("Tests/Fixtures/vectors/pdq/images/bridge-mods/square-128x128.jpg"))
    let names = try Self.ext4(dir, "names", [Array("a\u{FF}.jpg".utf8.prefix(1)) + [0xFF] + Array(".jpg".utf8): jpeg,
                                             Array("a".utf8) + [0xFE] + Array(".jpg".utf8): jpeg + [0]])
    var paths: [String] = []
    EvidenceSet([RawPath(names)]).walk { if case .file(let f) = $0 { paths.append(f.path.description) } }
    #expect(paths.count == 2 && Set(paths).count == 2, "\(paths)")

    let big = try Self.ext4(dir, "big", [Array("a.jpg".utf8): jpeg, Array("b.jpg".utf8): jpeg + [1]])
    try Self.tool(["debugfs", "-w", "-R", "sif /a.jpg size 0x4000000000000000", big])
    try Self.tool(["debugfs", "-w", "-R", "sif /b.jpg size 0x4000000000000000", big])
    let bigSource = EvidenceSet([RawPath(big)])
    var bigFiles: [InputFile] = []
    bigSource.walk { if case .file(let f) = $0 { bigFiles.append(f) } }
    #expect(bigFiles.count == 2 && bigFiles.allSatisfy { ($0.size ?? 0) > 1 << 60 })
    var times = FileReader.FileTimes()
    #expect(throws: FileReader.Failure.self) { try bigSource.read(bigFiles[0], maxBytes: 1 << 30, times: &times) }

    let dag = try Self.ext4(dir, "dag", [Array("p.jpg".utf8): jpeg])
    try Self.tool(["debugfs", "-w", "-R", "mkdir /d16", dag])
    try Self.tool(["debugfs", "-w", "-R", "ln /p.jpg /d16/p.jpg", dag])
    for level in stride(from: 15, through: 0, by: -1) {
      try Self.tool(["debugfs", "-w", "-R", "mkdir /d\(level)", dag])
      try Self.tool(["debugfs", "-w", "-R", "ln /d\(level + 1) /d\(level)/a", dag])
      try Self.tool(["debugfs", "-w", "-R", "ln /d\(level + 1) /d\(level)/b", dag])
    }
    let dagSource = EvidenceSet([RawPath(dag)])
    var dagFiles = 0
    dagSource.walk { if case .file = $0 { dagFiles += 1 } }
    #expect(dagFiles == 1)
    #expect(dagSource.notes.contains { $0.contains("reached again by another name") }, "\(dagSource.notes)")

    var fat = try TestData.bytes(URL(fileURLWithPath: Self.folder + "/fat.dd"))
    let label = dir.path + "/label.dd"
    FileManager.default.createFile(atPath: label, contents: Data(fat))
    let picture = try dir.write("holiday.jpg", jpeg)
    try Self.tool(["mcopy", "-i", label, picture, "::holiday (Volume Label Entry)"])
    fat = []
    var labelled: [String] = []
    EvidenceSet([RawPath(label)]).walk { if case .file(let f) = $0 { labelled.append(f.path.description) } }
    #expect(labelled.contains { $0.hasSuffix("!/holiday (Volume Label Entry)") }, "\(labelled)")
  }


  /// A GPT's third entry starting at sector 2^54 (its byte offset overflows 64 bits; TSK
  /// checks only the first two entries against the image's size): noted and left out, no
  /// trap, and the real partition is still read.
  @Test func aPartitionOutsideTheImageIsNoted() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var gpt = try TestData.bytes(URL(fileURLWithPath: Self.folder + "/gpt.dd"))
    let entry = 1024 + 2 * 128
    gpt.replaceSubrange(entry..<entry + 16, with: gpt[1024..<1024 + 16])
    gpt.replaceSubrange(entry + 16..<entry + 32, with: [UInt8](repeating: 0x5E, count: 16))
    gpt.replaceSubrange(entry + 32..<entry + 48, with: withUnsafeBytes(of: (UInt64(1) << 54).littleEndian, Array.init)
      + withUnsafeBytes(of: ((UInt64(1) << 54) + 100).littleEndian, Array.init))
    let entriesCRC = gpt[1024..<1024 + 128 * 128].withUnsafeBytes { CRC32.checksum($0) }
    gpt.replaceSubrange(512 + 88..<512 + 92, with: withUnsafeBytes(of: entriesCRC.littleEndian, Array.init))
    gpt.replaceSubrange(512 + 16..<512 + 20, with: [0, 0, 0, 0])
    let headerCRC = gpt[512..<512 + 92].withUnsafeBytes { CRC32.checksum($0) }
    gpt.replaceSubrange(512 + 16..<512 + 20, with: withUnsafeBytes(of: headerCRC.littleEndian, Array.init))
    let source = EvidenceSet([RawPath(try dir.write("far.dd", gpt))])
    #expect(source.notes.contains { $0.contains("starts outside the image") }, "\(source.notes)")
    // Every file of the NTFS partition: its three, the zip and the named stream.
    #expect(try Self.found(source).count == 5)
  }
}
