
/// Which index to search a hash column with.
public enum IndexKind: String, Sendable, CaseIterable, CustomStringConvertible {
  /// Pick the fastest for the hash size, radius and set size (``IndexKind/choose(bits:radius:count:)``).
  case auto
  /// ``LinearScanIndex``: every entry, hardware popcount.
  case linear
  /// ``BKTree``: triangle-inequality pruning.
  case bkTree = "bk-tree"
  /// ``MultiIndexHashTable``: pigeonhole probing of substring tables.
  case mih

  public var description: String { rawValue }

  /// The index `auto` picks, from a cost model fitted to measurements on this
  /// project's 2-core machine (`python3 Scripts/bench_index_vs_faiss.py`, 2026-11-23,
  /// random hashes, 200 queries half with a planted match, p50 per query; the linear
  /// scan splits large sets over both cores, the others use one):
  ///
  /// | query | N | linear | MIH (16-bit) | BK-tree | faiss flat, 1 thread |
  /// |---|---:|---:|---:|---:|---:|
  /// | PDQ r31 | 100K | 78 µs | 33 µs | 1186 µs | 65 µs |
  /// | PDQ r31 | 1M | 582 µs | 195 µs | 21.4 ms | 897 µs |
  /// | PDQ r31 | 10M | 7881 µs | 1706 µs | 205 ms | 11477 µs |
  /// | pHash r8 | 100K | 34 µs | 24 µs | 645 µs | 41 µs |
  /// | pHash r8 | 1M | 217 µs | 186 µs | 8.4 ms | 350 µs |
  /// | pHash r8 | 10M | 1937 µs | 2301 µs | 80 ms | 3590 µs |
  ///
  /// Model: the linear scan costs about 0.75 ns an entry (PDQ) or 0.2 ns (pHash); MIH
  /// about 30 ns a probe plus 45 ns (PDQ) or 25 ns (pHash) a candidate verified (mostly
  /// a cache miss into the hash array). The BK-tree lost everywhere (on hashes spread
  /// like real PDQ it visits nearly every node at radius 31), so `auto` never picks it;
  /// it stays available for small-radius deduplication.
  public static func choose(bits: Int, radius: Int, count: Int) -> IndexKind {
    guard count >= 2048, radius >= 0, radius < bits / 4 else { return .linear }
    let linearCost = Double(count) * (bits == 64 ? 0.2 : 0.75)
    let substringBits = MultiIndexHashTable<PDQHash>.defaultSubstringBits(for: count)
    let m = (bits + substringBits - 1) / substringBits
    let flips = radius / m
    guard flips <= 3 else { return .linear }
    var probesPerTable = 1.0
    var combinations = 1.0
    for i in stride(from: 1, through: flips, by: 1) {
      combinations = combinations * Double(substringBits - i + 1) / Double(i)
      probesPerTable += combinations
    }
    let probes = probesPerTable * Double(m)
    let candidates = probes * Double(count) / Double(1 << substringBits)
    let mihCost = probes * 30 + candidates * (bits == 64 ? 25 : 45)
    return mihCost < linearCost ? .mih : .linear
  }

  /// Builds the index of this kind over `hashes` (``auto`` resolved for `radius`).
  public func build<Hash: HammingHash>(_ hashes: [Hash], radius: Int) -> any HashIndex<Hash> {
    switch self == .auto ? Self.choose(bits: Hash.bitCount, radius: radius, count: hashes.count) : self {
    case .bkTree: return BKTree(hashes)
    case .mih: return MultiIndexHashTable(hashes)
    default: return LinearScanIndex(hashes)
    }
  }
}
