
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
  /// project's 2-core machine (`python3 Scripts/bench_index_vs_faiss.py`, 2026-12-01,
  /// 200 queries half with a planted match, p50 per query; the linear scan splits large
  /// sets over both cores, the others use one), on random hashes and on clustered ones
  /// (series of 1–100 near-duplicates within 48 bits of a centre, 12 for pHash, as real
  /// lists hold them; `Scripts/hash_shapes.py`):
  ///
  /// | query | N | linear | MIH (16-bit) | faiss flat, 1 thread | linear, clustered | MIH, clustered | faiss, clustered |
  /// |---|---:|---:|---:|---:|---:|---:|---:|
  /// | PDQ r31 | 100K | 70 µs | 15 µs | 60 µs | 71 µs | 12 µs | 57 µs |
  /// | PDQ r31 | 1M | 511 µs | 108 µs | 803 µs | 507 µs | 99 µs | 810 µs |
  /// | PDQ r31 | 10M | 6751 µs | 1154 µs | 9510 µs | 6802 µs | 1012 µs | 12585 µs |
  /// | pHash r8 | 100K | 30 µs | 7 µs | 37 µs | 31 µs | 12 µs | 37 µs |
  /// | pHash r8 | 1M | 301 µs | 102 µs | 305 µs | 183 µs | 75 µs | 307 µs |
  /// | pHash r8 | 10M | 1865 µs | 949 µs | 3313 µs | 1717 µs | 838 µs | 3230 µs |
  ///
  /// At 100M clustered PDQ entries (2026-12-01, 100 queries; MIH in its wide layout, eight
  /// 32-bit parts keyed by 23 bits, 62 bytes an entry): linear 169,563 µs, MIH 15,068 µs,
  /// faiss flat 308,157 µs.
  ///
  /// Model: the linear scan costs about 0.55 ns an entry (PDQ) or 0.2 ns (pHash); MIH
  /// about 30 ns a probe plus 25 ns (PDQ) or 10 ns (pHash) a candidate verified (mostly
  /// a cache miss into the hash array), candidates counted from the layout's probes and
  /// bucket sizes (``MultiIndexLayout/expectedCandidates(radius:)``). Clustered sets add the query's series to the
  /// candidates (at most 100 members, each found through several substrings) and change
  /// no pick at these sizes. The BK-tree lost everywhere (on hashes spread like real PDQ
  /// it visits nearly every node at radius 31), so `auto` never picks it; it stays
  /// available for small-radius deduplication.
  public static func choose(bits: Int, radius: Int, count: Int) -> IndexKind {
    guard count >= 2048, radius >= 0, radius < bits / 4 else { return .linear }
    return mihCost(MultiIndexLayout.standard(bitCount: bits, count: count), bits: bits, radius: radius)
      < linearCost(bits: bits, count: count) ? .mih : .linear
  }

  /// Whether tables of `layout` (as a set file carries them) beat the linear scan for
  /// `count` hashes of `bits` bits at `radius`.
  public static func prefersTables(_ layout: MultiIndexLayout, bits: Int, radius: Int) -> Bool {
    guard radius >= 0, radius < bits / 4 else { return false }
    return mihCost(layout, bits: bits, radius: radius) < linearCost(bits: bits, count: layout.count)
  }

  static func linearCost(bits: Int, count: Int) -> Double { Double(count) * (bits == 64 ? 0.2 : 0.55) }

  static func mihCost(_ layout: MultiIndexLayout, bits: Int, radius: Int) -> Double {
    guard radius / layout.parts.count <= 3 else { return .infinity }
    return Double(layout.probes(radius: radius)) * 30 + layout.expectedCandidates(radius: radius) * (bits == 64 ? 10 : 25)
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
