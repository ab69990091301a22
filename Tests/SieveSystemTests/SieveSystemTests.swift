import Foundation
import SieveSystem
import SieveTestSupport
import Testing

@Suite struct SieveSystemTests {
  @Test func openReadWriteAndMetadata() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.path + "/a.bin"
    let file = try OpenFile(path, options: [.writeOnly, .create, .exclusive], mode: 0o600)
    try file.write([1, 2, 3, 4])
    try file.sync()
    #expect(try file.endOffset() == 4)
    try file.truncate(to: 2)
    #expect(throws: SystemError.self) { try OpenFile(path, options: [.writeOnly, .create, .exclusive]) }
    let reader = try OpenFile(path)
    let metadata = try reader.metadata()
    #expect(metadata.kind == .regular && metadata.size == 2 && metadata.inode != 0)
    var buffer = [UInt8](repeating: 0, count: 8)
    #expect(try reader.readFully(into: &buffer) == 2 && buffer.prefix(2) == [1, 2])
  }

  /// `noFollow` refuses a link as the last component, and says so.
  @Test func noFollowRefusesALink() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let target = try dir.write("target", [7])
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/link", withDestinationPath: target)
    let error = #expect(throws: SystemError.self) { try OpenFile(dir.path + "/link", options: [.noFollow]) }
    #expect(error?.isSymbolicLink == true)
    #expect(try OpenFile(dir.path + "/link").metadata().size == 1)
    let link = try dir.path.appending("/link").withCString { try FileSystem.metadata($0, followLinks: false) }
    #expect(link.kind == .symbolicLink)
    #expect(dir.path.appending("/link").withCString { FileSystem.realPath($0) }.map { String(decoding: $0, as: UTF8.self) }?.hasSuffix("/target") == true)
  }

  /// An atomic write leaves the old file or the new one, never a part, and no temporary.
  @Test func writeAtomicallyReplacesWholeFiles() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.path + "/keys.json"
    try FileSystem.writeAtomically(Array("old".utf8), to: path)
    try FileSystem.writeAtomically(Array("new contents".utf8), to: path)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "new contents")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["keys.json"])
    let mode = try path.withCString { try FileSystem.metadata($0) }
    #expect(mode.kind == .regular)
    #expect(throws: SystemError.self) { try FileSystem.writeAtomically([1], to: dir.path + "/missing/x") }
  }

  @Test func directoryNamesLeaveOutDotEntries() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    _ = try dir.write("b", [1])
    _ = try dir.write("a", [1])
    let names = try FileSystem.names(in: OpenFile(dir.path, options: [.directory])).map { String(decoding: $0, as: UTF8.self) }
    #expect(names.sorted() == ["a", "b"])
    #expect(FileSystem.currentDirectory()?.first == UInt8(ascii: "/"))
  }
}

/// The mount table maps a path to its file system and the path within it.
@Suite struct MountTableTests {
  @Test func pathsAreMappedThroughTheDeepestMount() {
    let text = """
      22 1 0:21 / / rw - ext4 /dev/sda1 rw
      30 22 8:1 / /srv rw - ext4 /dev/sdb1 rw
      31 22 8:1 /evidence/phone\\0401 /mnt/p1 rw - ext4 /dev/sdb1 rw
      32 22 8:1 / /mnt/p1/stacked rw - ext4 /dev/sdb1 rw
      """
    let table = MountTable(mountinfo: Array(text.utf8))
    #expect(table.mounts.count == 4)
    #expect(table.mounts[2].root == Array("/evidence/phone 1".utf8))
    #expect(table.mount(holding: Array("/mnt/p1/stacked/x".utf8))?.device == "8:1" && table.mounts.allSatisfy { $0.type == "ext4" })
    func location(_ path: String) -> String? {
      table.location(of: Array(path.utf8)).map { "\($0.device) \(String(decoding: $0.path, as: UTF8.self))" }
    }
    #expect(location("/mnt/p1/case") == "8:1 /evidence/phone 1/case")
    #expect(location("/srv/evidence/phone 1/case") == "8:1 /evidence/phone 1/case")
    #expect(location("/mnt/p1") == "8:1 /evidence/phone 1")
    #expect(location("/mnt/p10") == "0:21 /mnt/p10")
    #expect(location("/mnt/p1/stacked/x") == "8:1 /x")
    #expect(location("/") == "0:21 /")
  }
}
