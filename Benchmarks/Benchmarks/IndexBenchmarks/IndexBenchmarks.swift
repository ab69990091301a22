import Benchmark
import BenchmarkSupport
import SieveCore

/// Radius queries per index (PDQ r = 31, pHash r = 8), each query near a planted entry,
/// on two shapes of set: random hashes, spread like real ones (mean distance 128), and
/// clustered ones (``ClusteredHashes``: series of 1–100 near-duplicates, as real lists
/// hold them), where a query near an entry also meets its series. The linear scan is the
/// baseline in the same run; every index is first checked against it.
let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .throughput],
    warmupIterations: 1,
    scalingFactor: .one,
    maxDuration: .seconds(2),
    maxIterations: 200
  )

  var rng = BenchmarkRandom(seed: 7)
  for (n, shape) in [(100_000, "random"), (1_000_000, "random"), (1_000_000, "clustered")] {
    let label = (n >= 1_000_000 ? "\(n / 1_000_000)M" : "\(n / 1000)K") + (shape == "random" ? "" : " clustered")
    let pdq =
      shape == "random"
      ? (0..<n).map { _ in PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()) }
      : ClusteredHashes.pdq(count: n, seed: 8)
    // Near entries spread over the set (not entry 0, the BK-tree's root, whose
    // neighbours it finds at once).
    let pdqQueries = (0..<64).map { i in rng.flip(pdq[(i * 7919 + 4111) % n], bits: 20) }
    let linear = LinearScanIndex(pdq)
    let mih = MultiIndexHashTable(pdq)
    let mih16 = MultiIndexHashTable(pdq, substringBits: 16)
    let bk = BKTree(pdq)
    // Sanity: every index must agree with the linear scan on the benchmark's queries.
    for query in pdqQueries.prefix(8) {
      let expected = linear.matches(for: query, within: 31)
      precondition(bk.matches(for: query, within: 31) == expected, "BK-tree disagrees")
      precondition(mih.matches(for: query, within: 31) == expected, "MIH disagrees")
    }
    let indexes: [(String, any HashIndex<PDQHash>)] = [
      ("linear", linear), ("mih", mih), ("mih16", mih16), ("bk-tree", bk),
    ]
    for (name, index) in indexes {
      queryBenchmark("PDQ r31 \(name) \(label) one query", index, pdqQueries, radius: 31)
    }
    Benchmark("PDQ r31 linear \(label) block of 64 queries") { benchmark in
      for _ in benchmark.scaledIterations { blackHole(linear.matches(for: pdqQueries, within: 31)) }
    }
    queryBenchmark("PDQ r4 bk-tree \(label) one query", bk, pdqQueries, radius: 4)

    let ph = shape == "random" ? (0..<n).map { _ in PHash(rng.next()) } : ClusteredHashes.phash(count: n, seed: 9)
    let phQueries = (0..<64).map { i in PHash(ph[(i * 7919 + 4111) % n].value ^ 0b1011) }
    let phIndexes: [(String, any HashIndex<PHash>)] = [
      ("linear", LinearScanIndex(ph)), ("mih", MultiIndexHashTable(ph)), ("bk-tree", BKTree(ph)),
    ]
    for (name, index) in phIndexes {
      queryBenchmark("pHash r8 \(name) \(label) one query", index, phQueries, radius: 8)
    }
  }
}

/// One radius query per iteration, cycling through `queries` across the whole run
/// (the harness calls the closure once per sample, so a local counter would keep
/// asking the first query).
func queryBenchmark<Index: HashIndex>(_ name: String, _ index: Index, _ queries: [Index.Hash], radius: Int) {
  let cycle = QueryCycle(count: queries.count)
  Benchmark(name) { benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(index.matches(for: queries[cycle.next()], within: radius))
    }
  }
}

final class QueryCycle: @unchecked Sendable {
  private var position = 0
  private let count: Int
  init(count: Int) { self.count = count }
  func next() -> Int {
    defer { position = (position + 1) % count }
    return position
  }
}
