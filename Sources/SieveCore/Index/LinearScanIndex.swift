import CIndexKernels
import Dispatch

/// An exhaustive scan over one contiguous array of hash words: the baseline every
/// other index is checked against, and the fastest index at large radii, where
/// tree and multi-index methods end up visiting every entry anyway.
///
/// Entries are stored as `count × wordCount` `UInt64`s (32 bytes a PDQ entry, 8 a
/// pHash). Each comparison is `wordCount` XORs and hardware population counts.
/// Blocks of queries are answered in one pass per block of entries, so each entry is
/// read from memory once per block rather than once per query; large sets are split
/// across cores.
///
/// - Complexity: O(n) per query; O(n) memory.
public struct LinearScanIndex<Hash: HammingHash>: HashIndex {
  /// The entries. ``PDQHash`` and ``PHash`` are their words in order, so this array's
  /// memory is what the scans read (``withWords(_:)``); other hash types are read from
  /// ``copiedWords``.
  @usableFromInline let hashes: [Hash]
  /// The words of hash types whose memory is not their words in order; nil for PDQ and
  /// pHash.
  @usableFromInline let copiedWords: [UInt64]?
  /// The number of entries.
  public let count: Int
  /// Sets at least this large are scanned on all cores.
  public var parallelThreshold = 1 << 18

  /// Whether `Hash`'s memory is its words, word 0 first (frozen structs of them).
  @usableFromInline static var hashesAreWords: Bool {
    (Hash.self == PDQHash.self || Hash.self == PHash.self) && MemoryLayout<Hash>.stride == Hash.wordCount * 8
  }

  /// Builds the index over a copy of `hashes` in memory of its own (in huge pages where
  /// the system has them); entry ids are positions in `hashes`.
  ///
  /// - Complexity: O(n).
  @_specialize(where Hash == PDQHash)
  @_specialize(where Hash == PHash)
  public init(_ hashes: [Hash]) {
    guard Self.hashesAreWords else {
      self.init(copyingWordsOf: hashes)
      return
    }
    let copy = [Hash](unsafeUninitializedCapacity: hashes.count) { buffer, initialized in
      // Indexes read entries at random (the multi-index table's candidates): huge pages
      // spare most of those reads a TLB miss.
      sieve_advise_huge_pages(buffer.baseAddress, hashes.count * MemoryLayout<Hash>.stride)
      hashes.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
      initialized = hashes.count
    }
    self.init(sharing: copy)
  }

  /// Builds the index over `hashes` as they are, sharing the array's memory: no copy. For
  /// hashes already where queries should read them, as a set file's are once loaded
  /// (in huge pages): a reload of a served set then copies its 32 bytes an entry once,
  /// not twice.
  init(sharing hashes: [Hash]) {
    guard Self.hashesAreWords else {
      self.init(copyingWordsOf: hashes)
      return
    }
    self.init(hashes: hashes, copiedWords: nil)
  }

  private init(copyingWordsOf hashes: [Hash]) {
    let w = Hash.wordCount
    var words = [UInt64](repeating: 0, count: hashes.count * w)
    for (i, hash) in hashes.enumerated() {
      for k in 0..<w { words[i * w + k] = hash.word(k) }
    }
    self.init(hashes: hashes, copiedWords: words)
  }

  private init(hashes: [Hash], copiedWords: [UInt64]?) {
    self.hashes = hashes
    self.copiedWords = copiedWords
    self.count = hashes.count
  }

  /// Calls `body` with every entry's words, `count × wordCount` of them, entry 0 first.
  @inlinable
  func withWords<R>(_ body: (UnsafeBufferPointer<UInt64>) throws -> R) rethrows -> R {
    if let copiedWords { return try copiedWords.withUnsafeBufferPointer(body) }
    return try hashes.withUnsafeBytes { raw in try raw.withMemoryRebound(to: UInt64.self, body) }
  }

  /// The entries' words (for tests).
  var words: [UInt64] { withWords { Array($0) } }

  /// Bytes of storage per entry.
  public static var bytesPerEntry: Int { Hash.wordCount * 8 }

  /// The hash of entry `id`.
  public subscript(id: Int) -> Hash {
    withWords { buffer in
      Hash(words: UnsafeBufferPointer(rebasing: buffer[(id * Hash.wordCount)..<((id + 1) * Hash.wordCount)]))
    }
  }

  @inline(__always)
  static func distance(_ entry: UnsafePointer<UInt64>, _ query: UnsafePointer<UInt64>) -> Int {
    var d = 0
    for i in 0..<Hash.wordCount { d &+= (entry[i] ^ query[i]).nonzeroBitCount }
    return d
  }

  /// Scans entries `range` for every query, appending matches to `results[q]`.
  private func scan(
    _ range: Range<Int>, queries: UnsafeBufferPointer<UInt64>, queryCount: Int, radius: Int,
    into results: inout [[IndexMatch]]
  ) {
    let w = Hash.wordCount
    withWords { entries in
      let base = entries.baseAddress!
      // Blocks of entries that stay in L1 while every query passes over them.
      let block = 1024
      var start = range.lowerBound
      while start < range.upperBound {
        let end = min(start + block, range.upperBound)
        for q in 0..<queryCount {
          let query = queries.baseAddress! + q * w
          if w == 4 {
            let q0 = query[0], q1 = query[1], q2 = query[2], q3 = query[3]
            for id in start..<end {
              let e = base + id * 4
              // Half the bits first: on unrelated hashes (≈64 of 128 differ) this
              // already exceeds any useful radius and the rest is skipped. Exact,
              // since the distance only grows with more words.
              let half = (e[0] ^ q0).nonzeroBitCount &+ (e[1] ^ q1).nonzeroBitCount
              if half > radius { continue }
              let d = half &+ (e[2] ^ q2).nonzeroBitCount &+ (e[3] ^ q3).nonzeroBitCount
              if d <= radius { results[q].append(IndexMatch(id: id, distance: d)) }
            }
          } else if w == 1 {
            let q0 = query[0]
            for id in start..<end {
              let d = (base[id] ^ q0).nonzeroBitCount
              if d <= radius { results[q].append(IndexMatch(id: id, distance: d)) }
            }
          } else {
            for id in start..<end {
              let d = Self.distance(base + id * w, query)
              if d <= radius { results[q].append(IndexMatch(id: id, distance: d)) }
            }
          }
        }
        start = end
      }
    }
  }

  public func matches(for query: Hash, within radius: Int) -> [IndexMatch] {
    matches(for: [query], within: radius)[0]
  }

  /// Answers a block of queries in one pass over the entries (split across cores
  /// when the set is large).
  ///
  /// - Complexity: O(n × queries).
  public func matches(for queries: [Hash], within radius: Int) -> [[IndexMatch]] {
    let w = Hash.wordCount
    var flat = [UInt64]()
    flat.reserveCapacity(queries.count * w)
    for query in queries { for i in 0..<w { flat.append(query.word(i)) } }
    let workers = count >= parallelThreshold ? max(1, min(8, count / (parallelThreshold / 2))) : 1
    if workers == 1 {
      var results = [[IndexMatch]](repeating: [], count: queries.count)
      flat.withUnsafeBufferPointer { scan(0..<count, queries: $0, queryCount: queries.count, radius: radius, into: &results) }
      return results.map { $0.sorted() }
    }
    let parts = PartialResults(parts: workers, queries: queries.count)
    let chunk = (count + workers - 1) / workers
    flat.withUnsafeBufferPointer { flatQueries in
      let queryWords = UnsafeBufferPointerBox(flatQueries)
      DispatchQueue.concurrentPerform(iterations: workers) { part in
        var local = [[IndexMatch]](repeating: [], count: queries.count)
        let range = (part * chunk)..<min(count, (part + 1) * chunk)
        if !range.isEmpty {
          scan(range, queries: queryWords.buffer, queryCount: queries.count, radius: radius, into: &local)
        }
        parts.store(part, local)
      }
    }
    return parts.merged().map { $0.sorted() }
  }

  public func nearest(to query: Hash, count k: Int) -> [IndexMatch] {
    guard k > 0 else { return [] }
    // A histogram of distances finds the k-th distance in one pass; a second pass
    // collects everything at or under it.
    var histogram = [Int](repeating: 0, count: Hash.bitCount + 1)
    let w = Hash.wordCount
    var q = [UInt64](repeating: 0, count: w)
    for i in 0..<w { q[i] = query.word(i) }
    withWords { entries in
      q.withUnsafeBufferPointer { qp in
        for id in 0..<count { histogram[Self.distance(entries.baseAddress! + id * w, qp.baseAddress!)] += 1 }
      }
    }
    var total = 0
    var kth = Hash.bitCount
    for (d, n) in histogram.enumerated() {
      total += n
      if total >= k {
        kth = d
        break
      }
    }
    return Array(matches(for: query, within: kth).prefix(k))
  }
}

/// A buffer pointer that may cross into concurrently running closures (read only).
struct UnsafeBufferPointerBox: @unchecked Sendable {
  let buffer: UnsafeBufferPointer<UInt64>
  init(_ buffer: UnsafeBufferPointer<UInt64>) { self.buffer = buffer }
}

/// Per-worker results of a split scan, merged in worker order (ids ascending).
final class PartialResults: Sendable {
  private let parts: Locked<[[[IndexMatch]]]>

  init(parts: Int, queries: Int) {
    self.parts = Locked(Array(repeating: [], count: parts))
  }

  func store(_ part: Int, _ results: [[IndexMatch]]) {
    parts.withLock { $0[part] = results }
  }

  func merged() -> [[IndexMatch]] {
    let parts = self.parts.current
    guard let first = parts.first else { return [] }
    var out = first
    for part in parts.dropFirst() where !part.isEmpty {
      for q in out.indices { out[q] += part[q] }
    }
    return out
  }
}
