import SieveCore
import SieveTestSupport
import Testing

/// Every index returns exactly what a brute-force scan returns: same entries, same
/// distances, same order (distance, then id), for 64- and 256-bit hashes, on random,
/// planted and adversarial sets. The seed is in every failure message.
@Suite struct IndexPropertyTests {
  static func bruteForce<H: HammingHash>(_ hashes: [H], _ query: H, _ radius: Int) -> [IndexMatch] {
    hashes.enumerated().compactMap { id, h in
      let d = h.distance(to: query)
      return d <= radius ? IndexMatch(id: id, distance: d) : nil
    }.sorted()
  }

  static func bruteNearest<H: HammingHash>(_ hashes: [H], _ query: H, _ k: Int) -> [IndexMatch] {
    Array(hashes.enumerated().map { IndexMatch(id: $0.offset, distance: $0.element.distance(to: query)) }.sorted().prefix(k))
  }

  static func random<H: HammingHash>(_ type: H.Type, _ rng: inout SplitMix64) -> H {
    let words = (0..<H.wordCount).map { _ in rng.next() }
    return words.withUnsafeBufferPointer { H(words: $0) }
  }

  /// `hash` with `flips` distinct random bits flipped.
  static func flipping<H: HammingHash>(_ hash: H, _ flips: Int, _ rng: inout SplitMix64) -> H {
    var words = (0..<H.wordCount).map { hash.word($0) }
    for bit in (0..<H.bitCount).shuffled(using: &rng).prefix(flips) {
      words[bit / 64] ^= 1 << UInt64(bit % 64)
    }
    return words.withUnsafeBufferPointer { H(words: $0) }
  }

  /// A named data set with queries and the radii to check.
  struct Scenario<H: HammingHash> {
    var name: String
    var hashes: [H]
    var queries: [H]
  }

  static func scenarios<H: HammingHash>(_ type: H.Type, seed: UInt64, radius: Int) -> [Scenario<H>] {
    var rng = SplitMix64(seed: seed)
    var out: [Scenario<H>] = []
    // Random set, random queries plus queries equal to entries.
    let randomSet = (0..<600).map { _ in random(H.self, &rng) }
    out.append(Scenario(
      name: "random", hashes: randomSet,
      queries: (0..<20).map { _ in random(H.self, &rng) } + randomSet.prefix(5)))
    // Planted near-duplicates of a query at every distance 0...radius+2.
    let center = random(H.self, &rng)
    var planted = (0..<300).map { _ in random(H.self, &rng) }
    for d in 0...(radius + 2) {
      for _ in 0..<3 { planted.insert(flipping(center, d, &rng), at: Int(rng.next() % UInt64(planted.count + 1))) }
    }
    out.append(Scenario(name: "planted", hashes: planted, queries: [center, flipping(center, 1, &rng), flipping(center, radius, &rng)]))
    // Adversarial: all equal, all zero, tight clusters, duplicates with different ids.
    let one = random(H.self, &rng)
    out.append(Scenario(name: "all equal", hashes: Array(repeating: one, count: 400), queries: [one, flipping(one, radius, &rng), random(H.self, &rng)]))
    let zero = [UInt64](repeating: 0, count: H.wordCount).withUnsafeBufferPointer { H(words: $0) }
    out.append(Scenario(name: "all zero", hashes: Array(repeating: zero, count: 300), queries: [zero, flipping(zero, radius + 1, &rng)]))
    var clusters: [H] = []
    let seeds = (0..<5).map { _ in random(H.self, &rng) }
    for i in 0..<500 { clusters.append(flipping(seeds[i % 5], Int(rng.next() % 4), &rng)) }
    out.append(Scenario(name: "tight clusters", hashes: clusters, queries: seeds + [flipping(seeds[0], radius / 2, &rng)]))
    // Series of near-duplicates as real lists hold them: 1-100 members, each within a
    // fifth of the bits of its centre (48 of PDQ's 256), queries at members and near them.
    var series: [H] = []
    var centres: [H] = []
    while series.count < 2500 {
      let centre = random(H.self, &rng)
      centres.append(centre)
      for _ in 0..<(1 + Int(rng.next() % 100)) { series.append(flipping(centre, Int(rng.next() % UInt64(H.bitCount / 5 + 1)), &rng)) }
    }
    out.append(Scenario(
      name: "series of near-duplicates", hashes: series,
      queries: centres.prefix(4) + [series[17], flipping(series[900], radius / 2, &rng), flipping(centres[3], radius, &rng)]))
    var duplicates = (0..<100).map { _ in random(H.self, &rng) }
    duplicates += duplicates + duplicates.prefix(30)
    out.append(Scenario(name: "duplicates", hashes: duplicates, queries: Array(duplicates.prefix(4)) + [flipping(duplicates[7], 2, &rng)]))
    return out
  }

  static func check<H: HammingHash>(_ type: H.Type, radius: Int, seed: UInt64) {
    for scenario in scenarios(H.self, seed: seed, radius: radius) {
      let indexes: [(String, any HashIndex<H>)] = [
        ("linear", LinearScanIndex(scenario.hashes)),
        ("bk-tree", BKTree(scenario.hashes)),
        ("mih", MultiIndexHashTable(scenario.hashes)),
        ("mih-8bit", MultiIndexHashTable(scenario.hashes, substringBits: 8)),
      ]
      for query in scenario.queries {
        for r in Set([0, 1, radius / 2, radius, radius + 2]) {
          let expected = bruteForce(scenario.hashes, query, r)
          for (name, index) in indexes {
            let got = index.matches(for: query, within: r)
            #expect(got == expected, "\(name) \(scenario.name) r=\(r) seed=\(seed): \(got.count) vs \(expected.count)")
          }
        }
        for k in [1, 5, 37] {
          let expected = bruteNearest(scenario.hashes, query, k)
          for (name, index) in indexes {
            #expect(index.nearest(to: query, count: k) == expected, "\(name) \(scenario.name) k=\(k) seed=\(seed)")
          }
        }
      }
    }
  }

  @Test("256-bit PDQ indexes equal brute force", arguments: [31, 10])
  func pdq(radius: Int) {
    let seed = UInt64.random(in: 0...UInt64.max)
    Self.check(PDQHash.self, radius: radius, seed: seed)
  }

  @Test("64-bit pHash indexes equal brute force", arguments: [8, 3])
  func phash(radius: Int) {
    let seed = UInt64.random(in: 0...UInt64.max)
    Self.check(PHash.self, radius: radius, seed: seed)
  }

  @Test func blocksOfQueriesAndParallelScanEqualSingleQueries() {
    let seed = UInt64.random(in: 0...UInt64.max)
    var rng = SplitMix64(seed: seed)
    let hashes = (0..<5000).map { _ in Self.random(PDQHash.self, &rng) }
    var index = LinearScanIndex(hashes)
    index.parallelThreshold = 1000  // force the split across cores
    let queries = (0..<40).map { i in i % 2 == 0 ? Self.flipping(hashes[i * 50], i % 40, &rng) : Self.random(PDQHash.self, &rng) }
    let block = index.matches(for: queries, within: 31)
    for (q, query) in queries.enumerated() {
      #expect(block[q] == Self.bruteForce(hashes, query, 31), "query \(q) seed \(seed)")
    }
  }

  @Test func emptyIndexesAnswerNothing() {
    let empty: [PDQHash] = []
    let q = PDQHash.zero
    #expect(LinearScanIndex(empty).matches(for: q, within: 256).isEmpty)
    #expect(BKTree(empty).matches(for: q, within: 256).isEmpty)
    #expect(MultiIndexHashTable(empty).matches(for: q, within: 31).isEmpty)
    #expect(BKTree(empty).nearest(to: q, count: 3).isEmpty)
    #expect(MultiIndexHashTable(empty).nearest(to: q, count: 3).isEmpty)
  }

  @Test func storageSizes() {
    #expect(LinearScanIndex<PDQHash>.bytesPerEntry == 32)
    #expect(BKTree<PDQHash>.bytesPerEntry == 40)
    #expect(BKTree<PHash>.bytesPerEntry == 16)
    #expect(MultiIndexHashTable<PDQHash>.defaultSubstringBits(for: 1_000_000) == 16)
    // The memory target for multi-index hashing: at most 96 bytes a PDQ entry.
    #expect(MultiIndexHashTable<PDQHash>.bytesPerEntry(count: 1_000_000, substringBits: 16) <= 96)
    #expect(MultiIndexHashTable<PDQHash>.bytesPerEntry(count: 10_000_000, substringBits: 16) <= 96)
    #expect(MultiIndexHashTable<PDQHash>.defaultSubstringBits(for: 100) == 8)
  }
}
