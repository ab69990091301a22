import SieveSystem
import SieveCore

/// Sieve's binary hash-set format (`.sieveset`), versions 1 to 3.
///
/// Layout, little-endian, every section 8-byte aligned:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 8 | magic `SIEVESET` |
/// | 8 | 4 | format version (1) |
/// | 12 | 4 | section count |
/// | 16 | 8 | entry count |
/// | 24 | 8 | payload length (bytes after the 64-byte header) |
/// | 32 | 8 | checksum of bytes 0–31 and the payload (``Checksum64``) |
/// | 40 | 24 | reserved, zero (checked) |
///
/// Then sections, each a 16-byte header (4-byte tag, 4 bytes zero, 8-byte length) and
/// its payload padded to 8 bytes: `NAME` (UTF-8), `LABL` (label count, offsets, bytes),
/// `ELBL` (one UInt32 label index per entry), `EIDS` (entry-count + 1 UInt64 offsets,
/// then the UTF-8 id bytes), and per hash kind present: `PDQ ` (count, entry indices,
/// then the hashes as 4 UInt64 words each in one contiguous block, then qualities),
/// `PHSH` (count, entry indices, words), `MD5 `/`SHA1`/`S256` (count, entry indices,
/// digest bytes). Unknown section tags are skipped, so later versions can add sections.
///
/// Version 2 (augmented sets) adds `PDQV` (count, then one ``PDQVariant`` byte per PDQ
/// hash): an entry may then hold several PDQ hashes, its own and its variants'. A set
/// without variants is still written as version 1, which every Sieve reads; a version 1
/// reader refuses version 2 by its version number, instead of taking variants for images.
///
/// Version 3 (sets holding videos) adds `VPDQ`: count, then per frame its entry index
/// (Int32), frame number (Int32), quality (UInt8), padded, time (Float64, seconds), then
/// the hashes as 4 UInt64 words each. A set without videos is written as version 1 or 2;
/// older readers refuse version 3 by its number instead of ignoring the videos.
///
/// Version 4 (augmented video sets) adds `VPDV`: count, then per variant of a video frame
/// the frame's row in `VPDQ` (Int32), its ``PDQVariant`` byte, and its hash (4 UInt64
/// words). A set without them is written as an earlier version; older readers refuse
/// version 4 by its number instead of matching without the crops.
///
/// Version 5 (sets carrying their index) adds `PMIX`: the PDQ hashes' multi-index tables
/// (``MultiIndexHashTable``), so that a reader uses them as they are instead of building
/// them: PDQ hash count (UInt64), part count, key bits, id bits, zero (UInt32 each), per
/// part its first bit and width (UInt32 each), padded, then the tables' bytes
/// (``MultiIndexTables``: every part's 2^key + 1 UInt32 offsets, padded, then every
/// part's ids packed `idBits` bits each, each part's padded to 8 bytes with 8 bytes of
/// slack). The section starts 8-byte aligned, so a mapped file's tables are used in place.
/// A set written without tables is an earlier version; older readers refuse version 5 by
/// its number.
public enum BinaryHashSet {
  /// The first eight bytes of every binary set file.
  static let magic: [UInt8] = Array("SIEVESET".utf8)
  static let version: UInt32 = 5
  /// The oldest version read.
  static let oldestVersion: UInt32 = 1
  static let headerSize = 64

  /// Whether `bytes` start like a binary hash set.
  public static func isBinary(_ prefix: some Collection<UInt8>) -> Bool {
    Array(prefix.prefix(8)) == magic
  }

  // MARK: Writing

  /// The file bytes for `set`.
  public static func encode(_ set: HashSet) -> [UInt8] {
    precondition(UInt32(1).littleEndian == 1, "binary hash sets are written on little-endian machines")
    var set = set
    set.sortDigests()
    var out = [UInt8](repeating: 0, count: headerSize)
    let header = Writer.write(set) { out.append(contentsOf: $0) }
    out.replaceSubrange(0..<headerSize, with: header)
    return out
  }

  /// Writes `set` to `path` atomically (a new file beside it, synced, renamed into place):
  /// a service reloading `path` meanwhile reads the old set or the new one.
  ///
  /// The exact digests are written sorted (``HashSet/sortDigests()``). The file is written
  /// as it is made, never held whole in memory, in blocks that go to
  /// the disk directly where the file system allows it (``SequentialFileWriter``: it is
  /// synced anyway, and a 10M-entry set's 1.6 GB need not pass through the page cache);
  /// its header, which carries the checksum, last.
  public static func write(_ set: HashSet, to path: String) throws(HashSetError) {
    precondition(UInt32(1).littleEndian == 1, "binary hash sets are written on little-endian machines")
    var set = set
    set.sortDigests()  // a copy of the columns only when they are not sorted yet
    do {
      try FileSystem.writeAtomically(to: path, mode: 0o644) { file throws(SystemError) in
        let out = SequentialFileWriter(file)
        try out.write([UInt8](repeating: 0, count: headerSize))
        var failure: SystemError?
        let header = Writer.write(set) { bytes in
          guard failure == nil else { return }
          do throws(SystemError) { try out.write(bytes) } catch { failure = error }
        }
        if let failure { throw failure }
        try out.finish()
        try file.write(header, at: 0)
      }
    } catch {
      throw .io(file: path, reason: error.description)
    }
  }

  // MARK: Reading

  /// The checksum of the first 32 header bytes and the payload.
  static func checksum(head: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) -> UInt64 {
    var sum = Checksum64.of(payload)
    for i in 0..<4 { sum = Checksum64.mix(sum, head.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) }
    return sum
  }

  /// Summary of a binary file's header, without decoding the sections.
  public struct Header: Sendable, Equatable {
    public var version: Int
    public var sectionCount: Int
    public var entryCount: Int
    public var payloadLength: Int
    public var checksum: UInt64

    /// The checksum as 16 hex digits: the set's version identifier.
    public var checksumHex: String {
      let hex = String(checksum, radix: 16)
      return String(repeating: "0", count: 16 - hex.count) + hex
    }
  }

  /// Decodes a whole file's bytes, verifying the checksum and every section's bounds.
  public static func decode(_ bytes: [UInt8], file: String) throws(HashSetError) -> (HashSet, Header) {
    do {
      return try bytes.withUnsafeBytes { raw in try decode(raw, file: file) }
    } catch let error as HashSetError {
      throw error
    } catch {
      throw .badBinary(file: file, reason: "\(error)")
    }
  }

  static func readHeader(_ raw: UnsafeRawBufferPointer, file: String) throws(HashSetError) -> Header {
    guard raw.count >= headerSize, isBinary(raw) else {
      throw .badBinary(file: file, reason: "no SIEVESET header")
    }
    func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
    func u64(_ at: Int) -> UInt64 { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
    let header = Header(
      version: Int(u32(8)), sectionCount: Int(u32(12)), entryCount: Int(clamping: u64(16)),
      payloadLength: Int(clamping: u64(24)), checksum: u64(32))
    guard (Int(oldestVersion)...Int(version)).contains(header.version) else {
      throw .badBinary(
        file: file,
        reason: "format version \(header.version); this Sieve reads versions \(oldestVersion) to \(version) (a newer Sieve wrote it)")
    }
    guard raw[40..<64].allSatisfy({ $0 == 0 }) else {
      throw .badBinary(file: file, reason: "reserved header bytes are not zero (damaged, or a newer format)")
    }
    // Every entry needs at least a label index and an id offset (12 bytes).
    guard header.entryCount >= 0, header.entryCount <= raw.count / 12 else {
      throw .badBinary(file: file, reason: "the header claims \(header.entryCount) entries, more than the file can hold")
    }
    guard header.payloadLength == raw.count - headerSize else {
      throw .badBinary(file: file, reason: "payload is \(raw.count - headerSize) bytes, header says \(header.payloadLength) (truncated?)")
    }
    return header
  }

  /// Decodes a file's bytes. With an `owner` that keeps `raw` alive and unchanged, a
  /// prebuilt index's tables are used where they lie (a mapped file); without one they
  /// are copied.
  static func decode(_ raw: UnsafeRawBufferPointer, file: String, owner: AnyObject? = nil) throws(HashSetError) -> (HashSet, Header) {
    let header = try readHeader(raw, file: file)
    let payload = UnsafeRawBufferPointer(rebasing: raw[headerSize...])
    guard checksum(head: UnsafeRawBufferPointer(rebasing: raw[0..<32]), payload: payload) == header.checksum else {
      throw .badBinary(file: file, reason: "checksum mismatch: the file is damaged or was altered")
    }
    var set = HashSet(name: "")
    let n = header.entryCount
    var cursor = 0
    func fail(_ reason: String) -> HashSetError { .badBinary(file: file, reason: reason) }
    /// `count` PDQ hashes of 4 UInt64 words each.
    /// (`PDQHash` is a frozen struct of its four words in order, so the file's
    /// little-endian words are its memory: one copy.)
    func hashes(_ count: Int, from section: UnsafeRawBufferPointer, at offset: inout Int) throws(HashSetError) -> [PDQHash] {
      try read(PDQHash.self, count: count, from: section, at: &offset)
    }

    func read<T>(_ type: T.Type, count: Int, from section: UnsafeRawBufferPointer, at offset: inout Int) throws(HashSetError) -> [T] {
      let size = MemoryLayout<T>.stride
      guard count >= 0, offset <= section.count, count <= (section.count - offset) / max(size, 1) else {
        throw fail("a section is shorter than its counts say")
      }
      let out = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        MemoryAdvice.hugePages(UnsafeMutableRawBufferPointer(buffer))
        if count > 0 { UnsafeMutableRawPointer(buffer.baseAddress!).pacedCopyMemory(from: section.baseAddress! + offset, byteCount: count * size) }
        initialized = count
      }
      offset += count * size
      return out
    }
    func align(_ offset: inout Int) { offset = (offset + 7) & ~7 }
    var seen = Set<String>()
    var pdqTables: (layout: MultiIndexLayout, bytes: UnsafeRawBufferPointer)?
    for _ in 0..<header.sectionCount {
      guard cursor + 16 <= payload.count else { throw fail("section table runs past the end") }
      let tag = String(decoding: payload[cursor..<cursor + 4], as: UTF8.self)
      let length = Int(clamping: UInt64(littleEndian: payload.loadUnaligned(fromByteOffset: cursor + 8, as: UInt64.self)))
      cursor += 16
      guard length >= 0, length <= payload.count - cursor else { throw fail("section \(tag) runs past the end") }
      let body = UnsafeRawBufferPointer(rebasing: payload[cursor..<cursor + length])
      cursor = (cursor + length + 7) & ~7
      seen.insert(tag)
      var at = 0
      func count64() throws(HashSetError) -> Int {
        guard body.count >= at + 8 else { throw fail("section \(tag) is too short") }
        let raw = UInt64(littleEndian: body.loadUnaligned(fromByteOffset: at, as: UInt64.self))
        at += 8
        // No count can exceed the section's bytes; this also keeps count + 1 and
        // count * 32 from overflowing.
        guard raw <= UInt64(body.count) else { throw fail("section \(tag) claims \(raw) items in \(body.count) bytes") }
        return Int(raw)
      }
      func offsetsInRange(_ offsets: [UInt64], limit: Int) -> Bool {
        zip(offsets, offsets.dropFirst()).allSatisfy { $0 <= $1 } && (offsets.last ?? 0) <= UInt64(max(limit, 0))
      }
      switch tag {
      case "NAME":
        set.name = String(decoding: body, as: UTF8.self)
      case "LABL":
        let count = try count64()
        let offsets = try read(UInt64.self, count: count + 1, from: body, at: &at)
        guard offsetsInRange(offsets, limit: body.count - at) else {
          throw fail("label table offsets are out of order or out of range")
        }
        set.labels = (0..<count).map { String(decoding: body[(at + Int(offsets[$0]))..<(at + Int(offsets[$0 + 1]))], as: UTF8.self) }
      case "ELBL":
        set.labelIndex = try read(UInt32.self, count: n, from: body, at: &at)
      case "EIDS":
        let offsets = try read(UInt64.self, count: n + 1, from: body, at: &at)
        guard offsets.first == 0, offsetsInRange(offsets, limit: body.count - at), offsets.last == UInt64(body.count - at)
        else { throw fail("id offsets are out of order or out of range") }
        set.idOffsets = offsets
        set.idBytes = try read(UInt8.self, count: body.count - at, from: body, at: &at)
      case "PDQ ":
        let count = try count64()
        set.pdqEntries = try read(Int32.self, count: count, from: body, at: &at)
        align(&at)
        set.pdqHashes = try hashes(count, from: body, at: &at)
        set.pdqQualities = try read(UInt8.self, count: count, from: body, at: &at)
      case "PDQV":
        guard header.version >= 2 else { throw fail("a version 1 file holds variant hashes (PDQV)") }
        let count = try count64()
        set.pdqVariants = try read(UInt8.self, count: count, from: body, at: &at)
        guard set.pdqVariants.allSatisfy({ PDQVariant(rawValue: $0) != nil }) else {
          throw fail("a PDQ variant code is unknown (a newer Sieve wrote it?)")
        }
      case "VPDQ":
        guard header.version >= 3 else { throw fail("a version \(header.version) file holds video frames (VPDQ)") }
        let count = try count64()
        set.videoEntries = try read(Int32.self, count: count, from: body, at: &at)
        align(&at)
        set.videoFrames = try read(Int32.self, count: count, from: body, at: &at)
        align(&at)
        set.videoQualities = try read(UInt8.self, count: count, from: body, at: &at)
        align(&at)
        set.videoTimes = try read(UInt64.self, count: count, from: body, at: &at).map(Double.init(bitPattern:))
        set.videoHashes = try hashes(count, from: body, at: &at)
        guard set.videoQualities.allSatisfy({ $0 <= 100 }), set.videoFrames.allSatisfy({ $0 >= 0 }),
          set.videoTimes.allSatisfy({ $0.isFinite && $0 >= 0 })
        else { throw fail("a video frame's quality, number or time is out of range") }
      case "VPDV":
        guard header.version >= 4 else { throw fail("a version \(header.version) file holds variants of video frames (VPDV)") }
        let count = try count64()
        set.videoVariantRows = try read(Int32.self, count: count, from: body, at: &at)
        align(&at)
        set.videoVariantKinds = try read(UInt8.self, count: count, from: body, at: &at)
        align(&at)
        set.videoVariantHashes = try hashes(count, from: body, at: &at)
        guard set.videoVariantKinds.allSatisfy({ PDQVariant(rawValue: $0) != nil && $0 != 0 }) else {
          throw fail("a video frame's variant code is unknown (a newer Sieve wrote it?)")
        }
      case "PMIX":
        guard header.version >= 5 else { throw fail("a version \(header.version) file holds index tables (PMIX)") }
        let count = try count64()
        let fields = try read(UInt32.self, count: 4, from: body, at: &at)
        guard fields[0] >= 1, fields[0] <= 256 else { throw fail("the PDQ index claims \(fields[0]) parts") }
        let bounds = try read(UInt32.self, count: Int(fields[0]) * 2, from: body, at: &at)
        align(&at)
        let parts = (0..<Int(fields[0])).map { MultiIndexLayout.Part(start: Int(bounds[2 * $0]), width: Int(bounds[2 * $0 + 1])) }
        guard fields[3] == 0,
          let layout = MultiIndexLayout(bitCount: 256, parts: parts, keyBits: Int(fields[1]), idBits: Int(fields[2]), count: count),
          layout.storageBytes == body.count - at
        else { throw fail("the PDQ index's layout is invalid or does not fit its section") }
        pdqTables = (layout, UnsafeRawBufferPointer(rebasing: body[at...]))
      case "PHSH":
        let count = try count64()
        set.phashEntries = try read(Int32.self, count: count, from: body, at: &at)
        align(&at)
        set.phashes = try read(UInt64.self, count: count, from: body, at: &at).map(PHash.init)
      case "MD5 ", "SHA1", "S256":
        let kind: HashKind = tag == "MD5 " ? .md5 : tag == "SHA1" ? .sha1 : .sha256
        let count = try count64()
        let entries = try read(Int32.self, count: count, from: body, at: &at)
        align(&at)
        let rows = try read(UInt8.self, count: count * (kind.hexDigits / 2), from: body, at: &at)
        // Written sorted since 2026-12; found out, not assumed: an earlier file's rows are
        // sorted here, once, so that every matcher of the set shares them.
        var column = DigestColumn(kind: kind, bytes: rows, entries: entries)
        column.sort()
        set.digests[kind] = column
      default:
        continue  // a section from a later version
      }
    }
    if !seen.contains("PDQV") { set.pdqVariants = [UInt8](repeating: 0, count: set.pdqHashes.count) }
    guard set.pdqVariants.count == set.pdqHashes.count else {
      throw fail("the PDQ variant codes (\(set.pdqVariants.count)) do not match the PDQ hashes (\(set.pdqHashes.count))")
    }
    if let (layout, bytes) = pdqTables {
      let tables: MultiIndexTables
      if let owner, Int(bitPattern: bytes.baseAddress) & 7 == 0 {
        tables = MultiIndexTables(viewing: bytes, owner: owner)
      } else {
        tables = MultiIndexTables(copying: bytes)
      }
      guard let index = MultiIndexHashTable(hashes: set.pdqHashes, layout: layout, tables: tables) else {
        throw fail("the PDQ index does not fit the set's \(set.pdqHashes.count) PDQ hashes")
      }
      set.pdqIndex = index
    }
    guard set.videoVariantRows.allSatisfy({ $0 >= 0 && Int($0) < set.videoHashes.count }) else {
      throw fail("a video frame's variant names a frame the set does not hold")
    }
    for required in ["NAME", "LABL", "ELBL", "EIDS"] where !seen.contains(required) {
      throw fail("section \(required) is missing")
    }
    // Cross-checks: every entry index and label index in range.
    let entryLists = [set.pdqEntries, set.phashEntries, set.videoEntries] + set.digests.values.map(\.entries)
    for list in entryLists where list.contains(where: { $0 < 0 || Int($0) >= n }) {
      throw fail("an entry index is out of range")
    }
    guard set.labelIndex.allSatisfy({ Int($0) < set.labels.count }), !set.labels.isEmpty else {
      throw fail("a label index is out of range")
    }
    set.setCount(n)
    set.rebuildLabelLookup()
    return (set, header)
  }

  /// Reads and verifies a binary set file (``read(_:kind:prefix:path:observe:)``).
  public static func read(_ path: String) throws(HashSetError) -> (HashSet, Header) {
    let file: OpenFile
    let kind: FileMetadata.Kind
    do throws(SystemError) {
      file = try OpenFile(path)
      kind = try file.metadata().kind
    } catch { throw .io(file: path, reason: error.description) }
    return try read(file, kind: kind, prefix: [], path: path, observe: nil)
  }

  /// Reads and verifies the binary set in `file`, whose first bytes, `prefix`, were
  /// already read; `observe` sees every byte of the file, in order.
  ///
  /// A regular file is mapped into memory (``MappedFile``), not copied: the columns are
  /// copied out of the mapping, and a prebuilt index's tables are used where they lie, so
  /// a large set with its index is ready in the time it takes to read its hashes. The
  /// mapping is guarded: if another program truncates the file meanwhile, reads past the
  /// new end see zeros instead of killing the process, and the load fails with a clear
  /// error (after loading, queries may miss entries until the set is loaded again; the
  /// index reads nothing outside its tables). A file replaced by renaming (as Sieve writes
  /// sets) is never affected. Anything else (a pipe) is read with read(2).
  static func read(
    _ file: OpenFile, kind: FileMetadata.Kind, prefix: [UInt8], path: String,
    observe: ((UnsafeRawBufferPointer) -> Void)?
  ) throws(HashSetError) -> (HashSet, Header) {
    if kind == .regular, let mapped = try map(file, path: path) {
      observe?(mapped.bytes)
      let decoded = Result { () throws(HashSetError) in try decode(mapped.bytes, file: path, owner: mapped) }
      // Zeros read past a new end fail the checksum, or worse pass it: say what happened.
      guard mapped.isIntact else { throw .io(file: path, reason: "the file was truncated while it was read") }
      return try decoded.get()
    }
    let bytes = try readRest(of: file, after: prefix, path: path)
    bytes.withUnsafeBytes { observe?($0) }
    return try decode(bytes, file: path)
  }

  /// The mapping of a regular file's whole content, or nil for an empty file (which
  /// then fails as too short).
  private static func map(_ file: OpenFile, path: String) throws(HashSetError) -> MappedFile? {
    let size: Int
    do throws(SystemError) { size = try file.metadata().size } catch { throw .io(file: path, reason: error.description) }
    guard size <= maxFileBytes else { throw .io(file: path, reason: "over \(maxFileBytes >> 30) GiB, the most a set file may hold") }
    guard size >= headerSize else { return nil }
    // A file that cannot be mapped (every guard slot taken, a file system without mmap)
    // is read instead.
    return try? MappedFile(file, size: size)
  }

  /// The largest set file read (64 GiB: some 600 million entries), so that a pipe or a
  /// file that keeps growing cannot take all memory.
  static let maxFileBytes = 64 << 30

  /// The whole content of an open file whose first bytes, `prefix`, were already read
  /// from it: read to its end (read(2), never mapped), sized by `fstat` for a regular file.
  static func readRest(of file: OpenFile, after prefix: [UInt8], path: String, minimumBytes: Int = headerSize) throws(HashSetError) -> [UInt8] {
    var bytes = prefix
    var shrank = false
    var tooLarge = false
    do throws(SystemError) {
      let metadata = try file.metadata()
      tooLarge = metadata.kind == .regular && metadata.size > maxFileBytes
      if !tooLarge, metadata.kind == .regular, metadata.size > prefix.count {
        let expected = metadata.size - prefix.count
        bytes += [UInt8](repeating: 0, count: expected)
        let read = try bytes.withUnsafeMutableBytes { raw in
          Result { () throws(SystemError) in try file.readFully(into: UnsafeMutableRawBufferPointer(rebasing: raw[prefix.count...])) }
        }.get()
        shrank = read < expected
      }
      // Whatever follows (a file that grew, or a pipe) is read to its end, up to the limit.
      var chunk = [UInt8](repeating: 0, count: 1 << 20)
      while !shrank && !tooLarge && bytes.count <= maxFileBytes {
        let n = try file.read(into: &chunk)
        if n == 0 { break }
        bytes += chunk[0..<n]
      }
    } catch {
      throw .io(file: path, reason: error.description)
    }
    guard !shrank else { throw .io(file: path, reason: "the file shrank while it was read") }
    guard !tooLarge, bytes.count <= maxFileBytes else { throw .io(file: path, reason: "over \(maxFileBytes >> 30) GiB, the most a set file may hold") }
    guard bytes.count >= minimumBytes else { throw .badBinary(file: path, reason: "the file is only \(bytes.count) bytes") }
    return bytes
  }
}
