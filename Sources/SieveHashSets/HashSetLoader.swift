#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loads a hash set from any file Sieve reads: its binary format, recognised by its
/// magic bytes, or any text format of ``HashSetFormat``.
public enum HashSetLoader {
  /// A loaded set, with what is known of its file.
  public struct Loaded: Sendable {
    /// The set.
    public var set: HashSet
    /// The binary header, for binary files.
    public var header: BinaryHashSet.Header?
    /// What the text reader found, for text files.
    public var report: TextHashSetReader.Report?

    /// The set's version, 16 hex digits: a binary file's payload checksum, or for a text
    /// list a checksum of its bytes as they were read (so a list changed between two reads
    /// cannot be mislabelled). Equal versions mean equal contents.
    public var version: String {
      if let header { return header.checksumHex }
      let hex = String(report?.checksum ?? 0, radix: 16)
      return String(repeating: "0", count: 16 - hex.count) + hex
    }
  }

  /// Loads `path`; a text set is named after the file unless `name` is given.
  public static func load(_ path: String, name: String? = nil, text: TextHashSetReader = TextHashSetReader()) throws(HashSetError) -> Loaded {
    if try isBinaryFile(path) {
      var (set, header) = try BinaryHashSet.read(path)
      if let name { set.name = name }
      return Loaded(set: set, header: header, report: nil)
    }
    let base = path.split(separator: "/").last.map(String.init) ?? path
    var set = HashSet(name: name ?? base)
    let report = try text.read(path, into: &set)
    return Loaded(set: set, header: nil, report: report)
  }

  static func isBinaryFile(_ path: String) throws(HashSetError) -> Bool {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .io(file: path, reason: String(cString: strerror(errno))) }
    defer { _ = systemClose(fd) }
    // A pipe cannot be peeked at without losing bytes: pipes are read as text.
    var info = stat()
    if fstat(fd, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO { return false }
    var prefix = [UInt8](repeating: 0, count: 8)
    let n = prefix.withUnsafeMutableBytes { read(fd, $0.baseAddress, 8) }
    return n == 8 && BinaryHashSet.isBinary(prefix)
  }
}
