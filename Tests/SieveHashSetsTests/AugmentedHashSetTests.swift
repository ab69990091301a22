import SieveCore
@testable import SieveHashSets
import SieveTestSupport
import Testing

@Suite struct AugmentedHashSetTests {
  static func augmented() -> HashSet {
    var rng = SplitMix64(seed: 11)
    func hash() -> PDQHash { PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()) }
    var set = HashSet(name: "augmented example")
    for i in 0..<20 {
      var entry = HashSetEntry(id: "image-\(i)", label: "example", pdq: hash(), pdqQuality: 90)
      entry.pdqVariants = [.crop90, .cropTop, .trimmed].prefix(i % 4).map { HashSetEntry.Variant(variant: $0, hash: hash(), quality: 80) }
      set.append(entry)
    }
    return set
  }

  @Test func augmentedSetsRoundTripAsVersion2() throws {
    let set = Self.augmented()
    #expect(set.isAugmented && set.count(of: .pdq) == 20 && set.pdqVariantCount == 30)
    let bytes = BinaryHashSet.encode(set)
    let (back, header) = try BinaryHashSet.decode(bytes, file: "memory")
    #expect(header.version == 2)
    #expect(back.entries == set.entries)
    #expect(back.pdqVariants == set.pdqVariants)
    #expect(back.entries[3].pdqVariants.map(\.variant) == [.crop90, .cropTop, .trimmed])
  }

  @Test func plainSetsStayVersion1() throws {
    let (_, header) = try BinaryHashSet.decode(BinaryHashSet.encode(BinaryHashSetTests.sample(count: 10, seed: 1)), file: "m")
    #expect(header.version == 1)
  }

  /// A later version is refused by its number, with a message saying so.
  @Test func newerVersionsAreRefusedClearly() throws {
    var bytes = BinaryHashSet.encode(Self.augmented())
    bytes[8] = 3
    #expect {
      try BinaryHashSet.decode(bytes, file: "new.sieveset")
    } throws: { error in
      "\(error)".contains("format version 3") && "\(error)".contains("a newer Sieve wrote it")
    }
  }

  /// Text exports carry each image's own hashes, never the variants.
  @Test func textExportsHoldOnlyTheImagesOwnHashes() {
    var lines: [String] = []
    HashSetWriter.write(Self.augmented(), format: .plain, kind: .pdq) { lines.append($0) }
    #expect(lines.count == 20)
  }
}
