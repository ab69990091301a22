#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SieveSystem
import SieveTestSupport
import Testing

/// Files written in aligned blocks, directly to the disk where the file system allows it.
@Suite struct SequentialFileWriterTests {
  /// Bytes that differ from block to block (a shifted or repeated block would show).
  static func pattern(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return UInt8(truncatingIfNeeded: state >> 56)
    }
  }

  /// Writes `bytes` in pieces of every size from 1 byte to several blocks, finishes, and
  /// returns the writer.
  static func write(_ bytes: [UInt8], to path: String, blockSize: Int, direct: Bool) throws -> SequentialFileWriter {
    let file = try OpenFile(path, options: [.writeOnly, .create, .exclusive], mode: 0o600)
    let writer = SequentialFileWriter(file, blockSize: blockSize, direct: direct)
    var at = 0
    var piece = 1
    try bytes.withUnsafeBytes { raw in
      while at < raw.count {
        let n = min(piece, raw.count - at)
        try writer.write(UnsafeRawBufferPointer(rebasing: raw[at..<at + n]))
        at += n
        piece = piece * 7 % (3 * blockSize + 11) + 1
      }
    }
    try writer.finish()
    #expect(writer.count == Int64(bytes.count))
    return writer
  }

  /// Whether the folder's file system is one known to take direct I/O (ext2/3/4, XFS,
  /// Btrfs), by the mount table: there the writer must use it.
  static func takesDirectIO(_ folder: String) -> Bool {
    let path = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
    let type = MountTable.current()?.mount(holding: Array(path.utf8))?.type ?? ""
    return ["ext2", "ext3", "ext4", "xfs", "btrfs"].contains(type)
  }

  /// How many of the file's pages are in the page cache.
  static func cachedPages(_ path: String) throws -> Int {
    let file = try OpenFile(path)
    let size = Int(try file.metadata().size)
    guard let map = mmap(nil, size, PROT_READ, MAP_SHARED, file.descriptor, 0), map != MAP_FAILED else {
      throw SystemError.current
    }
    defer { munmap(map, size) }
    let pages = (size + 4095) / 4096
    var resident = [UInt8](repeating: 0, count: pages)
    guard mincore(map, size, &resident) == 0 else { throw SystemError.current }
    return resident.filter { $0 & 1 != 0 }.count
  }

  @Test(arguments: [0, 1, 4095, 4096, 4097, 3 * 65_536, 3 * 65_536 + 1234, 5 * 65_536 - 1])
  func theFileHoldsExactlyTheBytesWritten(count: Int) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let bytes = Self.pattern(count, seed: UInt64(count))
    let path = dir.path + "/out"
    let writer = try Self.write(bytes, to: path, blockSize: 65_536, direct: true)
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes))
    if Self.takesDirectIO(dir.path) { #expect(writer.isDirect) }
  }

  /// Written directly, the file leaves (nearly) nothing in the page cache; written
  /// through it, all of it is there. (The last block's padding is cut off by a truncate,
  /// which may leave its page cached.)
  @Test func directBlocksLeaveThePageCacheAlone() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    guard Self.takesDirectIO(dir.path) else { return }
    let bytes = Self.pattern(8 << 20, seed: 7)
    let direct = try Self.write(bytes, to: dir.path + "/direct", blockSize: 1 << 20, direct: true)
    let buffered = try Self.write(bytes, to: dir.path + "/buffered", blockSize: 1 << 20, direct: false)
    #expect(direct.isDirect && !buffered.isDirect)
    #expect(try Self.cachedPages(dir.path + "/direct") <= 1)
    #expect(try Self.cachedPages(dir.path + "/buffered") == 2048)
    #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path + "/direct")) == Data(bytes))
  }

  /// Blocks the file system refuses to write directly (1000 bytes is no multiple of a
  /// sector) are written through the page cache: the file is the same.
  @Test func refusedDirectWritesFallBackToThePageCache() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let bytes = Self.pattern(10_500, seed: 3)
    let path = dir.path + "/out"
    let writer = try Self.write(bytes, to: path, blockSize: 1000, direct: true)
    #expect(!writer.isDirect)
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes))
  }

  /// A write that fails (here: a full disk, `/dev/full`) is an error, not a short file.
  @Test func aFailedWriteIsAnError() throws {
    let file = try OpenFile("/dev/full", options: [.writeOnly])
    let writer = SequentialFileWriter(file, blockSize: 4096, direct: false)
    let bytes = Self.pattern(3 * 4096, seed: 1)
    #expect(throws: SystemError(code: ENOSPC)) {
      try writer.write(bytes)
      try writer.finish()
    }
  }
}
