import Foundation
import SieveCore
@testable import SieveHashSets
import SieveSystem
import SieveTestSupport
import Testing

/// Sets that carry their PDQ multi-index tables (.sieveset version 5).
@Suite struct PrebuiltIndexTests {
  /// A set of series of near-duplicates (as real lists hold them) and unrelated hashes.
  static func sample(count: Int, seed: UInt64) -> HashSet {
    var rng = SplitMix64(seed: seed)
    var set = HashSet(name: "indexed example")
    var centre = PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next())
    for i in 0..<count {
      if i % 37 == 0 { centre = PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()) }
      var entry = HashSetEntry(id: "e\(i)", label: i % 2 == 0 ? "series" : "")
      var words = [centre.w0, centre.w1, centre.w2, centre.w3]
      for _ in 0..<(rng.next() % 40) {
        let bit = Int(rng.next() % 256)
        words[bit / 64] ^= 1 << UInt64(bit % 64)
      }
      entry.pdq = PDQHash(w0: words[0], w1: words[1], w2: words[2], w3: words[3])
      set.append(entry)
    }
    return set
  }

  static func queries(_ set: HashSet) -> [PDQHash] {
    var rng = SplitMix64(seed: 77)
    return (0..<40).map { i in
      i % 2 == 0 ? set.pdqHashes[Int(rng.next() % UInt64(set.pdqHashes.count))]
        : PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next())
    }
  }

  @Test func roundTripCarriesTheTablesAsVersion5() throws {
    var set = Self.sample(count: 5000, seed: 1)
    #expect(BinaryHashSet.encode(set).withUnsafeBytes { $0.load(fromByteOffset: 8, as: UInt32.self) } == 1)
    set.buildPDQIndex()
    let bytes = BinaryHashSet.encode(set)
    let (back, header) = try BinaryHashSet.decode(bytes, file: "memory")
    #expect(header.version == 5)
    #expect(back.hasPDQIndex && back.pdqIndexIsExact())
    #expect(back.entries == set.entries)
    #expect(BinaryHashSet.encode(back) == bytes)
    let linear = LinearScanIndex(set.pdqHashes)
    for q in Self.queries(set) {
      #expect(back.pdqIndex!.matches(for: q, within: 31) == linear.matches(for: q, within: 31))
    }
    // Adding an entry drops the tables (they would no longer cover every hash).
    var grown = back
    grown.append(HashSetEntry(id: "new", label: "", pdq: .zero))
    #expect(!grown.hasPDQIndex)
  }

  /// A sample set written with its tables into `dir`, loaded back: the set, the file,
  /// and the loaded tables.
  static func written(count: Int, seed: UInt64, in dir: TemporaryDirectory) throws -> (HashSet, String, MultiIndexHashTable<PDQHash>) {
    var set = sample(count: count, seed: seed)
    set.buildPDQIndex()
    let path = dir.path + "/indexed.sieveset"
    try BinaryHashSet.write(set, to: path)
    return (set, path, try #require(try HashSetLoader.load(path).set.pdqIndex))
  }

  @Test func loadedSetsUseTheTablesInTheMappedFile() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (set, _, index) = try Self.written(count: 4000, seed: 2, in: dir)
    #expect(index.tables.owner is MappedFile, "the tables are used in place")
    let linear = LinearScanIndex(set.pdqHashes)
    for q in Self.queries(set) {
      #expect(index.matches(for: q, within: 31) == linear.matches(for: q, within: 31))
    }
  }

  /// The service's placement: the tables copied out of the mapped file, so that a file
  /// truncated afterwards changes nothing; over the limit, they stay in place.
  @Test func tablesCanBeCopiedIntoMemory() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (set, path, _) = try Self.written(count: 20000, seed: 5, in: dir)
    var loaded = try HashSetLoader.load(path).set
    let size = try #require(loaded.pdqIndex?.tables.byteCount)
    let overLimit = loaded.copyPDQIndexIntoMemory(upTo: size - 1)
    #expect(!overLimit, "over the limit")
    #expect(loaded.pdqIndex?.tables.owner is MappedFile)
    let copied = loaded.copyPDQIndexIntoMemory(upTo: size)
    #expect(copied)
    let index = try #require(loaded.pdqIndex)
    #expect(index.tables.owner == nil, "the tables are a copy")
    let again = loaded.copyPDQIndexIntoMemory(upTo: size)
    #expect(!again, "copied once")
    #expect(truncate(path, 4096) == 0)
    let linear = LinearScanIndex(set.pdqHashes)
    for q in Self.queries(set) {
      #expect(index.matches(for: q, within: 31) == linear.matches(for: q, within: 31))
    }
  }

  /// `cp` over a mapped set file truncates it in place: the process must live on, the
  /// damaged pages read as zeros, and the mapping must say so.
  @Test func truncatingAMappedFileNeverCrashes() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (set, path, index) = try Self.written(count: 20000, seed: 3, in: dir)
    let mapping = try #require(index.tables.owner as? MappedFile)
    #expect(mapping.isIntact)
    #expect(truncate(path, 4096) == 0)
    let linear = LinearScanIndex(set.pdqHashes)
    for q in Self.queries(set) {
      let truth = Set(linear.matches(for: q, within: 31))
      #expect(index.matches(for: q, within: 31).allSatisfy { truth.contains($0) })
    }
    #expect(!mapping.isIntact && mapping.faults > 0)
    // A file truncated before it is loaded is refused with a clear error.
    #expect(throws: HashSetError.self) { try HashSetLoader.load(path) }
  }

  @Test func tablesForOtherHashesAreFoundByVerify() throws {
    var set = Self.sample(count: 3000, seed: 4)
    var other = set.pdqHashes
    other.swapAt(0, 2999)
    other.swapAt(10, 20)
    set.pdqIndex = MultiIndexHashTable(other)
    #expect(!set.pdqIndexIsExact())
    set.buildPDQIndex()  // keeps the tables it has
    #expect(!set.pdqIndexIsExact())
    set.removePDQIndex()
    set.buildPDQIndex()
    #expect(set.pdqIndexIsExact())
  }

  @Test func versionAndSectionMismatchesAreRefused() throws {
    var set = Self.sample(count: 500, seed: 5)
    set.buildPDQIndex()
    var bytes = BinaryHashSet.encode(set)
    // A version 4 file with tables, and a version 6 file, resealed.
    for (version, message) in [(UInt32(4), "index tables"), (6, "reads versions 1 to 5")] {
      withUnsafeBytes(of: version.littleEndian) { bytes.replaceSubrange(8..<12, with: $0) }
      let sealed = HostileBinaryHashSetTests.resealed(bytes)
      #expect { try BinaryHashSet.decode(sealed, file: "x") } throws: { "\($0)".contains(message) }
    }
  }

  /// Every 8-byte word of the tables' section set to extremes in turn, resealed: the
  /// set is refused, or loads with tables that answer without trapping.
  @Test func hostileTableSectionsAreRefusedOrHarmless() throws {
    var set = Self.sample(count: 300, seed: 6)
    set.buildPDQIndex()
    let good = BinaryHashSet.encode(set)
    let start = try #require(good.indices.first { i in i + 4 <= good.count && good[i..<i + 4].elementsEqual("PMIX".utf8) })
    let linear = LinearScanIndex(set.pdqHashes)
    var refused = 0
    for value: UInt64 in [.max, 1 << 31, 0x0000_0001_0000_0001] {
      for offset in stride(from: start + 16, to: min(good.count - 8, start + 16 + 4096), by: 8) {
        var b = good
        HostileBinaryHashSetTests.put(value, at: offset, in: &b)
        guard let (loaded, _) = try? BinaryHashSet.decode(HostileBinaryHashSetTests.resealed(b), file: "x") else {
          refused += 1
          continue
        }
        for q in Self.queries(set).prefix(4) {
          let truth = Set(linear.matches(for: q, within: 31))
          #expect(loaded.pdqIndex?.matches(for: q, within: 31).allSatisfy { truth.contains($0) } ?? true)
        }
      }
    }
    #expect(refused > 10)
  }
}
