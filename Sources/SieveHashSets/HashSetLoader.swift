import SieveSystem

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
    do throws(SystemError) {
      let file = try OpenFile(path)
      // A pipe cannot be peeked at without losing bytes: pipes are read as text.
      if try file.metadata().kind == .fifo { return false }
      var prefix = [UInt8](repeating: 0, count: 8)
      return try file.readFully(into: &prefix) == 8 && BinaryHashSet.isBinary(prefix)
    } catch {
      throw .io(file: path, reason: error.description)
    }
  }
}
