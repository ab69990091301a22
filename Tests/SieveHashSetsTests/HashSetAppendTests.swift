import SieveCore
import Testing

@testable import SieveHashSets

/// Sets joined part by part (``HashSet/append(contentsOf:)``, how lists read on every core
/// are put together) are the set appended entry by entry: the same entries, label table,
/// columns and file bytes.
@Suite struct HashSetAppendTests {
  /// Entries of every kind a set holds, in random mixes: PDQ hashes with qualities and
  /// variants, pHashes, the three digests (repeated ones too), videos' frames and their
  /// variants, labels from a small pool (so that parts share some and not others), ids of
  /// any length.
  static func entries(_ count: Int, seed: UInt64) -> [HashSetEntry] {
    var rng = SplitMix64(seed: seed)
    func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
    func hash() -> PDQHash { PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()) }
    let labels = ["", "series-a", "series-b", "é-label", "series-c"]
    var out: [HashSetEntry] = []
    for i in 0..<count {
      let roll = rng.next() % 100
      var entry = HashSetEntry(id: i % 11 == 0 ? "" : "case/\(String(repeating: "x", count: Int(rng.next() % 40)))/\(i).jpg",
        label: labels[Int(rng.next() % UInt64(labels.count))])
      if roll < 70 {
        entry.pdq = hash()
        entry.pdqQuality = roll < 10 ? nil : Int(rng.next() % 101)
      }
      if roll % 7 == 0 { entry.pdqVariants = [.init(variant: .crop90, hash: hash(), quality: 80), .init(variant: .trimmed, hash: hash())] }
      if roll % 2 == 0 { entry.phash = PHash(rng.next()) }
      if roll % 3 == 0 { entry.md5 = ExactDigest(kind: .md5, bytes: roll % 9 == 0 ? Array(repeating: 7, count: 16) : bytes(16)) }
      if roll % 5 == 0 { entry.sha1 = ExactDigest(kind: .sha1, bytes: bytes(20)) }
      if roll % 13 == 0 { entry.sha256 = ExactDigest(kind: .sha256, bytes: bytes(32)) }
      if roll >= 95 {
        entry.vpdq = (0..<Int(rng.next() % 4 + 1)).map { VPDQFeature(frameNumber: $0 * 30, hash: hash(), quality: 90, timestamp: Double($0)) }
        entry.vpdqVariants = [VPDQVariant(frameNumber: 0, variant: .crop80, hash: hash(), quality: 100)]
      }
      if entry.isEmpty { entry.md5 = ExactDigest(kind: .md5, bytes: bytes(16)) }
      out.append(entry)
    }
    return out
  }

  /// Whether two sets hold the same columns, bar capacity.
  static func expectSame(_ a: HashSet, _ b: HashSet, _ context: String) {
    #expect(a.count == b.count, "\(context): count")
    #expect(a.entries == b.entries, "\(context): entries")
    #expect(a.labels == b.labels && a.labelIndex == b.labelIndex, "\(context): labels")
    #expect(a.idOffsets == b.idOffsets && a.idBytes == b.idBytes, "\(context): ids")
    #expect(a.pdqHashes == b.pdqHashes && a.pdqEntries == b.pdqEntries && a.pdqQualities == b.pdqQualities, "\(context): PDQ")
    #expect(a.pdqVariants == b.pdqVariants, "\(context): PDQ variants")
    #expect(a.phashes == b.phashes && a.phashEntries == b.phashEntries, "\(context): pHash")
    #expect(a.videoHashes == b.videoHashes && a.videoEntries == b.videoEntries && a.videoFrames == b.videoFrames, "\(context): videos")
    #expect(a.videoVariantRows == b.videoVariantRows && a.videoVariantHashes == b.videoVariantHashes, "\(context): video variants")
    // (An emptied set keeps its columns' room, so an empty column counts as none.)
    func kinds(_ set: HashSet) -> Set<HashKind> { Set(set.digests.filter { $0.value.count > 0 }.keys) }
    #expect(kinds(a) == kinds(b), "\(context): digest kinds")
    for (kind, column) in a.digests where column.count > 0 {
      let other = b.digests[kind]
      #expect(column.bytes == other?.bytes && column.entries == other?.entries, "\(context): \(kind) rows")
      #expect(column.isSorted == other?.isSorted, "\(context): \(kind) sortedness")
    }
    #expect(BinaryHashSet.encode(a) == BinaryHashSet.encode(b), "\(context): file bytes")
  }

  @Test(arguments: [1, 2, 3, 7])
  func joinedPartsAreTheSetAppendedEntryByEntry(parts: Int) {
    for seed in UInt64(1)...4 {
      let entries = Self.entries(400, seed: seed * 31 + UInt64(parts))
      let whole = HashSet(name: "t", entries: entries)
      // Cut at random places, empty parts included.
      var rng = SplitMix64(seed: seed)
      var cuts = (0..<(parts - 1)).map { _ in Int(rng.next() % UInt64(entries.count + 1)) }.sorted()
      cuts = [0] + cuts + [entries.count]
      var joined = HashSet(name: "t")
      for k in 0..<parts {
        joined.append(contentsOf: HashSet(name: "part", entries: entries[cuts[k]..<cuts[k + 1]]))
      }
      Self.expectSame(joined, whole, "\(parts) parts, seed \(seed)")
    }
  }

  /// A set that had entries and a prebuilt index, joined onto: the index goes (it was for
  /// the hashes before), as it does for every append.
  @Test func joiningDropsAPrebuiltIndex() {
    var set = HashSet(name: "t", entries: Self.entries(50, seed: 9))
    set.buildPDQIndex()
    #expect(set.hasPDQIndex)
    set.append(contentsOf: HashSet(name: "p", entries: Self.entries(5, seed: 10)))
    #expect(!set.hasPDQIndex)
    set.buildPDQIndex()
    set.append(contentsOf: HashSet(name: "empty"))
    #expect(set.hasPDQIndex, "nothing joined, nothing dropped")
  }

  /// Emptied keeping its room, a set filled again is a new set of the same entries, with
  /// the room it had (the parts of a list read on every core are reused block after block).
  @Test func anEmptiedSetFilledAgainIsANewSet() {
    var set = HashSet(name: "t", entries: Self.entries(300, seed: 5))
    let room = (set.pdqHashes.capacity, set.idBytes.capacity, set.digests[.md5]?.capacity ?? 0)
    set.removeAll(keepingCapacity: true)
    #expect(set.count == 0 && set.entries.isEmpty && set.labels == [""] && set.idOffsets == [0])
    #expect(set.pdqHashes.capacity == room.0 && set.idBytes.capacity == room.1 && (set.digests[.md5]?.capacity ?? 0) == room.2)
    let again = Self.entries(120, seed: 6)
    for entry in again { set.append(entry) }
    Self.expectSame(set, HashSet(name: "t", entries: again), "refilled")
    set.removeAll(keepingCapacity: false)
    #expect(set.count == 0 && set.pdqHashes.capacity == 0 && set.name == "t")
  }

  /// A digest column joined from sorted parts stays sorted only when the parts are in
  /// order across the join; a part out of order, or unsorted itself, makes it unsorted.
  @Test func joinedDigestColumnsKnowWhetherTheyAreSorted() {
    func column(_ firstBytes: [UInt8], entries: [Int32]) -> DigestColumn {
      var c = DigestColumn(kind: .md5)
      for (b, e) in zip(firstBytes, entries) { c.append(ExactDigest(kind: .md5, bytes: [b] + Array(repeating: 0, count: 15)), entry: e) }
      return c
    }
    var a = column([1, 2, 3], entries: [0, 1, 2])
    a.append(contentsOf: column([3, 5], entries: [0, 1]), entriesShiftedBy: 3)
    #expect(a.isSorted && a.entries == [0, 1, 2, 3, 4])
    a.append(contentsOf: column([4], entries: [0]), entriesShiftedBy: 5)
    #expect(!a.isSorted, "4 after 5")
    var b = column([1], entries: [0])
    b.append(contentsOf: column([9, 2], entries: [0, 1]), entriesShiftedBy: 1)
    #expect(!b.isSorted, "a part unsorted itself")
    var c = DigestColumn(kind: .md5)
    c.append(contentsOf: column([2, 8], entries: [0, 1]), entriesShiftedBy: 10)
    #expect(c.isSorted && c.entries == [10, 11])
    var d = column([6], entries: [4])
    d.append(contentsOf: column([6], entries: [0]), entriesShiftedBy: 2)
    #expect(!d.isSorted, "equal digests: entry 2 after entry 4")
  }
}
