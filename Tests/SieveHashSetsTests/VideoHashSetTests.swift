import Foundation
import SieveCore
@testable import SieveHashSets
import SieveTestSupport
import Testing

@Suite struct VideoHashSetTests {
  static func features(_ n: Int, seed: UInt64) -> [VPDQFeature] {
    var rng = SplitMix64(seed: seed)
    return (0..<n).map {
      VPDQFeature(
        frameNumber: $0 * 30, hash: PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()),
        quality: Int(rng.next() % 101), timestamp: VPDQFeature.timestamp(frameNumber: $0 * 30, frameRate: 29.97))
    }
  }

  static func set() -> HashSet {
    var set = HashSet(name: "videos")
    var picture = HashSetEntry(id: "photo.jpg", label: "example", pdq: PDQHash(w0: 1, w1: 2, w2: 3, w3: 4), pdqQuality: 90)
    picture.md5 = try! ExactDigest(kind: .md5, hex: "8bbbaa9540800e378beadc8bbef7bb32")
    set.append(picture)
    for (i, n) in [3, 1, 40].enumerated() {
      var video = HashSetEntry(id: "clip\(i).mp4", label: i == 1 ? "other" : "example")
      video.vpdq = features(n, seed: UInt64(i))
      set.append(video)
    }
    return set
  }

  /// Videos round-trip through .sieveset, written as version 3 (only when videos are in).
  @Test func binaryRoundTrip() throws {
    let set = Self.set()
    #expect(set.videoCount == 3 && set.videoFrameCount == 44)
    let bytes = BinaryHashSet.encode(set)
    let (back, header) = try BinaryHashSet.decode(bytes, file: "v.sieveset")
    #expect(header.version == 3)
    #expect(back.entries == set.entries)
    #expect(back.videos.map(\.entry) == [1, 2, 3] && back.videos.map(\.features) == set.videos.map(\.features))
    var plain = HashSet(name: "p")
    plain.append(HashSetEntry(id: "a", pdq: PDQHash(w0: 9, w1: 9, w2: 9, w3: 9)))
    #expect(try BinaryHashSet.decode(BinaryHashSet.encode(plain), file: "p").1.version == 1)
  }

  /// An augmented video set (its frames' crops) round-trips as version 4; a file claiming
  /// version 3 yet holding them is refused by name, and a variant naming a frame the set
  /// does not hold is refused.
  @Test func augmentedVideosRoundTripAsVersion4() throws {
    var set = Self.set()
    var video = HashSetEntry(id: "augmented.mp4", label: "example")
    video.vpdq = Self.features(4, seed: 9)
    video.vpdqVariants = video.vpdq.flatMap { frame in
      [PDQVariant.crop90, .crop80].map {
        VPDQVariant(frameNumber: frame.frameNumber, variant: $0, hash: PDQHash(w0: frame.hash.w0 ^ UInt64($0.rawValue), w1: 1, w2: 2, w3: 3), quality: 100)
      }
    }
    set.append(video)
    #expect(set.videoVariantCount == 8)
    let bytes = BinaryHashSet.encode(set)
    let (back, header) = try BinaryHashSet.decode(bytes, file: "a.sieveset")
    #expect(header.version == 4 && back.entries == set.entries)
    #expect(back.videoVariants[4]?.map(\.frameNumber) == video.vpdqVariants.map(\.frameNumber))
    func patched(_ edit: (inout [UInt8]) -> Void) -> [UInt8] {
      var copy = bytes
      edit(&copy)
      let sum = copy.withUnsafeBytes { raw in
        BinaryHashSet.checksum(head: UnsafeRawBufferPointer(rebasing: raw[0..<32]), payload: UnsafeRawBufferPointer(rebasing: raw[64...]))
      }
      withUnsafeBytes(of: sum.littleEndian) { copy.replaceSubrange(32..<40, with: $0) }
      return copy
    }
    do {
      _ = try BinaryHashSet.decode(patched { $0[8] = 3 }, file: "old.sieveset")
      Issue.record("a version 3 file with VPDV was read")
    } catch {
      #expect("\(error)".contains("variants of video frames (VPDV)"), "\(error)")
    }
  }

  /// A file claiming an older version yet holding video frames is refused by name.
  @Test func olderVersionWithVideosIsRefused() throws {
    var bytes = BinaryHashSet.encode(Self.set())
    bytes[8] = 2  // the version, patched; the checksum covers it, so recompute it
    let sum = bytes.withUnsafeBytes { raw in
      BinaryHashSet.checksum(head: UnsafeRawBufferPointer(rebasing: raw[0..<32]), payload: UnsafeRawBufferPointer(rebasing: raw[64...]))
    }
    withUnsafeBytes(of: sum.littleEndian) { bytes.replaceSubrange(32..<40, with: $0) }
    #expect(throws: HashSetError.self) { try BinaryHashSet.decode(bytes, file: "old.sieveset") }
    do { _ = try BinaryHashSet.decode(bytes, file: "old.sieveset") } catch {
      #expect("\(error)".contains("video frames (VPDQ)"), "\(error)")
    }
  }

  /// vPDQ text: one video a file (named by the file), or blocks after `# ID` lines;
  /// exported and read back the same (times at vPDQ's 3 decimals).
  @Test func vpdqTextImportAndExport() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sieve-vpdq-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let fixture = TestData.repoRoot.appendingPathComponent("Tests/Fixtures/video/testsrc2-2997.ts.vpdq")
    var set = HashSet(name: "t")
    let one = try TextHashSetReader().read(fixture.path, into: &set)
    #expect(one.format == .vpdq && one.entries == 1)
    #expect(set.id(of: 0) == "testsrc2-2997.ts.vpdq" && set.videos.first?.features.map(\.frameNumber) == [0, 29, 58, 87, 116])
    var lines: [String] = []
    HashSetWriter.write(Self.set(), format: .vpdq) { lines.append($0) }
    #expect(lines.filter { $0.hasPrefix("# ") } == ["# clip0.mp4", "# clip1.mp4", "# clip2.mp4"])
    let file = dir.appendingPathComponent("all.vpdq")
    try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
    var back = HashSet(name: "b")
    let report = try TextHashSetReader(label: "imported").read(file.path, into: &back)
    #expect(report.format == .vpdq && report.entries == 3)
    #expect(back.videos.map { back.id(of: $0.entry) } == ["clip0.mp4", "clip1.mp4", "clip2.mp4"])
    let expected = Self.set().videos.map { $0.features.map { VPDQText.line($0) } }
    #expect(back.videos.map { $0.features.map { VPDQText.line($0) } } == expected)
    // A bad line names its place.
    try "# v\n0,100,\(String(repeating: "a", count: 64)),0.000\n1,100,zz,0.1\n".write(to: file, atomically: true, encoding: .utf8)
    var bad = HashSet(name: "x")
    #expect(throws: HashSetError.self) { try TextHashSetReader().read(file.path, into: &bad) }
  }

  /// python-threatexchange's vPDQ signals in ThreatExchange CSV: a JSON array of
  /// "hash,quality,timestamp" strings, read as one video each.
  @Test func threatExchangeVideoSignals() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sieve-te-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let items = VPDQText.signalItems(Self.features(3, seed: 5))
    let json = "[" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
    let quoted = "\"" + json.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    let file = dir.appendingPathComponent("te.csv")
    try """
      signal_type,signal_str,collab,category,tags
      vpdq,\(quoted),example-collab,example,
      url,https://example.org/,example-collab,example,
      vpdq,"not json",example-collab,example,

      """.write(to: file, atomically: true, encoding: .utf8)
    var set = HashSet(name: "te")
    let report = try TextHashSetReader(skipBadLines: true).read(file.path, into: &set)
    #expect(report.entries == 1 && report.badLines.count == 1 && report.otherSignals["url"] == 1, "\(report)")
    let video = try #require(set.videos.first)
    #expect(video.features.map(\.hash) == Self.features(3, seed: 5).map(\.hash))
    #expect(set.label(of: video.entry) == "example" && set.id(of: video.entry) == "example-collab:2")
  }
}
