#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SieveSystem
import SieveTestSupport
import Testing

/// Files read a block ahead, directly from the disk where they are not in the page cache
/// and the file system allows it.
@Suite struct SequentialFileReaderTests {
  /// Every byte handed out, block after block.
  static func readAll(_ reader: SequentialFileReader) throws -> [UInt8] {
    var out: [UInt8] = []
    while let block = try reader.next() { out.append(contentsOf: block) }
    #expect(try reader.next() == nil, "the end stays the end")
    return out
  }

  /// Writes `bytes` to a new file in `dir` and syncs it.
  static func file(_ bytes: [UInt8], in dir: TemporaryDirectory, name: String = "in") throws -> String {
    let path = try dir.write(name, bytes)
    let file = try OpenFile(path)
    _ = fsync(file.descriptor)
    return path
  }

  @Test(arguments: [0, 1, 4095, 4096, 4097, 3 * 65_536, 3 * 65_536 + 1234])
  func everyByteFromTheOffsetOnInOrder(count: Int) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let bytes = SequentialFileWriterTests.pattern(count, seed: UInt64(count) + 5)
    let path = try Self.file(bytes, in: dir)
    let direct = SequentialFileWriterTests.takesDirectIO(dir.path)
    for mode in [SequentialFileReader.Mode.direct, .buffered, .automatic] {
      for offset in [0, 1, 4095, 4096, 5000, count] where offset <= count {
        for blocks in [2, 3] {
          let reader = SequentialFileReader(try OpenFile(path), from: Int64(offset), blockSize: 65_536, blocks: blocks, mode: mode)
          #expect(try Self.readAll(reader) == Array(bytes[offset...]), "\(mode), from \(offset), \(blocks) blocks")
          if mode == .direct && direct { #expect(reader.isDirect) }
          if mode == .buffered { #expect(!reader.isDirect) }
        }
      }
      // The same bytes copied out in pieces of any size.
      let reader = SequentialFileReader(try OpenFile(path), from: 0, blockSize: 8192, blocks: 2, mode: mode)
      var copied: [UInt8] = []
      var piece = 1
      var room = [UInt8](repeating: 0, count: 20_000)
      while true {
        let n = try room.withUnsafeMutableBytes { try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<piece])) }
        if n == 0 { break }
        copied += room[0..<n]
        piece = piece * 7 % 19_999 + 1
      }
      #expect(copied == bytes, "\(mode), in pieces")
    }
  }

  /// Left to choose, the reader reads a file in the page cache through it, and a file
  /// that is not (dropped from the cache) directly.
  @Test func aCachedFileIsReadFromTheCacheAndAnotherFromTheDisk() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    guard SequentialFileWriterTests.takesDirectIO(dir.path) else { return }
    let bytes = SequentialFileWriterTests.pattern(2 << 20, seed: 11)
    let path = try Self.file(bytes, in: dir)
    _ = try Data(contentsOf: URL(fileURLWithPath: path))
    try #require(try SequentialFileWriterTests.cachedPages(path) == 512, "the file is in the page cache")
    let cached = SequentialFileReader(try OpenFile(path), from: 0, blockSize: 1 << 20, blocks: 2, mode: .automatic)
    #expect(try Self.readAll(cached) == bytes)
    #expect(!cached.isDirect)
    let file = try OpenFile(path)
    try #require(posix_fadvise(file.descriptor, 0, 0, POSIX_FADV_DONTNEED) == 0)
    try #require(try SequentialFileWriterTests.cachedPages(path) == 0, "the file was dropped from the page cache")
    let cold = SequentialFileReader(try OpenFile(path), from: 0, blockSize: 1 << 20, blocks: 2, mode: .automatic)
    #expect(try Self.readAll(cold) == bytes)
    #expect(cold.isDirect)
    #expect(try SequentialFileWriterTests.cachedPages(path) == 0, "read around the page cache")
  }

  /// Reads the file system refuses to make directly (1000 bytes is no multiple of a
  /// sector) are made through the page cache: the bytes are the same.
  @Test func refusedDirectReadsFallBackToThePageCache() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let bytes = SequentialFileWriterTests.pattern(10_500, seed: 4)
    let path = try Self.file(bytes, in: dir)
    let reader = SequentialFileReader(try OpenFile(path), from: 0, blockSize: 1000, blocks: 2, mode: .direct)
    #expect(try Self.readAll(reader) == bytes)
    #expect(!reader.isDirect)
  }

  /// A read that fails (here: a folder, which cannot be read) is an error, not an end.
  @Test func aFailedReadIsAnError() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let reader = SequentialFileReader(try OpenFile(dir.path), from: 0, blockSize: 4096, blocks: 2, mode: .buffered)
    #expect(throws: SystemError(code: EISDIR)) { try reader.next() }
    #expect(try reader.next() == nil)
  }
}
