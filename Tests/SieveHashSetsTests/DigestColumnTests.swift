import Foundation
import SieveCore
@testable import SieveHashSets
import SieveTestSupport
import Testing

/// Exact-digest columns: sorted in place, looked up by binary search, exactly as a scan
/// of every row finds them.
@Suite struct DigestColumnTests {
  enum Shape: String, CaseIterable, Sendable {
    /// Uniform digests, a few repeated (one file in several cases).
    case random
    /// Every digest starting with the same byte: one bucket holds them all.
    case oneFirstByte
    /// Digests differing only in their last byte: every key prefix ties.
    case sharedPrefix
    /// One digest in every row: only the entries order them.
    case allEqual
  }

  /// `count` rows of `kind` in the given shape, in a shuffled order, with their entries.
  static func rows(_ kind: HashKind, _ shape: Shape, count: Int, seed: UInt64) -> [(ExactDigest, Int32)] {
    var rng = SplitMix64(seed: seed)
    let width = kind.hexDigits / 2
    var out: [(ExactDigest, Int32)] = []
    for i in 0..<count {
      var bytes = (0..<width).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      switch shape {
      case .random:
        if i % 10 == 9, let earlier = out.randomElement(using: &rng) { bytes = earlier.0.bytes }
      case .oneFirstByte: bytes[0] = 0xAB
      case .sharedPrefix:
        for k in 0..<(width - 1) { bytes[k] = 0x5A }
      case .allEqual: bytes = Array(repeating: 0x11, count: width)
      }
      out.append((ExactDigest(kind: kind, bytes: bytes), Int32(i)))
    }
    out.shuffle(using: &rng)
    return out
  }

  static func column(_ kind: HashKind, _ rows: [(ExactDigest, Int32)]) -> DigestColumn {
    var column = DigestColumn(kind: kind)
    for (digest, entry) in rows { column.append(digest, entry: entry) }
    return column
  }

  @Test(arguments: [HashKind.md5, .sha1, .sha256], Shape.allCases)
  func sortingGivesTheReferenceOrder(kind: HashKind, shape: Shape) {
    for count in [0, 1, 2, 3, 257, 6_000] {
      let rows = Self.rows(kind, shape, count: count, seed: UInt64(count) &+ 99)
      var column = Self.column(kind, rows)
      if count > 100 { #expect(!column.isSorted) }
      column.sort()
      #expect(column.isSorted)
      let sorted = (0..<column.count).map { (column[$0], column.entries[$0]) }
      let reference = rows.map { ($0.0.bytes, $0) }.sorted {
        $0.0.lexicographicallyPrecedes($1.0) || ($0.0 == $1.0 && $0.1.1 < $1.1.1)
      }.map(\.1)
      #expect(sorted.map(\.0) == reference.map(\.0) && sorted.map(\.1) == reference.map(\.1), "\(kind) \(shape) \(count)")
      // Read back from its bytes, the column is known to be sorted.
      #expect(DigestColumn(kind: kind, bytes: column.bytes, entries: column.entries).isSorted)
    }
  }

  /// Every lookup, of digests held (once or many times) and not held, finds exactly the
  /// rows a scan of the whole column finds.
  @Test(arguments: Shape.allCases)
  func lookupsFindWhatAScanFinds(shape: Shape) {
    let rows = Self.rows(.md5, shape, count: 5_000, seed: 5)
    var column = Self.column(.md5, rows)
    column.sort()
    var rng = SplitMix64(seed: 6)
    let absent = (0..<200).map { _ in ExactDigest(kind: .md5, bytes: (0..<16).map { _ in UInt8(truncatingIfNeeded: rng.next()) }) }
    var queries = rows.prefix(500).map(\.0) + absent
    queries.append(ExactDigest(kind: .md5, bytes: Array(repeating: 0, count: 16)))
    queries.append(ExactDigest(kind: .md5, bytes: Array(repeating: 0xFF, count: 16)))
    for query in queries {
      let found = column.rows(of: query).map { column.entries[$0] }
      let scanned = rows.filter { $0.0 == query }.map(\.1).sorted()
      #expect(found == scanned)
    }
    // A digest of another kind is in no row of this column.
    #expect(column.rows(of: ExactDigest(kind: .sha1, bytes: Array(repeating: 0x11, count: 20))).isEmpty)
  }

  @Test func rowsAddedInOrderKeepTheColumnSorted() {
    var column = DigestColumn(kind: .md5)
    for i in 0..<100 { column.append(ExactDigest(kind: .md5, bytes: [UInt8](repeating: 0, count: 15) + [UInt8(i)]), entry: Int32(i)) }
    #expect(column.isSorted)
    column.append(ExactDigest(kind: .md5, bytes: [UInt8](repeating: 0, count: 16)), entry: 100)
    #expect(!column.isSorted)
    let unsorted = column
    #expect(!DigestColumn(kind: .md5, bytes: unsorted.bytes, entries: unsorted.entries).isSorted)
    // Export keeps the order the list gave, sorted or not.
    column.sort()
    #expect(column.rowsInEntryOrder.map { column.entries[$0] } == Array(0...100))
  }

  /// A set file carries its digests sorted; read back, the set has the same entries and
  /// needs nothing sorted; text export keeps the entries' order.
  @Test func setFilesCarrySortedDigests() throws {
    var set = HashSet(name: "digests")
    for (digest, entry) in Self.rows(.md5, .random, count: 3_000, seed: 8).sorted(by: { $0.1 < $1.1 }) {
      var item = HashSetEntry(id: "file-\(entry)", label: "example")
      item.md5 = digest
      if entry % 3 == 0 { item.sha1 = ExactDigest(kind: .sha1, bytes: (0..<20).map { UInt8(truncatingIfNeeded: Int(entry) &* 31 &+ $0) }) }
      set.append(item)
    }
    #expect(!set.digestsAreSorted)
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try BinaryHashSet.write(set, to: dir.path + "/d.sieveset")
    #expect(!set.digestsAreSorted, "the caller's set is left as it was")
    let loaded = try HashSetLoader.load(dir.path + "/d.sieveset").set
    #expect(loaded.digestsAreSorted)
    #expect(loaded.entries == set.entries)
    var a: [String] = [], b: [String] = []
    HashSetWriter.write(set, format: .plain, kind: .md5) { a.append($0) }
    HashSetWriter.write(loaded, format: .plain, kind: .md5) { b.append($0) }
    #expect(a == b && a.count == 3_000)
    // Sorted first, the set is written to the same bytes.
    var sorted = set
    sorted.sortDigests()
    #expect(BinaryHashSet.encode(sorted) == BinaryHashSet.encode(set))
  }
}
