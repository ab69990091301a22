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
    bytes[8] = 6
    #expect {
      try BinaryHashSet.decode(bytes, file: "new.sieveset")
    } throws: { error in
      "\(error)".contains("format version 6") && "\(error)".contains("a newer Sieve wrote it")
    }
  }

  /// Text exports carry each image's own hashes, never the variants.
  @Test func textExportsHoldOnlyTheImagesOwnHashes() {
    var lines: [String] = []
    HashSetWriter.write(Self.augmented(), format: .plain, kind: .pdq) { lines.append($0) }
    #expect(lines.count == 20)
  }
}

@Suite struct HostileAugmentedHashSetTests {
  /// Rewrites the PDQV section of an encoded augmented set with `change`, then fixes the
  /// checksum so that only the section's own checks can refuse it.
  static func tampered(version: UInt32? = nil, _ change: (inout [UInt8], Int) -> Void) -> [UInt8] {
    var bytes = BinaryHashSet.encode(AugmentedHashSetTests.augmented())
    // Find the PDQV section header.
    let tag = Array("PDQV".utf8)
    let at = (64..<(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == tag }!
    change(&bytes, at)
    if let version { withUnsafeBytes(of: version.littleEndian) { bytes.replaceSubrange(8..<12, with: $0) } }
    let sum = bytes.withUnsafeBytes { raw in
      BinaryHashSet.checksum(head: UnsafeRawBufferPointer(rebasing: raw[0..<32]), payload: UnsafeRawBufferPointer(rebasing: raw[64...]))
    }
    withUnsafeBytes(of: sum.littleEndian) { bytes.replaceSubrange(32..<40, with: $0) }
    return bytes
  }

  static func refusal(_ bytes: [UInt8]) -> String? {
    do {
      _ = try BinaryHashSet.decode(bytes, file: "hostile.sieveset")
      return nil
    } catch {
      return "\(error)"
    }
  }

  @Test func variantsInAVersion1FileAreRefused() {
    let reason = Self.refusal(Self.tampered(version: 1) { _, _ in })
    #expect(reason?.contains("version 1 file holds variant hashes") == true, "\(reason ?? "accepted")")
  }

  @Test func anUnknownVariantCodeIsRefused() {
    // The section body: count (8 bytes), then the codes.
    let reason = Self.refusal(Self.tampered { bytes, at in bytes[at + 16 + 8] = 200 })
    #expect(reason?.contains("variant code is unknown") == true, "\(reason ?? "accepted")")
  }

  @Test func aCountThatDoesNotMatchIsRefused() {
    let reason = Self.refusal(Self.tampered { bytes, at in bytes[at + 16] &-= 1 })
    #expect(reason?.contains("do not match the PDQ hashes") == true, "\(reason ?? "accepted")")
  }
}
