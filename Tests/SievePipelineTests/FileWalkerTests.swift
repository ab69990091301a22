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
      if case .file(let path, let explicit) = entry, !explicit { return String(path.description.dropFirst(dir.path.count + 1)) }
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
    #expect(entries == [.file(path: path, explicit: false)])
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
    #expect(entries[0] == .file(path: RawPath(file), explicit: true))
    #expect(entries[1] == .failure(path: RawPath(dir.path + "/missing.jpg"), reason: "No such file or directory"))
    #expect(entries[2] == .failure(path: RawPath("/dev/null"), reason: "not a regular file or folder"))
  }
}
