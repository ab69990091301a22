/// How a ``MultiIndexHashTable`` cuts hashes into substrings and stores its tables.
///
/// Each substring (part) is a run of bits; its table is keyed by the part's lowest
/// `min(width, keyBits)` bits. Keying by fewer bits than a part holds is still exact: two
/// hashes within distance r differ by at most ⌊r/m⌋ bits in some part, so in its key too;
/// the bits not in a key are only checked when a candidate's full distance is computed.
///
/// Two shapes are used:
/// - **narrow** (sets under 2^25 entries, and every pHash set): parts of about log₂ n
///   bits (8 to 16), each keyed by all its bits; 16 tables for PDQ from 65,536 entries.
/// - **wide** (PDQ sets from 2^25 entries): 8 parts of 32 bits keyed by their lowest
///   `log₂ n − 4` bits (at most 23), so that the tables and the hashes together stay under
///   64 bytes an entry: at 100M entries 27-bit ids in 8 tables are 27 bytes, the 8 offset
///   directories 2.7, the hashes 32. Narrow tables at that size would need 16 · 27 bits of
///   ids alone.
///
/// Entry ids are packed in `idBits` bits each (the fewest that number every entry).
public struct MultiIndexLayout: Hashable, Sendable, CustomStringConvertible {
  /// One substring: its first bit and width.
  public struct Part: Hashable, Sendable {
    public let start: Int
    public let width: Int

    public init(start: Int, width: Int) {
      self.start = start
      self.width = width
    }
  }

  /// The substrings, in order, covering every bit of the hash once.
  public let parts: [Part]
  /// The most bits of a part used as its table's key (at most 24).
  public let keyBits: Int
  /// Bits per stored entry id (1 to 32).
  public let idBits: Int
  /// The number of entries.
  public let count: Int

  /// The largest key: 2^24 four-byte offsets (64 MiB) a table.
  public static let maxKeyBits = 24

  /// A layout, or nil when the values do not describe a valid one for `bitCount`-bit
  /// hashes (as a damaged or hostile file might give).
  public init?(bitCount: Int, parts: [Part], keyBits: Int, idBits: Int, count: Int) {
    guard count >= 0, count < Int(Int32.max), !parts.isEmpty, parts.count <= bitCount,
      (1...Self.maxKeyBits).contains(keyBits), (1...32).contains(idBits), count <= 1 << idBits
    else { return nil }
    var next = 0
    for part in parts {
      guard part.start == next, part.width >= 1, part.width <= bitCount - next else { return nil }
      next += part.width
    }
    guard next == bitCount else { return nil }
    self.parts = parts
    self.keyBits = keyBits
    self.idBits = idBits
    self.count = count
  }

  /// Parts of about `substringBits` bits (widths differing by at most one), each keyed by
  /// all its bits (at most 24).
  public static func narrow(bitCount: Int, count: Int, substringBits: Int) -> MultiIndexLayout {
    let bits = min(maxKeyBits, max(1, substringBits))
    return even(bitCount: bitCount, parts: (bitCount + bits - 1) / bits, keyBits: bits, count: count)
  }

  /// Eight parts keyed by their lowest `log₂ n − 4` bits (16 to 23).
  public static func wide(bitCount: Int, count: Int) -> MultiIndexLayout {
    even(bitCount: bitCount, parts: 8, keyBits: min(23, max(16, log2Ceiling(count) - 4)), count: count)
  }

  /// The layout ``MultiIndexHashTable`` builds for `count` hashes of `bitCount` bits.
  public static func standard(bitCount: Int, count: Int) -> MultiIndexLayout {
    if bitCount >= 256 && count >= 1 << 25 { return wide(bitCount: bitCount, count: count) }
    return narrow(bitCount: bitCount, count: count, substringBits: defaultSubstringBits(for: count))
  }

  /// The narrow parts' width for `count` entries: about log₂ n, from 8 to 16 bits.
  ///
  /// Wider parts would keep buckets smaller still for 10M-entry sets, but their offset
  /// tables cost memory: measured at 1M PDQ entries, 20-bit substrings used 126 bytes an
  /// entry and answered in 350 µs, 16-bit ones 85 bytes and 200 µs (150 µs since
  /// candidates are gathered first and checked in one loop).
  public static func defaultSubstringBits(for count: Int) -> Int {
    min(16, max(8, log2Ceiling(count)))
  }

  static func log2Ceiling(_ count: Int) -> Int {
    count > 1 ? Int.bitWidth - (count - 1).leadingZeroBitCount : 1
  }

  private static func even(bitCount: Int, parts m: Int, keyBits: Int, count: Int) -> MultiIndexLayout {
    var parts: [Part] = []
    var start = 0
    for j in 0..<m {
      let width = bitCount / m + (j < bitCount % m ? 1 : 0)
      parts.append(Part(start: start, width: width))
      start += width
    }
    return MultiIndexLayout(
      bitCount: bitCount, parts: parts, keyBits: keyBits, idBits: max(1, log2Ceiling(count)), count: count)!
  }

  // MARK: Storage

  /// The key width of part `j`.
  @inlinable
  public func keyWidth(_ j: Int) -> Int { min(parts[j].width, keyBits) }

  /// Where table `j`'s offsets start, in 4-byte words from the start of the storage.
  func offsetsStart(_ j: Int) -> Int {
    (0..<j).reduce(0) { $0 + (1 << keyWidth($1)) + 1 }
  }

  /// Bytes of all offset directories, padded to 8.
  public var offsetBytes: Int { (offsetsStart(parts.count) * 4 + 7) & ~7 }

  /// Bytes of one table's packed ids, with 8 bytes of slack for the 64-bit reads,
  /// padded to 8.
  var postingStride: Int { ((count * idBits + 7) / 8 + 8 + 7) & ~7 }

  /// Bytes of the whole storage: the directories, then each table's packed ids.
  public var storageBytes: Int { offsetBytes + parts.count * postingStride }

  /// Bytes an entry: the tables' storage plus the hashes the index keeps (32 a PDQ hash).
  public func bytesPerEntry(hashBytes: Int) -> Double {
    Double(hashBytes) + Double(storageBytes) / Double(max(count, 1))
  }

  /// Probes a query at `radius` makes: Σ over parts of Σ_{i ≤ ⌊r/m⌋} C(key width, i).
  public func probes(radius: Int) -> Int {
    let s = max(radius, 0) / parts.count
    return parts.indices.reduce(0) { $0 + keysWithin(s, ofPart: $1) }
  }

  /// Entries a query at `radius` is expected to check on hashes spread evenly: each
  /// probe's bucket holds about n / 2^key entries.
  public func expectedCandidates(radius: Int) -> Double {
    let s = max(radius, 0) / parts.count
    return parts.indices.reduce(0.0) { $0 + Double(keysWithin(s, ofPart: $1)) * Double(count) / Double(1 << keyWidth($1)) }
  }

  /// Keys within `flips` bits of a given key of part `j`: Σ_{i ≤ flips} C(key width, i).
  func keysWithin(_ flips: Int, ofPart j: Int) -> Int {
    let k = keyWidth(j)
    var sum = 0
    var c = 1
    for i in 0...min(flips, k) {
      if i > 0 { c = c * (k - i + 1) / i }
      sum += c
    }
    return sum
  }

  public var description: String {
    "\(parts.count) parts of \(Set(parts.map(\.width)).sorted().map(String.init).joined(separator: "/")) bits, "
      + "\(keyBits)-bit keys, \(idBits)-bit ids, \(count) entries"
  }
}
