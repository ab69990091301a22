import SieveCore

/// Digests of files known to be uninteresting (operating system and application files),
/// for skipping them: MD5, SHA-1 and SHA-256 lists, `md5sum`-style lists, and NIST NSRL
/// RDS v2 `NSRLFile.txt` (`"SHA-1","MD5","CRC32","FileName",…`).
///
/// Held as one sorted array of fixed 32-byte keys per kind (binary search), so tens of
/// millions of digests cost 32 bytes each and no allocation per digest.
public struct KnownGoodSet: Sendable {
  /// A digest padded to four words, ordered lexicographically.
  struct Key: Comparable, Hashable, Sendable {
    var a: UInt64, b: UInt64, c: UInt64, d: UInt64
    init(_ bytes: [UInt8]) {
      var words: [UInt64] = [0, 0, 0, 0]
      for (i, byte) in bytes.enumerated() { words[i / 8] |= UInt64(byte) << UInt64(56 - 8 * (i % 8)) }
      (a, b, c, d) = (words[0], words[1], words[2], words[3])
    }
    static func < (l: Key, r: Key) -> Bool { (l.a, l.b, l.c, l.d) < (r.a, r.b, r.c, r.d) }
  }

  private var keys: [HashKind: [Key]] = [:]

  public init() {}

  /// The number of digests of `kind`.
  public func count(of kind: HashKind) -> Int { keys[kind]?.count ?? 0 }

  /// The number of digests of every kind.
  public var count: Int { keys.values.reduce(0) { $0 + $1.count } }

  /// Adds digests (call ``finish()`` before looking up).
  mutating func add(_ digest: ExactDigest) {
    keys[digest.kind, default: []].append(Key(digest.bytes))
  }

  /// Sorts and de-duplicates for lookup.
  mutating func finish() {
    for kind in keys.keys {
      var list = keys[kind]!
      list.sort()
      var unique: [Key] = []
      unique.reserveCapacity(list.count)
      for key in list where unique.last != key { unique.append(key) }
      keys[kind] = unique
    }
  }

  /// Whether `digest` is in the set.
  public func contains(_ digest: ExactDigest) -> Bool {
    guard let list = keys[digest.kind] else { return false }
    let key = Key(digest.bytes)
    var low = 0, high = list.count
    while low < high {
      let mid = (low + high) / 2
      if list[mid] < key { low = mid + 1 } else { high = mid }
    }
    return low < list.count && list[low] == key
  }

  /// Reads known-good lists. 64 hex digits are SHA-256 here (a known-good list holds
  /// file digests, never PDQ hashes).
  ///
  /// - Parameter observe: handed every byte read, with the index of its list in `paths`,
  ///   in order: a digest of each list (a case records their SHA-256) is of the bytes loaded.
  /// - Throws: ``HashSetError`` naming the file and line of a bad line.
  public static func load(
    _ paths: [String], observing observe: ((Int, UnsafeRawBufferPointer) -> Void)? = nil
  ) throws(HashSetError) -> KnownGoodSet {
    var set = KnownGoodSet()
    for (index, path) in paths.enumerated() {
      var lines = try LineReader(path: path, observe: observe.map { observe in { observe(index, $0) } })
      var nsrl = false
      while let (bytes, tooLong) = try lines.next() {
        guard !tooLong else {
          throw .badLine(file: path, line: lines.lineNumber, reason: "line longer than \(LineReader.maxLineLength) bytes")
        }
        let line = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
        if line.isEmpty || line.hasPrefix("#") { continue }
        if !nsrl && (line.hasPrefix("\"SHA-1\"") || line.lowercased().hasPrefix("sha-1,")) {
          nsrl = true  // the NSRL header line
          continue
        }
        do {
          if nsrl {
            // "SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"
            let fields = CSVLine.split(line)
            guard fields.count >= 2 else { throw HashParseError.wrongLength(expected: 40, actual: 0) }
            set.add(try ExactDigest(kind: .sha1, hex: fields[0]))
            set.add(try ExactDigest(kind: .md5, hex: fields[1]))
          } else {
            let token = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).first.map(String.init) ?? ""
            let kind: HashKind
            switch token.count {
            case 32: kind = .md5
            case 40: kind = .sha1
            case 64: kind = .sha256
            default: throw HashParseError.wrongLength(expected: 40, actual: token.count)
            }
            set.add(try ExactDigest(kind: kind, hex: token))
          }
        } catch {
          throw .badLine(file: path, line: lines.lineNumber, reason: "not a digest: \(error)")
        }
      }
    }
    set.finish()
    return set
  }
}
