import CIndexKernels
import Dispatch

/// Multi-index hashing (Norouzi, Punjani & Fleet, "Fast Search in Hamming Space with
/// Multi-Index Hashing", CVPR 2012): exact radius search without looking at most of
/// the entries.
///
/// Each hash is cut into m disjoint substrings and every substring's value indexes a
/// table. Two hashes within distance r differ by at most ⌊r/m⌋ bits in at least one
/// substring (pigeonhole), so a query probes, in each table, every key within ⌊r/m⌋
/// bits of its own, and checks the full distance of the entries found. How the hashes
/// are cut, and how many bits of each substring key its table, is the
/// ``MultiIndexLayout``: narrow 8–16-bit substrings up to 2^25 entries, eight 32-bit
/// ones keyed by up to 23 bits beyond, to stay under 64 bytes an entry.
///
/// Storage (``MultiIndexTables``): per table, a counting-sorted list of packed entry ids
/// (ascending within a key) and each key's offset; the hashes themselves live in a
/// ``LinearScanIndex`` used for verification. The tables can be written into a set file
/// and used from it as they are (``init(hashes:layout:tables:)``), so a large set is
/// ready without rebuilding them.
///
/// A query whose probes would outnumber the entries, or whose buckets hold more than a
/// sixteenth of them, is answered by the linear scan instead: the same result, in bounded
/// time and memory whatever the tables hold.
///
/// - Complexity: a query costs m · Σ_{i≤⌊r/m⌋} C(k, i) probes plus one distance per
///   candidate; memory is the hashes plus m · idBits / 8 bytes an entry plus
///   m · 2^k four-byte offsets.
public struct MultiIndexHashTable<Hash: HammingHash>: HashIndex {
  let hashes: LinearScanIndex<Hash>
  /// How the hashes are cut and the tables stored.
  public let layout: MultiIndexLayout
  /// The tables' bytes.
  public private(set) var tables: MultiIndexTables
  /// Per table: where its offsets start (in UInt32s) and its ids (in bytes).
  private let offsetStarts: [Int]
  private let postingStarts: [Int]

  public var count: Int { hashes.count }

  /// The default substring width for `count` narrow parts (``MultiIndexLayout/defaultSubstringBits(for:)``).
  public static func defaultSubstringBits(for count: Int) -> Int {
    MultiIndexLayout.defaultSubstringBits(for: count)
  }

  /// Bytes of storage per entry for `count` entries with narrow `substringBits`-bit parts.
  public static func bytesPerEntry(count: Int, substringBits: Int) -> Double {
    MultiIndexLayout.narrow(bitCount: Hash.bitCount, count: count, substringBits: substringBits)
      .bytesPerEntry(hashBytes: Hash.wordCount * 8)
  }

  /// Bytes of storage per entry, the hashes included.
  public var bytesPerEntry: Double { layout.bytesPerEntry(hashBytes: Hash.wordCount * 8) }

  /// The number of substrings the hashes are cut into.
  public var substringCount: Int { layout.parts.count }

  /// Builds the tables with narrow `substringBits`-bit parts.
  ///
  /// - Parameters:
  ///   - substringBits: the substring width (at most 24); nil for the standard layout
  ///     (``MultiIndexLayout/standard(bitCount:count:)``).
  ///   - copyingHashes: whether queries read a copy of the hashes in huge pages (for an
  ///     index that answers many queries) or the array given (for tables built to be
  ///     written: at 10M entries the copy is 320 MB of fresh memory).
  public init(_ hashes: [Hash], substringBits: Int? = nil, copyingHashes: Bool = true) {
    let layout = substringBits.map { MultiIndexLayout.narrow(bitCount: Hash.bitCount, count: hashes.count, substringBits: $0) }
      ?? .standard(bitCount: Hash.bitCount, count: hashes.count)
    self.init(hashes, layout: layout, copyingHashes: copyingHashes)
  }

  /// Builds the tables of `layout` (whose count must be `hashes.count`); entry ids are
  /// positions in `hashes`. Tables are built in parallel on all cores. With
  /// `copyingHashes` false queries read the hashes in the array given.
  ///
  /// - Complexity: O(m · (n + 2^k)).
  @_specialize(where Hash == PDQHash)
  @_specialize(where Hash == PHash)
  public init(_ hashes: [Hash], layout: MultiIndexLayout, copyingHashes: Bool = true) {
    precondition(layout.count == hashes.count, "the layout is for \(layout.count) entries, not \(hashes.count)")
    let tables = MultiIndexTables(zeroed: layout.storageBytes)
    let (offsetStarts, postingStarts) = Self.starts(layout)
    let base = UncheckedSendable(tables.mutableBase)
    hashes.withUnsafeBufferPointer { buffer in
      let source = UncheckedSendable(buffer)
      DispatchQueue.concurrentPerform(iterations: layout.parts.count) { j in
        Self.buildTable(
          j, layout: layout, hashes: source.value,
          offsets: (base.value + offsetStarts[j] * 4).assumingMemoryBound(to: UInt32.self),
          postings: base.value + postingStarts[j])
      }
    }
    // Built from hashes anywhere (a text set's, appended one by one): copied into huge
    // pages for the candidates' random reads, unless the tables are only to be written.
    self.hashes = copyingHashes ? LinearScanIndex(hashes) : LinearScanIndex(sharing: hashes)
    self.layout = layout
    self.tables = tables
    self.offsetStarts = offsetStarts
    self.postingStarts = postingStarts
  }

  /// An index over `hashes` using tables built earlier for them (as read from a set
  /// file). The tables' directories are checked (every offset in order, each table
  /// holding every entry once); ids are checked as queries read them. Nil when the tables
  /// do not fit the layout.
  ///
  /// Tables that fit but were built for other hashes make queries miss entries, never
  /// read outside memory: a file's checksum is what tells a damaged file.
  ///
  /// The hashes are shared, not copied: queries read them in the array given, so it
  /// should be in huge pages (as a set file's hashes are once loaded).
  public init?(hashes: [Hash], layout: MultiIndexLayout, tables: MultiIndexTables) {
    guard layout.count == hashes.count, tables.byteCount == layout.storageBytes else { return nil }
    let (offsetStarts, postingStarts) = Self.starts(layout)
    for j in layout.parts.indices {
      let offsets = (tables.base + offsetStarts[j] * 4).assumingMemoryBound(to: UInt32.self)
      let size = 1 << layout.keyWidth(j)
      guard offsets[0] == 0, offsets[size] == UInt32(layout.count) else { return nil }
      for v in 0..<size where offsets[v] > offsets[v + 1] { return nil }
    }
    self.hashes = LinearScanIndex(sharing: hashes)
    self.layout = layout
    self.tables = tables
    self.offsetStarts = offsetStarts
    self.postingStarts = postingStarts
  }

  /// The same index with its tables copied into memory of the process's own
  /// (``MultiIndexTables/init(copying:)``): the hashes are shared, not copied again, and
  /// the directories, checked when the tables were taken, are not checked again (queries
  /// clamp what they read in any case).
  public func copyingTablesIntoMemory() -> MultiIndexHashTable {
    var copy = self
    copy.tables = MultiIndexTables(copying: tables.bytes)
    return copy
  }

  private static func starts(_ layout: MultiIndexLayout) -> ([Int], [Int]) {
    (layout.parts.indices.map { layout.offsetsStart($0) },
     layout.parts.indices.map { layout.offsetBytes + $0 * layout.postingStride })
  }

  /// Counting sort of every entry by table `j`'s key: the offsets, then the packed ids.
  ///
  /// Ids are placed in two passes so that writes stay in cache: first every (key, id)
  /// pair goes to one of 256 coarse buckets by the key's top bits (256 sequential
  /// streams), then each coarse bucket's ids go to their places in its own small stretch
  /// of the table. Scattering straight into a table of tens of MB missed the cache and
  /// the TLB on nearly every id (10M PDQ entries: about 20 s of the tables' build, against
  /// a few for this). Both passes keep ids ascending within a key.
  @_specialize(where Hash == PDQHash)
  @_specialize(where Hash == PHash)
  static func buildTable(
    _ j: Int, layout: MultiIndexLayout, hashes: UnsafeBufferPointer<Hash>,
    offsets: UnsafeMutablePointer<UInt32>, postings: UnsafeMutableRawPointer
  ) {
    let start = layout.parts[j].start
    let k = layout.keyWidth(j)
    let size = 1 << k
    let n = hashes.count
    for hash in hashes { offsets[Int(hash.bits(from: start, count: k)) + 1] &+= 1 }
    for v in 0..<size { offsets[v + 1] &+= offsets[v] }
    let coarseBits = min(k, 8)
    let shift = k - coarseBits
    let coarse = 1 << coarseBits
    let b = layout.idBits
    let pairs = UnsafeMutablePointer<UInt64>.allocate(capacity: max(n, 1))
    defer { pairs.deallocate() }
    var coarseCursor = (0...coarse).map { Int(offsets[$0 << shift]) }
    let coarseStart = coarseCursor
    for id in 0..<n {
      let v = hashes[id].bits(from: start, count: k)
      let c = Int(v >> UInt32(shift))
      pairs[coarseCursor[c]] = UInt64(v) << 32 | UInt64(id)
      coarseCursor[c] &+= 1
    }
    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 1 << shift) { fine in
      for c in 0..<coarse {
        let first = c << shift
        for i in 0..<(1 << shift) { fine[i] = offsets[first + i] }
        for p in coarseStart[c]..<coarseStart[c + 1] {
          let pair = pairs[p]
          let slot = Int(pair >> 32) - first
          let bit = Int(fine[slot]) * b
          fine[slot] &+= 1
          let at = postings + (bit >> 3)
          let word = at.loadUnaligned(as: UInt64.self) | (pair & 0xFFFF_FFFF) << UInt64(bit & 7)
          at.storeBytes(of: word, as: UInt64.self)
        }
      }
    }
  }

  /// Probes needed per query at `radius`.
  public func probes(radius: Int) -> Int { layout.probes(radius: radius) }

  @_specialize(where Hash == PDQHash)
  @_specialize(where Hash == PHash)
  public func matches(for query: Hash, within radius: Int) -> [IndexMatch] {
    guard radius >= 0, count > 0 else { return [] }
    let m = layout.parts.count
    // Probing more keys than there are entries cannot beat reading every entry.
    if radius >= Hash.bitCount || layout.probes(radius: radius) > count { return hashes.matches(for: query, within: radius) }
    let s = radius / m
    let n = UInt32(count)
    let base = tables.base
    // Two passes: first the candidate ids of every probe (postings are read in order),
    // then their distances in one tight loop. The hashes are read at random, a cache
    // miss each; a long, predictable loop keeps many of those misses in flight at once,
    // where checking each short bucket as it is found kept few (measured with
    // Benchmarks' IndexCompare at 1M PDQ entries, radius 31: p50 207 µs before, 152 µs).
    var probeValues: [UInt32] = []
    var bucketTotal = 0
    var ranges: [(table: Int32, lower: UInt32, upper: UInt32)] = []
    for j in 0..<m {
      probeValues.removeAll(keepingCapacity: true)
      let k = layout.keyWidth(j)
      Self.enumerate(query.bits(from: layout.parts[j].start, count: k), width: k, flips: s) { probeValues.append($0) }
      let offsets = (base + offsetStarts[j] * 4).assumingMemoryBound(to: UInt32.self)
      // Offsets are read at random: each is asked for a few probes ahead (below, the
      // postings and the hashes too), so that many cache misses are in flight at once.
      for i in 0..<min(Self.prefetchProbes, probeValues.count) { sieve_prefetch(offsets + Int(probeValues[i])) }
      for (i, probe) in probeValues.enumerated() {
        if i + Self.prefetchProbes < probeValues.count { sieve_prefetch(offsets + Int(probeValues[i + Self.prefetchProbes])) }
        // Clamped: tables read from a file are not trusted.
        let upper = min(UInt32(littleEndian: offsets[Int(probe) + 1]), n)
        let lower = min(UInt32(littleEndian: offsets[Int(probe)]), upper)
        if upper > lower {
          ranges.append((Int32(j), lower, upper))
          bucketTotal += Int(upper - lower)
        }
      }
    }
    // Buckets this full (skewed or hostile tables) cost more than reading every entry in
    // order, and the candidates' memory is bounded by it.
    if bucketTotal > max(count / 16, 4096) { return hashes.matches(for: query, within: radius) }
    // Each match as one word, distance above id (ids are below 2^32): sorted as words in
    // the order of `IndexMatch` (distance, then id), cheaper than sorting the structs.
    var found: [UInt64] = []
    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: max(bucketTotal, 1)) { candidates in
      var c = 0
      let b = layout.idBits
      let mask = b == 32 ? UInt64(UInt32.max) : (UInt64(1) << UInt64(b)) &- 1
      func postingsStart(_ range: (table: Int32, lower: UInt32, upper: UInt32)) -> UnsafeRawPointer {
        base + postingStarts[Int(range.table)] + (Int(range.lower) * b) >> 3
      }
      for r in 0..<min(Self.prefetchRanges, ranges.count) { sieve_prefetch(postingsStart(ranges[r])) }
      for (r, range) in ranges.enumerated() {
        if r + Self.prefetchRanges < ranges.count { sieve_prefetch(postingsStart(ranges[r + Self.prefetchRanges])) }
        let postings = base + postingStarts[Int(range.table)]
        var bit = Int(range.lower) * b
        for _ in range.lower..<range.upper {
          let id = UInt32(truncatingIfNeeded: (postings + (bit >> 3)).loadUnaligned(as: UInt64.self) >> UInt64(bit & 7) & mask)
          candidates[c] = id
          c &+= id < n ? 1 : 0  // an id past the end (a damaged file) is dropped
          bit &+= b
        }
      }
      withUnsafeTemporaryAllocation(of: UInt64.self, capacity: Hash.wordCount) { q in
        for i in 0..<Hash.wordCount { q[i] = query.word(i) }
        hashes.withWords { entryWords in
          let words = entryWords.baseAddress!
          let qp = UnsafePointer(q.baseAddress!)
          let w = Hash.wordCount
          let ahead = Self.prefetchCandidates
          for i in 0..<min(ahead, c) { sieve_prefetch(words + Int(candidates[i]) * w) }
          for i in 0..<c {
            if i + ahead < c { sieve_prefetch(words + Int(candidates[i + ahead]) * w) }
            let id = Int(candidates[i])
            let d = LinearScanIndex<Hash>.distance(words + id * w, qp)
            if d <= radius { found.append(UInt64(d) << 32 | UInt64(id)) }
          }
        }
      }
    }
    // An entry can be found through several substrings.
    found.sort()
    var unique: [IndexMatch] = []
    unique.reserveCapacity(found.count)
    var previous = UInt64.max
    for match in found where match != previous {
      unique.append(IndexMatch(id: Int(truncatingIfNeeded: match & 0xFFFF_FFFF), distance: Int(match >> 32)))
      previous = match
    }
    return unique
  }

  /// How far ahead the reads at random are asked for (``sieve_prefetch``): probes' offsets,
  /// buckets' postings, candidates' hashes. Measured with Benchmarks' IndexCompare.
  static var prefetchProbes: Int { 8 }
  static var prefetchRanges: Int { 8 }
  static var prefetchCandidates: Int { 16 }

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

/// A value the caller promises is safe to share across the closures of one
/// `concurrentPerform` (disjoint writes, or reads only).
struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
