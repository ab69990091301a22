import Foundation
import SieveCore
@testable import SieveHashSets
import SieveTestSupport
import Testing

@Suite struct BinaryHashSetTests {
  static func sample(count: Int, seed: UInt64) -> HashSet {
    var rng = SplitMix64(seed: seed)
    var set = HashSet(name: "example set")
    for i in 0..<count {
      var entry = HashSetEntry(id: "entry-\(i)-ü", label: ["", "series A", "series B"][i % 3])
      if i % 4 != 3 { entry.pdq = PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()) }
      if i % 5 == 0 { entry.pdqQuality = Int(rng.next() % 101) }
      if i % 2 == 0 { entry.phash = PHash(rng.next()) }
      if i % 3 == 0 { entry.md5 = ExactDigest(kind: .md5, bytes: (0..<16).map { _ in UInt8(truncatingIfNeeded: rng.next()) }) }
      if i % 7 == 0 { entry.sha1 = ExactDigest(kind: .sha1, bytes: (0..<20).map { _ in UInt8(truncatingIfNeeded: rng.next()) }) }
      if i % 6 == 0 { entry.sha256 = ExactDigest(kind: .sha256, bytes: (0..<32).map { _ in UInt8(truncatingIfNeeded: rng.next()) }) }
      if entry.pdq == nil && entry.phash == nil && entry.md5 == nil { entry.sha1 = ExactDigest(kind: .sha1, bytes: Array(repeating: 1, count: 20)) }
      set.append(entry)
    }
    return set
  }

  @Test func roundTripKeepsEveryEntry() throws {
    let set = Self.sample(count: 500, seed: 42)
    let bytes = BinaryHashSet.encode(set)
    let (back, header) = try BinaryHashSet.decode(bytes, file: "memory")
    #expect(header.entryCount == 500 && header.version == 1)
    #expect(back.name == "example set")
    #expect(back.entries == set.entries)
    #expect(back.labels == set.labels)
    // Deterministic: the same set gives the same bytes and checksum.
    #expect(BinaryHashSet.encode(back) == bytes)
  }

  /// The writer streams the file in staged blocks and straight from large columns: what
  /// it writes to a file is what `encode` gives, in order, with a checksum the reader
  /// accepts, whatever the sizes of the sections around the block boundaries.
  @Test(arguments: [0, 1, 7, 3_000, 17_000, 40_000])
  func writtenFilesEqualTheEncodingAtEverySize(count: Int) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var set = Self.sample(count: count, seed: UInt64(count) + 5)
    for indexed in [false, true] {
      if indexed {
        guard !set.pdqHashes.isEmpty else { continue }
        set.buildPDQIndex()
      }
      let bytes = BinaryHashSet.encode(set)
      let path = dir.path + "/set-\(count)-\(indexed).sieveset"
      try BinaryHashSet.write(set, to: path)
      let file = try Data(contentsOf: URL(fileURLWithPath: path))
      #expect(Array(file) == bytes, "\(count) entries, tables: \(indexed)")
      let (back, header) = try BinaryHashSet.decode(bytes, file: "memory")
      #expect(header.version == (indexed ? 5 : 1) && back.entries == set.entries)
      // The header's checksum is that of the bytes at once (not of how they were written).
      let sum = bytes.withUnsafeBytes {
        BinaryHashSet.checksum(head: UnsafeRawBufferPointer(rebasing: $0[0..<32]), payload: UnsafeRawBufferPointer(rebasing: $0[64...]))
      }
      #expect(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 32, as: UInt64.self) } == sum)
    }
  }

  /// The checksum of bytes given in pieces equals that of them at once, however split.
  @Test func checksumOfPiecesEqualsTheWhole() {
    var rng = SplitMix64(seed: 31)
    for length in [0, 1, 7, 8, 31, 32, 33, 100, 1_000, 65_537] {
      let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      let whole = bytes.withUnsafeBytes { Checksum64.of($0) }
      for _ in 0..<20 {
        var stream = Checksum64.Stream()
        var at = 0
        while at < length {
          let n = min(length - at, Int(rng.next() % 70))
          bytes.withUnsafeBytes { stream.update(UnsafeRawBufferPointer(rebasing: $0[at..<at + n])) }
          at += n
        }
        #expect(stream.finalize() == whole, "\(length) bytes")
      }
    }
  }

  /// A text set's version is the checksum of its bytes, which negative lists and reports
  /// name: it must never change for the same bytes (pinned to the value every earlier
  /// Sieve gave), however the bytes arrive.
  @Test func textSetVersionsNeverChange() {
    let bytes = Array("d41d8cd98f00b204e9800998ecf8427e\n".utf8)
    for split in 0...bytes.count {
      var checksum = StreamingChecksum64()
      bytes.withUnsafeBytes {
        checksum.update(UnsafeRawBufferPointer(rebasing: $0[0..<split]))
        checksum.update(UnsafeRawBufferPointer(rebasing: $0[split...]))
      }
      #expect(String(checksum.finalize(), radix: 16) == "c83bbde91fca21aa")
    }
  }

  @Test func anyDamagedByteIsDetected() throws {
    let bytes = BinaryHashSet.encode(Self.sample(count: 50, seed: 1))
    var rng = SplitMix64(seed: 9)
    for _ in 0..<200 {
      var damaged = bytes
      let at = Int(rng.next() % UInt64(bytes.count))
      damaged[at] ^= UInt8(1 << (rng.next() % 8))
      #expect((try? BinaryHashSet.decode(damaged, file: "x")) == nil, "damage at byte \(at) went unnoticed")
    }
    for cut in [0, 10, 63, 64, bytes.count / 2, bytes.count - 1] {
      #expect((try? BinaryHashSet.decode(Array(bytes.prefix(cut)), file: "x")) == nil, "cut at \(cut) went unnoticed")
    }
  }

  @Test func writeAndLoadThroughTheLoader() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let set = Self.sample(count: 100, seed: 3)
    let path = dir.path + "/example.sieveset"
    try BinaryHashSet.write(set, to: path)
    let loaded = try HashSetLoader.load(path)
    #expect(loaded.header != nil && loaded.report == nil)
    #expect(loaded.set.entries == set.entries)
    #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
  }

  @Test func csvExportReadsBackLosslessly() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let set = Self.sample(count: 120, seed: 5)
    var lines: [String] = []
    HashSetWriter.write(set, format: .csv) { lines.append($0) }
    let path = try dir.write("export.csv", Array((lines.joined(separator: "\n") + "\n").utf8))
    let loaded = try HashSetLoader.load(path)
    #expect(loaded.report?.format == .setCSV)
    #expect(loaded.set.entries == set.entries)
  }

  @Test func otherExportsReadBack() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let set = Self.sample(count: 60, seed: 8)
    for format in [HashSetWriter.Format.pdqCLI, .threatExchange, .plain] {
      var lines: [String] = []
      HashSetWriter.write(set, format: format, kind: .pdq) { lines.append($0) }
      let path = try dir.write("export-\(format.rawValue).txt", Array((lines.joined(separator: "\n") + "\n").utf8))
      let loaded = try HashSetLoader.load(path, text: TextHashSetReader(type: format == .plain ? .pdq : nil))
      #expect(loaded.set.pdqHashes == set.pdqHashes, "\(format)")
    }
  }
}

/// Hostile files that pass the checksum (it detects accidents, not forgery) must still
/// be refused with an error, never a trap.
@Suite struct HostileBinaryHashSetTests {
  static func resealed(_ bytes: [UInt8]) -> [UInt8] {
    var out = bytes
    let sum = out.withUnsafeBytes { raw in
      BinaryHashSet.checksum(head: UnsafeRawBufferPointer(rebasing: raw[0..<32]), payload: UnsafeRawBufferPointer(rebasing: raw[64...]))
    }
    withUnsafeBytes(of: sum.littleEndian) { out.replaceSubrange(32..<40, with: $0) }
    return out
  }

  static func put(_ value: UInt64, at offset: Int, in bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<offset + 8, with: $0) }
  }

  @Test func hugeCountsAndOffsetsAreErrors() throws {
    let good = BinaryHashSet.encode(BinaryHashSetTests.sample(count: 20, seed: 4))
    // Header entry count 2^63.
    var a = good
    Self.put(1 << 63, at: 16, in: &a)
    #expect((try? BinaryHashSet.decode(Self.resealed(a), file: "x")) == nil)
    // Every 8-byte word of the payload set to UInt64.max, then 2^62, in turn: counts,
    // offsets and lengths among them. Data words (hashes, names) may still decode;
    // nothing may trap, and a decoded set must be self-consistent.
    var refused = 0
    for value: UInt64 in [.max, 1 << 62] {
      for offset in stride(from: 64, to: good.count - 8, by: 8) {
        var b = good
        Self.put(value, at: offset, in: &b)
        if let (set, _) = try? BinaryHashSet.decode(Self.resealed(b), file: "x") {
          #expect(set.count == 20 && set.entries.count == 20)
        } else {
          refused += 1
        }
      }
    }
    #expect(refused > 10)
  }
}
