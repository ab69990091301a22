import Foundation
import SieveCore
import SieveHashSets
import SieveTestSupport
import Testing

@Suite struct TextHashSetReaderTests {
  static let pdqA = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"
  static let pdqB = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
  static let md5 = "0123456789abcdef0123456789abcdef"
  static let sha1 = "0123456789abcdef0123456789abcdef01234567"

  /// Writes `text` (with a BOM and CRLF line ends) and reads it.
  func read(_ text: String, reader: TextHashSetReader = TextHashSetReader(), bom: Bool = true) throws -> (HashSet, TextHashSetReader.Report) {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let body = Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
    let path = try dir.write("set.txt", (bom ? [0xEF, 0xBB, 0xBF] : []) + body)
    var set = HashSet(name: "test")
    let report = try reader.read(path, into: &set)
    return (set, report)
  }

  @Test func plainNeedsATypeFor64HexDigits() throws {
    #expect(throws: HashSetError.self) { try read("\(Self.pdqA)\n") }
    do {
      _ = try read("# comment\n\(Self.pdqA)\n")
    } catch let error as HashSetError {
      #expect("\(error)".contains("could be pdq or sha256"), "\(error)")
    }
    let (set, report) = try read("# comment\n\n\(Self.pdqA)\n\(Self.pdqB)\n", reader: TextHashSetReader(type: .pdq, label: "example"))
    #expect(report.format == .plain && report.entries == 2)
    #expect(set.pdqHashes.map(\.hexString) == [Self.pdqA, Self.pdqB])
    #expect(set.id(of: 0) == "3" && set.label(of: 1) == "example")
    let (sha, _) = try read("\(Self.pdqA)\n", reader: TextHashSetReader(type: .sha256))
    #expect(sha.digests[.sha256]?[0].hexString == Self.pdqA)
  }

  @Test func md5sumStyleFromItsLength() throws {
    let (set, report) = try read("\(Self.md5)  photos/a b.jpg\n\(Self.sha1) *bin.jpg\n")
    #expect(report.format == .md5sum && report.entries == 2)
    #expect(set.id(of: 0) == "photos/a b.jpg" && set.id(of: 1) == "bin.jpg")
    #expect(set.digests[.md5]?[0].hexString == Self.md5)
    #expect(set.digests[.sha1]?[0].hexString == Self.sha1)
  }

  @Test func pdqReferenceCLIFormat() throws {
    let (set, report) = try read("\(Self.pdqA),100,bridge-1.jpg\n\(Self.pdqB),87,dir/with,comma.jpg\n")
    #expect(report.format == .pdqCLI)
    #expect(set.pdqQualities == [100, 87])
    #expect(set.id(of: 1) == "dir/with,comma.jpg")
  }

  @Test func threatExchangeCSVCountsOtherSignals() throws {
    let text = """
      signal_type,signal_str,collab,category,tags
      pdq,\(Self.pdqA),example-collab,example-category,tag1 tag2
      photo_md5,\(Self.md5),example-collab,,tagged
      url,https://example.com/x,example-collab,,
      video_md5,\(Self.md5),example-collab,,
      """
    let (set, report) = try read(text + "\n")
    #expect(report.format == .threatExchange && report.entries == 2)
    #expect(report.otherSignals == ["url": 1, "video_md5": 1])
    #expect(set.label(of: 0) == "example-category" && set.label(of: 1) == "tagged")
    #expect(set.id(of: 0) == "example-collab:2")
  }

  @Test func sieveHashCSVReadsBack() throws {
    let path = TestData.repoRoot.appendingPathComponent("hashsets/sample-fixtures.sieve.csv").path
    var set = HashSet(name: "sample")
    let report = try TextHashSetReader().read(path, into: &set)
    #expect(report.format == .sieveCSV)
    #expect(set.count == 8 && set.pdqHashes.count == 8 && set.phashes.count == 8)
    #expect(set.id(of: 0) == "fixtures/bridge-mods/shrink-a-little.jpg")
  }

  @Test func aBadLineNamesItsLineNumberOrIsReportedWhenSkipped() throws {
    let text = "\(Self.pdqA),100,a.jpg\nnot-hex,100,b.jpg\n\(Self.pdqB),100,c.jpg\n\(Self.pdqB),500,d.jpg\n"
    do {
      _ = try read(text)
      Issue.record("a bad line was accepted")
    } catch let error as HashSetError {
      guard case .badLine(_, let line, let reason) = error else { Issue.record("\(error)"); return }
      #expect(line == 2)
      #expect(reason.contains("pdq value"))
    }
    let (set, report) = try read(text, reader: TextHashSetReader(skipBadLines: true))
    #expect(set.count == 2)
    #expect(report.badLines.count == 2)
    #expect(report.badLines[0].hasSuffix(":2: pdq value: expected 64 hex digits, found 7"))
    #expect(report.badLines[1].contains(":4: quality \"500\""))
  }

  @Test func overlongLinesAreBadLinesAndReadErrorsAreErrors() throws {
    let long = String(repeating: "a", count: 200_000)
    let text = "\(Self.pdqA),100,a.jpg\n\(long),100,b.jpg\n\(Self.pdqB),100,c.jpg\n"
    #expect(throws: HashSetError.self) { try read(text) }
    let (set, report) = try read(text, reader: TextHashSetReader(skipBadLines: true))
    #expect(set.count == 2)
    #expect(report.badLines.count == 1 && report.badLines[0].contains(":2: line longer than 65536 bytes"), "\(report.badLines)")
    // A folder is not a list (it used to read as an empty one).
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var empty = HashSet(name: "x")
    #expect(throws: HashSetError.self) { try TextHashSetReader().read(dir.path, into: &empty) }
  }

  /// `words` random 64-bit words in hex, 16 digits each.
  static func hex(_ words: Int, _ rng: inout SplitMix64) -> String {
    (0..<words).map { _ in
      let digits = String(rng.next(), radix: 16)
      return String(repeating: "0", count: 16 - digits.count) + digits
    }.joined()
  }

  @Test func unknownFormatIsAnError() {
    #expect(throws: HashSetError.self) { try read("hello world, this is prose\n") }
  }

  /// A list longer than one read block: once the first block's entries are in, the
  /// columns are reserved for the rest of the file at that density (a quarter more), so
  /// they are filled once instead of doubling (20,000 entries would have doubled from
  /// 16,384 to 32,768). Nothing read changes.
  @Test func longListsReserveTheirColumnsOnce() throws {
    var rng = SplitMix64(seed: 14)
    func hex(_ words: Int) -> String { Self.hex(words, &rng) }
    let rows = (0..<20_000).map { n in (id: "case/\(n).jpg", pdq: hex(4), md5: hex(2)) }
    let text = "id,label,pdq,md5\n" + rows.map { "\($0.id),series,\($0.pdq),\($0.md5)\n" }.joined()
    #expect(text.utf8.count > 2 << 20, "longer than two read blocks")
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("set.csv", Array(text.utf8))
    var set = HashSet(name: "long")
    let report = try TextHashSetReader().read(path, into: &set)
    #expect(report.entries == 20_000 && report.badLines.isEmpty)
    for (name, capacity) in [
      ("pdq", set.pdqHashes.capacity), ("md5", set.digests[.md5]?.capacity ?? 0), ("labels", set.labelIndex.capacity),
      ("id offsets", set.idOffsets.capacity),
    ] {
      #expect((20_000...25_500).contains(capacity), "\(name): capacity \(capacity)")
    }
    #expect((set.idBytes.count...(set.idBytes.count * 13 / 10)).contains(set.idBytes.capacity), "ids: \(set.idBytes.capacity)")
    let entries = set.entries
    #expect(entries.map(\.id) == rows.map(\.id))
    #expect(entries.map { $0.pdq?.hexString } == rows.map(\.pdq))
    #expect(entries.map { $0.md5?.hexString } == rows.map(\.md5))
    // A file's size is a claim (a sparse file can say anything): what is reserved ahead
    // is at most 64 times the entries read, and 2^26.
    #expect(TextHashSetReader.entriesToReserve(fileBytes: 1 << 40, bytesRead: 1 << 20, entriesRead: 16_000) == 1_024_000)
    #expect(TextHashSetReader.entriesToReserve(fileBytes: 1 << 40, bytesRead: 1 << 30, entriesRead: 1 << 24) == 1 << 26)
    #expect(TextHashSetReader.entriesToReserve(fileBytes: 1 << 20, bytesRead: 1 << 20, entriesRead: 16_000) == 0)
    #expect(TextHashSetReader.entriesToReserve(fileBytes: 3 << 20, bytesRead: 1 << 20, entriesRead: 1_000) == 2_500)
  }

  /// A list that claims a terabyte (20,000 lines, more than a read block, then a hole: a
  /// sparse file): the import reserves no more than its cap ahead, reads on, and stops at
  /// the first line the hole makes, with a clear error. (Uncapped, the hashes' column
  /// alone asked for 68 GB, and the process died: "failed to allocate 68719992960 bytes".)
  @Test func aSparseListOfATerabyteIsAnErrorNotACrash() throws {
    var rng = SplitMix64(seed: 40)
    let text = (0..<20_000).map { _ in Self.hex(4, &rng) + "\n" }.joined()
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("huge.txt", Array(text.utf8))
    try #require(truncate(path, 1 << 40) == 0, "a sparse file of a terabyte: errno \(errno)")
    var set = HashSet(name: "huge")
    let error = #expect(throws: HashSetError.self) { try TextHashSetReader(type: .pdq).read(path, into: &set) }
    #expect("\(error.map { "\($0)" } ?? "")".contains("line longer than"), "\(String(describing: error))")
    #expect(set.count == 20_000)
    // Reserved in steps the entries read bear out: at most 64 times them ahead.
    #expect(set.pdqHashes.capacity <= 65 * 20_000, "\(set.pdqHashes.capacity)")
  }

  /// Lists read one after another into one set: each reserves only the columns its own
  /// entries use (an MD5 list leaves the PDQ column's room as the PDQ list left it).
  @Test func listsReadIntoOneSetReserveOnlyTheirColumns() throws {
    var rng = SplitMix64(seed: 41)
    func hex(_ words: Int) -> String { Self.hex(words, &rng) }
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let pdqs = try dir.write("pdq.txt", Array((0..<20_000).map { _ in hex(4) + "\n" }.joined().utf8))
    let md5s = try dir.write("md5.txt", Array((0..<40_000).map { n in hex(2) + "  file\(n).jpg\n" }.joined().utf8))
    var set = HashSet(name: "two")
    _ = try TextHashSetReader(type: .pdq).read(pdqs, into: &set)
    let pdqRoom = set.pdqHashes.capacity
    _ = try TextHashSetReader().read(md5s, into: &set)
    #expect(set.count == 60_000 && set.pdqHashes.count == 20_000 && set.digests[.md5]?.count == 40_000)
    #expect(set.pdqHashes.capacity == pdqRoom)
    #expect((40_000...52_000).contains(set.digests[.md5]?.capacity ?? 0), "\(set.digests[.md5]?.capacity ?? 0)")
  }
}

/// Large lists are read a block ahead on a thread of their own (``SequentialFileReader``),
/// from the disk directly when they are not in the page cache: what is read, and the
/// checksum of the bytes read, are what reading as the lines are wanted gives, on one core
/// or on several, from the file's start or after a first few bytes already read (the
/// loader's sniffing of the format).
@Suite struct ReadAheadTests {
  @Test func aListReadAheadIsTheListReadAsWanted() throws {
    var rng = SplitMix64(seed: 90)
    // 9 MiB and more: three of the reader's 4 MiB blocks, lines cut by every block's end.
    var text = "id,label,pdq,md5\r\n"
    var n = 0
    while text.utf8.count < 9 << 20 + 12_345 {
      let md5 = n % 1000 == 7 ? "00000000000000000000000000000000" : TextHashSetReaderTests.hex(2, &rng)
      text += "case/\(n).jpg,series-\((n * 7919) % 1013),\(TextHashSetReaderTests.hex(4, &rng)),\(md5)\(n % 3 == 0 ? "\r\n" : "\n")"
      n += 1
    }
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("big.csv", Array(text.utf8))
    /// Drops the list from the page cache, so that it is read from the disk (directly).
    func uncache() throws {
      let fd = open(path, O_RDONLY)
      try #require(fd >= 0)
      defer { close(fd) }
      _ = fsync(fd)
      _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
    }
    var results: [(HashSet, TextHashSetReader.Report)] = []
    for (ahead, block, cold) in [(Int.max, 0, false), (0, 0, false), (0, 1 << 20, true), (Int.max, 1 << 20, false), (0, 100_000, true)] {
      var reader = TextHashSetReader()
      reader.readAheadBytes = ahead
      reader.parallelBlockBytes = block
      reader.parallelParts = 2
      if cold { try uncache() }
      var set = HashSet(name: "big")
      let report = try reader.read(path, into: &set)
      results.append((set, report))
    }
    #expect(results[0].1.entries == n && n > 70_000, "\(n) lines")
    #expect(results[0].1.checksum != 0 && results[0].1.linesOnEveryCore == 0)
    for (k, (set, report)) in results.enumerated().dropFirst() {
      #expect(report == results[0].1, "the same entries and checksum")
      HashSetAppendTests.expectSame(set, results[0].0, "way \(k)")
    }
    #expect(results[2].1.linesOnEveryCore == n && results[4].1.linesOnEveryCore == n)
    // Read without a checksum where none is wanted: the same set.
    var reader = TextHashSetReader()
    reader.computesChecksum = false
    var set = HashSet(name: "big")
    #expect(try reader.read(path, into: &set).checksum == 0)
    #expect(set.count == n)
    // Through the loader, which reads the first bytes to tell the format, then the rest.
    try uncache()
    var ahead = TextHashSetReader()
    ahead.readAheadBytes = 0
    var loaded = try HashSetLoader.load(path, text: ahead).set
    loaded.name = "big"
    HashSetAppendTests.expectSame(loaded, results[0].0, "loaded")
  }
}
