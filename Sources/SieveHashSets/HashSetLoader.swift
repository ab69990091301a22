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
  ///
  /// The file is opened once and read once, from its start to its end: the binary
  /// format is recognised from the first bytes read, and `observe` is handed every byte,
  /// in order, so that a digest of the file (a case records its SHA-256) is a digest of
  /// the very bytes loaded, even if the file is replaced meanwhile. A pipe works too.
  public static func load(
    _ path: String, name: String? = nil, text: TextHashSetReader = TextHashSetReader(),
    observing observe: ((UnsafeRawBufferPointer) -> Void)? = nil
  ) throws(HashSetError) -> Loaded {
    let file: OpenFile
    let kind: FileMetadata.Kind
    var prefix = [UInt8](repeating: 0, count: 8)
    do throws(SystemError) {
      file = try OpenFile(path)
      kind = try file.metadata().kind
      if kind == .regular || kind == .fifo { prefix.removeLast(8 - (try file.readFully(into: &prefix))) }
    } catch {
      throw .io(file: path, reason: error.description)
    }
    guard kind == .regular || kind == .fifo else { throw .io(file: path, reason: "not a regular file") }
    if BinaryHashSet.isBinary(prefix) {
      var (set, header) = try BinaryHashSet.read(file, kind: kind, prefix: prefix, path: path, observe: observe)
      if let name { set.name = name }
      return Loaded(set: set, header: header, report: nil)
    }
    let base = path.split(separator: "/").last.map(String.init) ?? path
    var set = HashSet(name: name ?? base)
    if text.format == .vics || (text.format == nil && VICSReader.looksLikeJSON(prefix)) {
      var json = try JSONStreamReader(file: file, path: path, prefix: prefix, observe: observe)
      let report = try VICSReader.read(&json, path: path, reader: text, into: &set)
      return Loaded(set: set, header: nil, report: report)
    }
    var lines = LineReader(
      file: file, path: path, prefix: prefix, checksums: text.computesChecksum, readAheadBytes: text.readAheadBytes, observe: observe)
    let report = try text.read(&lines, path: path, into: &set)
    return Loaded(set: set, header: nil, report: report)
  }
}
