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
      if case .file(let path, let explicit) = entry, !explicit { return String(path.dropFirst(dir.path.count + 1)) }
      return nil
    }
    #expect(files == ["A.bin", "b.txt", "a/z.jpg", "a/b/c.png"])
  }

  @Test func followsLinksWhenAskedButNotIntoLoopsForever() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try dir.write("x/file.jpg", [1])
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/y", withDestinationPath: dir.path + "/x")
    let entries = FileWalker(followSymlinks: true).entries([dir.path])
    #expect(entries.count == 2)
  }

  @Test func explicitFilesAndMissingPaths() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let file = try dir.write("one.jpg", [1])
    let entries = FileWalker().entries([file, dir.path + "/missing.jpg", "/dev/null"])
    #expect(entries[0] == .file(path: file, explicit: true))
    #expect(entries[1] == .failure(path: dir.path + "/missing.jpg", reason: "No such file or directory"))
    #expect(entries[2] == .failure(path: "/dev/null", reason: "not a regular file or folder"))
  }
}
