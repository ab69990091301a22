#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SieveSystem
import SieveTestSupport
import Testing

/// Mapped files survive being truncated under their mapping.
@Suite struct MappedFileTests {
  @Test func readsTheFile() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("bytes", (0..<10_000).map { UInt8(truncatingIfNeeded: $0) })
    let mapped = try MappedFile(try OpenFile(path), size: 10_000)
    #expect(mapped.bytes.count == 10_000 && mapped.bytes[9_999] == UInt8(truncatingIfNeeded: 9_999))
    #expect(mapped.isIntact)
  }

  /// Truncated to nothing, then every page of 1 GiB read: one fault repairs the rest of
  /// the mapping at once (one repair a page would split the mapping past the kernel's
  /// limit of about 65,000 mappings a process, and the next fault would kill it).
  @Test func everyPageOfATruncatedFileReadsAsZeros() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.path + "/sparse"
    let size = 1 << 30
    #expect(FileManager.default.createFile(atPath: path, contents: Data([7])))
    #expect(truncate(path, off_t(size)) == 0)
    let mapped = try MappedFile(try OpenFile(path), size: size)
    #expect(mapped.bytes[0] == 7)
    #expect(truncate(path, 0) == 0)
    var sum = 0
    for page in stride(from: 0, to: size, by: 4096) { sum &+= Int(mapped.bytes[page]) }
    #expect(sum == 0)
    #expect(!mapped.isIntact && mapped.faults >= 1 && mapped.faults <= 2)
  }
}
