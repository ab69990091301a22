#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SieveCore
@testable import SieveHashSets
import SieveTestSupport
import Testing

/// A set file is opened once and read once: the bytes handed to the observer (of which
/// a case records the SHA-256) are the bytes loaded, for binary and text files, from a
/// regular file or a pipe.
@Suite struct HashSetLoaderTests {
  @Test(arguments: ["sample-fixtures.sieveset", "sample-fixtures.md5", "sample-fixtures.threatexchange.csv"])
  func theObserverSeesExactlyTheBytesLoaded(name: String) throws {
    let path = TestData.repoRoot.appendingPathComponent("hashsets/" + name).path
    let file = try TestData.bytes(URL(fileURLWithPath: path))
    var seen: [UInt8] = []
    let loaded = try HashSetLoader.load(path) { seen += $0 }
    #expect(seen == file)
    #expect(loaded.set.count > 0)
    #expect((loaded.header != nil) == name.hasSuffix(".sieveset"))
  }

  /// Through a pipe (which cannot be read twice): the binary format is still recognised
  /// from the first bytes, and the set is the one the regular file gives.
  @Test(arguments: ["sample-fixtures.sieveset", "sample-fixtures.md5"])
  func aPipeIsReadOnce(name: String) throws {
    let source = TestData.repoRoot.appendingPathComponent("hashsets/" + name).path
    let bytes = try TestData.bytes(URL(fileURLWithPath: source))
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let fifo = dir.path + "/set.fifo"
    #expect(mkfifo(fifo, 0o600) == 0)
    let writer = Thread {
      let fd = open(fifo, O_WRONLY)
      _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      close(fd)
    }
    writer.start()
    var seen: [UInt8] = []
    let piped = try HashSetLoader.load(fifo, name: "set") { seen += $0 }
    let regular = try HashSetLoader.load(source, name: "set")
    #expect(seen == bytes)
    #expect(piped.version == regular.version && piped.set.count == regular.set.count)
  }
}
