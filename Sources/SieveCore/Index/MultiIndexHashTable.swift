/// Multi-index hashing (Norouzi, Punjani & Fleet, "Fast Search in Hamming Space with
/// Multi-Index Hashing", CVPR 2012): exact radius search without looking at most of
/// the entries.
///
/// Each hash is cut into m disjoint substrings and every substring value indexes a
/// table. Two hashes within distance r differ by at most ⌊r/m⌋ bits in at least one
/// substring (pigeonhole), so a query probes, in each table, every value within
/// ⌊r/m⌋ bits of its own substring, and checks the full distance of the entries found.
/// The substring width defaults to about log₂ n bits, capped at 16 (see
/// ``defaultSubstringBits(for:)``).
///
/// Layout: per substring, a counting-sorted posting list (entry ids, ascending within
/// each value) and the offsets of each value's run; the hashes themselves live in a
/// ``LinearScanIndex`` used for verification.
///
/// - Complexity: a query costs m · Σ_{i≤⌊r/m⌋} C(b, i) probes plus one distance per
///   candidate; memory is the hashes plus 3·m bytes an entry (4·m from 2^24 entries)
///   plus m · 2^b four-byte offsets.
public struct MultiIndexHashTable<Hash: HammingHash>: HashIndex {
  let hashes: LinearScanIndex<Hash>
  /// First bit and width of each substring.
  let substrings: [(start: Int, width: Int)]
  /// Per substring: 2^width + 1 offsets into `postings`.
  let offsets: [[Int32]]
  /// Per substring: entry ids sorted by substring value (ids ascending within a value),
  /// ``idBytes`` bytes each, little-endian (3 while ids fit in 24 bits).
  let postings: [[UInt8]]
  /// Bytes per posting: 3 for sets under 2^24 entries, else 4.
  let idBytes: Int

  public var count: Int { hashes.count }

  /// The default substring width for `count` entries: about log₂ n, from 8 to 16 bits.
  ///
  /// Wider substrings would keep buckets smaller still for 10M-entry sets, but their
  /// offset tables cost memory: measured at 1M PDQ entries, 20-bit substrings used
  /// 126 bytes an entry and answered in 350 µs, 16-bit ones 85 bytes and 200 µs (150 µs
  /// since candidates are gathered first and checked in one loop).
  public static func defaultSubstringBits(for count: Int) -> Int {
    let log2 = count > 1 ? Int.bitWidth - (count - 1).leadingZeroBitCount : 1
    return min(16, max(8, log2))
  }

  /// Bytes of storage per entry for `count` entries with `substringBits`-bit substrings.
  public static func bytesPerEntry(count: Int, substringBits: Int) -> Double {
    let m = (Hash.bitCount + substringBits - 1) / substringBits
    let idBytes = count < (1 << 24) ? 3 : 4
    return Double(Hash.wordCount * 8 + m * idBytes) + Double(m * 4 * ((1 << substringBits) + 1)) / Double(max(count, 1))
  }

  /// The number of substrings the hashes are cut into.
  public var substringCount: Int { substrings.count }

  /// Builds the tables; entry ids are positions in `hashes`.
  ///
  /// - Parameter substringBits: the substring width (at most 24); the default is
  ///   ``defaultSubstringBits(for:)``. Widths differ by at most one bit.
  /// - Complexity: O(m · (n + 2^b)).
  @_specialize(where Hash == PDQHash)
  @_specialize(where Hash == PHash)
  public init(_ hashes: [Hash], substringBits: Int? = nil) {
    precondition(hashes.count < Int(Int32.max), "at most 2^31 - 1 entries")
    let bits = min(24, max(1, substringBits ?? Self.defaultSubstringBits(for: hashes.count)))
    let m = (Hash.bitCount + bits - 1) / bits
    var substrings: [(Int, Int)] = []
    var start = 0
    for j in 0..<m {
      let width = Hash.bitCount / m + (j < Hash.bitCount % m ? 1 : 0)
      substrings.append((start, width))
      start += width
    }
    self.substrings = substrings
    self.hashes = LinearScanIndex(hashes)
    var offsets: [[Int32]] = []
    var postings: [[UInt8]] = []
    let idBytes = hashes.count < (1 << 24) ? 3 : 4
    self.idBytes = idBytes
    for (start, width) in substrings {
      var counts = [Int32](repeating: 0, count: (1 << width) + 1)
      for hash in hashes { counts[Int(hash.bits(from: start, count: width)) + 1] += 1 }
      for v in 0..<(1 << width) { counts[v + 1] += counts[v] }
      var cursor = counts
      var list = [UInt8](repeating: 0, count: hashes.count * idBytes)
      for (id, hash) in hashes.enumerated() {
        let v = Int(hash.bits(from: start, count: width))
        let at = Int(cursor[v]) * idBytes
        for b in 0..<idBytes { list[at + b] = UInt8(truncatingIfNeeded: id >> (8 * b)) }
        cursor[v] += 1
      }
      offsets.append(counts)
      postings.append(list)
    }
    self.offsets = offsets
    self.postings = postings
  }

  /// Probes needed per query at `radius`: m · Σ_{i≤⌊r/m⌋} C(width, i).
  public func probes(radius: Int) -> Int {
    let s = max(radius, 0) / substrings.count
    return substrings.reduce(0) { total, substring in
      var sum = 0
      var c = 1
      for i in 0...min(s, substring.width) {
        if i > 0 { c = c * (substring.width - i + 1) / i }
        sum += c
      }
      return total + sum
    }
  }

  @_specialize(where Hash == PDQHash)
  @_specialize(where Hash == PHash)
  public func matches(for query: Hash, within radius: Int) -> [IndexMatch] {
    guard radius >= 0, count > 0 else { return [] }
    if radius >= Hash.bitCount { return hashes.matches(for: query, within: radius) }
    let s = radius / substrings.count
    let w = Hash.wordCount
    // Two passes: first the candidate ids of every probe (postings are read in order),
    // then their distances in one tight loop. The hashes are read at random, a cache
    // miss each; a long, predictable loop keeps many of those misses in flight at once,
    // where checking each short bucket as it is found kept few (measured with
    // Benchmarks' IndexCompare at 1M PDQ entries, radius 31: p50 207 µs before, 152 µs).
    // The probe values of each table are listed first, then every bucket is copied out
    // with no call per probe or candidate (p50 142 → see Benchmarks/README).
    var probeValues: [UInt32] = []
    probeValues.reserveCapacity(probes(radius: radius) / max(1, substrings.count) + 1)
    var bucketTotal = 0
    var ranges: [(table: Int32, lower: Int32, upper: Int32)] = []
    ranges.reserveCapacity(probes(radius: radius))
    for (j, substring) in substrings.enumerated() {
      probeValues.removeAll(keepingCapacity: true)
      Self.enumerate(query.bits(from: substring.start, count: substring.width), width: substring.width, flips: s) {
        probeValues.append($0)
      }
      offsets[j].withUnsafeBufferPointer { offsets in
        for probe in probeValues {
          let lower = offsets[Int(probe)], upper = offsets[Int(probe) + 1]
          if upper > lower {
            ranges.append((Int32(j), lower, upper))
            bucketTotal += Int(upper - lower)
          }
        }
      }
    }
    var found: [IndexMatch] = []
    withUnsafeTemporaryAllocation(of: Int32.self, capacity: max(bucketTotal, 1)) { candidates in
      var n = 0
      let idBytes = idBytes
      for range in ranges {
        postings[Int(range.table)].withUnsafeBufferPointer { postings in
          var p = postings.baseAddress! + Int(range.lower) * idBytes
          if idBytes == 3 {
            for _ in range.lower..<range.upper {
              candidates[n] = Int32(p[0]) | Int32(p[1]) << 8 | Int32(p[2]) << 16
              n += 1
              p += 3
            }
          } else {
            for _ in range.lower..<range.upper {
              candidates[n] = Int32(p[0]) | Int32(p[1]) << 8 | Int32(p[2]) << 16 | Int32(p[3]) << 24
              n += 1
              p += 4
            }
          }
        }
      }
      withUnsafeTemporaryAllocation(of: UInt64.self, capacity: w) { q in
        for k in 0..<w { q[k] = query.word(k) }
        hashes.words.withUnsafeBufferPointer { entryWords in
          let base = entryWords.baseAddress!
          let qp = UnsafePointer(q.baseAddress!)
          for k in 0..<n {
            let id = Int(candidates[k])
            let d = LinearScanIndex<Hash>.distance(base + id * w, qp)
            if d <= radius { found.append(IndexMatch(id: id, distance: d)) }
          }
        }
      }
    }
    // An entry can be found through several substrings.
    found.sort()
    var unique: [IndexMatch] = []
    unique.reserveCapacity(found.count)
    for match in found where unique.last != match { unique.append(match) }
    return unique
  }

  /// Calls `body` with every `width`-bit value within `flips` bits of `value`.
  static func enumerate(_ value: UInt32, width: Int, flips: Int, _ body: (UInt32) -> Void) {
    body(value)
    guard flips > 0 else { return }
    // Flip positions in increasing order: each combination once.
    func recurse(_ current: UInt32, from position: Int, left: Int) {
      for bit in position..<width {
        let next = current ^ (1 << UInt32(bit))
        body(next)
        if left > 1 { recurse(next, from: bit + 1, left: left - 1) }
      }
    }
    recurse(value, from: 0, left: min(flips, width))
  }

  @_specialize(where Hash == PDQHash)
  @_specialize(where Hash == PHash)
  public func nearest(to query: Hash, count k: Int) -> [IndexMatch] {
    nearestByRadius(to: query, count: k)
  }
}
