#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SievePipeline
import SieveTestSupport
import Testing

@Suite struct FileWalkerTests {
  @Test func walksRecursivelyInNameOrderWithoutFollowingLinks() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try dir.write("b.txt", [1])
    try dir.write("a/z.jpg", [2])
    try dir.write("a/b/c.png", [3])
    try dir.write("A.bin", [4])
    // A symlink loop and a link to a file: neither is followed inside a folder.
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/a/loop", withDestinationPath: dir.path)
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/link.txt", withDestinationPath: dir.path + "/b.txt")

    let entries = FileWalker().entries([dir.path])
    let files = entries.compactMap { entry -> String? in
      if case .file(let file) = entry, !file.explicit { return String(file.path.description.dropFirst(dir.path.count + 1)) }
      return nil
    }
    #expect(files == ["A.bin", "b.txt", "a/z.jpg", "a/b/c.png"])
  }

  @Test func followsLinksWhenAskedButNotIntoLoopsForever() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try dir.write("x/file.jpg", [1])
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/y", withDestinationPath: dir.path + "/x")
    // Two loops back to the top in every folder: without a visited set, 2^40 paths.
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/x/up", withDestinationPath: dir.path)
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/x/up2", withDestinationPath: "..")
    let entries = FileWalker(followSymlinks: true).entries([dir.path])
    // x/file.jpg once; y is the same folder as x, so it is not walked again.
    #expect(entries.count == 1, "\(entries)")
  }

  @Test func namesThatAreNotUTF8AreKeptAsBytes() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    // "café.jpg" in Latin-1: 0xE9 is not valid UTF-8 on its own.
    let name: [UInt8] = Array("caf".utf8) + [0xE9] + Array(".jpg".utf8)
    let path = RawPath(dir.path).appending(name)
    let fd = path.withCString { open($0, O_CREAT | O_WRONLY, 0o644) }
    #expect(fd >= 0)
    _ = [UInt8](repeating: 7, count: 10).withUnsafeBytes { write(fd, $0.baseAddress, 10) }
    close(fd)
    let entries = FileWalker().entries([dir.path])
    guard case .file(let found) = entries.first, entries.count == 1 else {
      Issue.record("\(entries)")
      return
    }
    #expect(found.path == path && !found.explicit && !found.followsLink && found.identity != nil)
    #expect(path.description.hasSuffix("/caf\\xe9.jpg"))
    #expect(!path.isValidUTF8)
    #expect(try FileReader.read(path, maxBytes: 100) == [UInt8](repeating: 7, count: 10))
    #expect(RawPath("a\\b/ü").description == "a\\b/ü")
  }

  @Test func explicitFilesAndMissingPaths() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let file = try dir.write("one.jpg", [1])
    let entries = FileWalker().entries([file, dir.path + "/missing.jpg", "/dev/null"])
    guard case .file(let named) = entries[0] else {
      Issue.record("\(entries)")
      return
    }
    #expect(named.path == RawPath(file) && named.explicit && named.followsLink)
    #expect(entries[1] == .failure(path: RawPath(dir.path + "/missing.jpg"), reason: "No such file or directory"))
    #expect(entries[2] == .failure(path: RawPath("/dev/null"), reason: "not a regular file or folder"))
  }
}

/// Evidence files are read as the walk found them: never through a link swapped in after
/// the walk, and with --follow-symlinks never outside the paths named.
@Suite struct EvidenceAccessTests {
  @Test func followedLinksStayInsideTheEvidence() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    _ = try dir.write("evidence/a.jpg", [1])
    _ = try dir.write("evidence/deep/b.jpg", [2])
    let secret = try dir.write("elsewhere/secret.jpg", [3])
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/evidence/inner", withDestinationPath: dir.path + "/evidence/deep/b.jpg")
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/evidence/out", withDestinationPath: secret)
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/evidence/outdir", withDestinationPath: dir.path + "/elsewhere")
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/evidence/up", withDestinationPath: "../elsewhere/secret.jpg")
    let entries = FileWalker(followSymlinks: true).entries([dir.path + "/evidence"])
    var read: [String: InputFile] = [:]
    var refused: [String: String] = [:]
    for entry in entries {
      switch entry {
      case .file(let file): read[String(file.path.description.split(separator: "/").last!)] = file
      case .failure(let path, let reason): refused[String(path.description.split(separator: "/").last!)] = reason
      case .special: break
      }
    }
    #expect(Set(read.keys) == ["a.jpg", "b.jpg", "inner"], "\(entries)")
    #expect(read["inner"]?.followsLink == true && read["a.jpg"]?.followsLink == false)
    #expect(Set(refused.keys) == ["out", "outdir", "up"], "\(refused)")
    #expect(refused.values.allSatisfy { $0.contains("outside the evidence: not followed") })
    #expect(!entries.contains { if case .file(let f) = $0 { return f.path.description.contains("secret") } else { return false } })
  }

  @Test func aFileSwappedForALinkAfterTheWalkIsNotRead() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    _ = try dir.write("evidence/a.jpg", [1, 2, 3])
    _ = try dir.write("evidence/b.jpg", [4, 5])
    let secret = try dir.write("elsewhere/secret.jpg", [9, 9, 9])
    let entries = FileWalker().entries([dir.path + "/evidence"])
    let files = entries.compactMap { entry -> InputFile? in if case .file(let f) = entry { return f } else { return nil } }
    #expect(files.count == 2)
    // a.jpg becomes a link to a file outside; b.jpg is replaced by another file.
    try FileManager.default.removeItem(atPath: dir.path + "/evidence/a.jpg")
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/evidence/a.jpg", withDestinationPath: secret)
    _ = try dir.write("evidence/b2.jpg", [6, 6])
    #expect(rename(dir.path + "/evidence/b2.jpg", dir.path + "/evidence/b.jpg") == 0)
    var times = FileReader.FileTimes()
    #expect(throws: FileReader.Failure.replaced("it is now a symbolic link, which is not followed")) {
      try FileReader.read(files[0], maxBytes: 100, times: &times)
    }
    #expect(throws: FileReader.Failure.replaced("another file now has its name")) {
      try FileReader.read(files[1], maxBytes: 100, times: &times)
    }
    // The batch records it as a failure with that reason, and goes on.
    let batch = BatchHasher(configuration: .init(workers: 1))
    var records: [HashRecord] = []
    batch.run(files, from: FolderEvidence([])) { _, record in records.append(record) }
    #expect(records.count == 2 && records.allSatisfy {
      if case .failed(let reason) = $0.outcome { return reason.contains("changed since the walk") } else { return false }
    })
  }

  /// A file written to while it is read is refused as changed, not recorded as the bytes
  /// that happened to be read (before, a file that grew was hashed as its first bytes).
  @Test func aFileThatGrowsWhileItIsReadIsRefused() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("growing.bin", [UInt8](repeating: 1, count: 16))
    var chunks = 0
    #expect(throws: FileReader.Failure.changed) {
      try FileReader.forEachChunk(RawPath(path), chunkSize: 4) { _ in
        chunks += 1
        if chunks == 1 {
          let handle = FileHandle(forWritingAtPath: path)!
          handle.seekToEndOfFile()
          handle.write(Data([2, 2, 2, 2]))
          try? handle.close()
        }
      }
    }
    // Left alone, the same file reads whole, in the same chunks.
    var total = 0
    try FileReader.forEachChunk(RawPath(path), chunkSize: 4) { total += $0.count }
    #expect(total == 20 && chunks == 5)
  }

}
