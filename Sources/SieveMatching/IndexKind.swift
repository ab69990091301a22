import SieveCore

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
  /// project's 2-core machine (`swift package --package-path Benchmarks benchmark
  /// --target IndexBenchmarks`, 2026-11-23, random hashes, p50 per query):
  ///
  /// | query | N | linear | MIH (16-bit) | MIH (default) | BK-tree |
  /// |---|---:|---:|---:|---:|---:|
  /// | PDQ r31 | 100K | 112 µs | 14 µs | 24 µs | 1116 µs |
  /// | PDQ r31 | 1M | 701 µs | 376 µs | 478 µs | 22 ms |
  /// | PDQ r4 | 1M | — | — | — | 194 µs |
  /// | pHash r8 | 100K | 182 µs | — | 20 µs | 623 µs |
  /// | pHash r8 | 1M | 1054 µs | — | 204 µs | 6390 µs |
  ///
  /// The linear scan costs about 0.7 ns an entry (PDQ) and 1.05 ns (pHash); MIH
  /// costs about 90 ns per candidate it verifies (a cache miss into the hash array)
  /// plus 30 ns per probe. The BK-tree lost everywhere it was measured (it visits
  /// nearly every node at PDQ's radius 31 on photo-like data), so `auto` never picks it.
  public static func choose(bits: Int, radius: Int, count: Int) -> IndexKind {
    guard count >= 2048, radius >= 0, radius < bits / 4 else { return .linear }
    let linearCost = Double(count) * (bits == 64 ? 1.05 : 0.7)
    let substringBits = 16
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
    let mihCost = probes * 30 + candidates * 90
    return mihCost < linearCost ? .mih : .linear
  }

  /// Builds the index of this kind over `hashes` (``auto`` resolved for `radius`).
  public func build<Hash: HammingHash>(_ hashes: [Hash], radius: Int) -> any HashIndex<Hash> {
    switch self == .auto ? Self.choose(bits: Hash.bitCount, radius: radius, count: hashes.count) : self {
    case .bkTree: return BKTree(hashes)
    case .mih: return MultiIndexHashTable(hashes, substringBits: 16)
    default: return LinearScanIndex(hashes)
    }
  }
}
