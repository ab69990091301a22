@testable import SieveCore
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

  /// Layouts other than the standard one, on sets small enough that their tables (not
  /// the linear fallback) answer: eight 32-bit parts keyed by 12 bits (the wide shape of
  /// 100M-entry sets, scaled down), seven uneven parts keyed by 10, narrow 8-bit ones.
  static func layouts<H: HammingHash>(_ type: H.Type, count: Int) -> [(String, MultiIndexLayout)] {
    let wide = H.bitCount >= 256 ? 8 : 4
    func parts(_ m: Int) -> [MultiIndexLayout.Part] {
      var out: [MultiIndexLayout.Part] = []
      var start = 0
      for j in 0..<m {
        let width = H.bitCount / m + (j < H.bitCount % m ? 1 : 0)
        out.append(.init(start: start, width: width))
        start += width
      }
      return out
    }
    let idBits = max(1, Int.bitWidth - max(count - 1, 1).leadingZeroBitCount)
    return [
      ("wide-12", MultiIndexLayout(bitCount: H.bitCount, parts: parts(wide), keyBits: 12, idBits: idBits, count: count)!),
      ("seven-10", MultiIndexLayout(bitCount: H.bitCount, parts: parts(7), keyBits: 10, idBits: idBits + 3, count: count)!),
      ("narrow-8", MultiIndexLayout.narrow(bitCount: H.bitCount, count: count, substringBits: 8)),
    ]
  }

  static func checkLayouts<H: HammingHash>(_ type: H.Type, radius: Int, seed: UInt64) {
    for scenario in scenarios(H.self, seed: seed, radius: radius) {
      for (name, layout) in layouts(H.self, count: scenario.hashes.count) {
        let built = MultiIndexHashTable(scenario.hashes, layout: layout)
        // The same tables used from a copy of their bytes, as a set file gives them.
        let loaded = MultiIndexHashTable(hashes: scenario.hashes, layout: layout, tables: MultiIndexTables(copying: built.tables.bytes))
        #expect(loaded != nil, "\(name) tables were refused")
        for query in scenario.queries {
          for r in Set([0, 1, radius / 2, radius, radius + 2]) {
            let expected = bruteForce(scenario.hashes, query, r)
            #expect(built.matches(for: query, within: r) == expected, "\(name) \(scenario.name) r=\(r) seed=\(seed)")
            #expect(loaded?.matches(for: query, within: r) == expected, "\(name) loaded \(scenario.name) r=\(r) seed=\(seed)")
          }
        }
      }
    }
  }

  @Test("Every multi-index layout equals brute force", arguments: [31, 10])
  func layoutsEqualBruteForce(radius: Int) {
    let seed = UInt64.random(in: 0...UInt64.max)
    Self.checkLayouts(PDQHash.self, radius: radius, seed: seed)
    Self.checkLayouts(PHash.self, radius: radius / 4 + 1, seed: seed)
  }

  /// The wide shape at radius 31 (three flips a 14-bit key) on a set large enough that
  /// its tables answer rather than the linear fallback, with planted near matches.
  @Test func wideTablesAtRadius31EqualBruteForce() {
    let seed = UInt64.random(in: 0...UInt64.max)
    var rng = SplitMix64(seed: seed)
    var hashes = (0..<6000).map { _ in Self.random(PDQHash.self, &rng) }
    for i in 0..<300 { hashes.append(Self.flipping(hashes[i * 7], 1 + i % 40, &rng)) }
    let wide = Self.layouts(PDQHash.self, count: hashes.count)[0].1
    let layout = MultiIndexLayout(bitCount: 256, parts: wide.parts, keyBits: 14, idBits: 13, count: hashes.count)!
    #expect(layout.probes(radius: 31) < hashes.count && layout.expectedCandidates(radius: 31) < Double(hashes.count) / 2)
    let index = MultiIndexHashTable(hashes, layout: layout)
    for i in 0..<30 {
      let q = i % 3 == 2 ? Self.random(PDQHash.self, &rng) : Self.flipping(hashes[Int(rng.next() % 6300)], i, &rng)
      #expect(index.matches(for: q, within: 31) == Self.bruteForce(hashes, q, 31), "query \(i) seed \(seed)")
    }
  }

  /// Tables read from a file are not trusted: any bytes in them may make a query miss
  /// entries, never report a wrong one or read outside memory.
  @Test func damagedTablesNeverReadOutOfBoundsOrInventMatches() {
    let seed = UInt64.random(in: 0...UInt64.max)
    var rng = SplitMix64(seed: seed)
    let hashes = (0..<3000).map { i in i % 3 == 0 ? Self.random(PDQHash.self, &rng) : Self.flipping(PDQHash(w0: 7, w1: 7, w2: 7, w3: 7), i % 40, &rng) }
    let layout = Self.layouts(PDQHash.self, count: hashes.count)[0].1
    let good = MultiIndexHashTable(hashes, layout: layout)
    var refused = 0
    for trial in 0..<60 {
      var bytes = Array(good.tables.bytes)
      // Offsets, ids, or both, overwritten with noise or extremes.
      let region = trial % 3 == 0 ? 0..<layout.offsetBytes : trial % 3 == 1 ? layout.offsetBytes..<bytes.count : 0..<bytes.count
      for _ in 0..<(1 + Int(rng.next() % 200)) {
        let at = region.lowerBound + Int(rng.next() % UInt64(region.count))
        bytes[at] = trial % 2 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : 0xFF
      }
      let tables = bytes.withUnsafeBytes { MultiIndexTables(copying: $0) }
      guard let damaged = MultiIndexHashTable(hashes: hashes, layout: layout, tables: tables) else {
        refused += 1
        continue
      }
      for q in [hashes[1], hashes[2], Self.random(PDQHash.self, &rng)] {
        let truth = Set(Self.bruteForce(hashes, q, 31))
        let got = damaged.matches(for: q, within: 31)
        #expect(got.allSatisfy { truth.contains($0) }, "trial \(trial) seed \(seed)")
        #expect(got == got.sorted())
      }
    }
    #expect(refused > 0, "damaged directories are refused")
    // Wrong sizes are refused too.
    #expect(MultiIndexHashTable(hashes: hashes, layout: layout, tables: MultiIndexTables(copying: UnsafeRawBufferPointer(rebasing: good.tables.bytes.dropLast(8)))) == nil)
    #expect(MultiIndexHashTable(hashes: Array(hashes.dropLast()), layout: layout, tables: good.tables) == nil)
  }

  @Test func layoutsAreValidatedAndChosenBySize() {
    let part = MultiIndexLayout.Part.self
    #expect(MultiIndexLayout(bitCount: 64, parts: [part.init(start: 0, width: 32), part.init(start: 32, width: 32)], keyBits: 16, idBits: 10, count: 1024) != nil)
    #expect(MultiIndexLayout(bitCount: 64, parts: [part.init(start: 0, width: 32), part.init(start: 32, width: 31)], keyBits: 16, idBits: 10, count: 1024) == nil)
    #expect(MultiIndexLayout(bitCount: 64, parts: [part.init(start: 0, width: 32), part.init(start: 31, width: 33)], keyBits: 16, idBits: 10, count: 1024) == nil)
    #expect(MultiIndexLayout(bitCount: 64, parts: [part.init(start: 0, width: 64)], keyBits: 25, idBits: 10, count: 1024) == nil)
    #expect(MultiIndexLayout(bitCount: 64, parts: [part.init(start: 0, width: 64)], keyBits: 16, idBits: 10, count: 1025) == nil)
    #expect(MultiIndexLayout(bitCount: 64, parts: [part.init(start: 0, width: 64)], keyBits: 16, idBits: 33, count: 10) == nil)
    // Narrow 16-bit parts up to 2^25 PDQ entries, then eight 32-bit parts whose tables
    // and hashes stay under 64 bytes an entry.
    let tenMillion = MultiIndexLayout.standard(bitCount: 256, count: 10_000_000)
    #expect(tenMillion.parts.count == 16 && tenMillion.keyBits == 16 && tenMillion.idBits == 24)
    let hundredMillion = MultiIndexLayout.standard(bitCount: 256, count: 100_000_000)
    #expect(hundredMillion.parts.count == 8 && hundredMillion.keyBits == 23 && hundredMillion.idBits == 27)
    #expect(hundredMillion.bytesPerEntry(hashBytes: 32) <= 64)
    #expect(MultiIndexLayout.standard(bitCount: 256, count: 1 << 25).parts.count == 8)
    #expect(MultiIndexLayout.standard(bitCount: 64, count: 100_000_000).parts.count == 4)
    #expect(IndexKind.prefersTables(hundredMillion, bits: 256, radius: 31))
    #expect(!IndexKind.prefersTables(hundredMillion, bits: 256, radius: 63))
  }

  /// Indexes and set files copy hash arrays as raw memory: a PDQ hash must be its four
  /// words in order, a pHash its one.
  @Test func hashesAreTheirWordsInMemory() {
    let pdq = [PDQHash(w0: 1, w1: 2, w2: 3, w3: 4), PDQHash(w0: 5, w1: 6, w2: 7, w3: .max)]
    #expect(MemoryLayout<PDQHash>.stride == 32 && MemoryLayout<PHash>.stride == 8)
    #expect(pdq.withUnsafeBytes { Array($0.bindMemory(to: UInt64.self)) } == [1, 2, 3, 4, 5, 6, 7, .max])
    #expect(LinearScanIndex(pdq).words == [1, 2, 3, 4, 5, 6, 7, .max])
    #expect(LinearScanIndex([PHash(9), PHash(10)]).words == [9, 10])
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
