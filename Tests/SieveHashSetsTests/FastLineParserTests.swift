import Foundation
import SieveCore
import SieveTestSupport
import Testing

@testable import SieveHashSets

/// The fast path reads every line exactly as the line-by-line parser does: the same
/// entries (ids, labels, every hash), the same bad lines with the same reasons, the same
/// first error. Lists are generated with the oddities real lists have and some they
/// should not: upper-case hex, spaces and tabs, quotes, non-ASCII names, empty fields,
/// extra columns, bad digits, qualities out of range, comments, blank lines, CRLF.
@Suite struct FastLineParserTests {
  static func hex(_ rng: inout SplitMix64, _ digits: Int) -> String {
    String((0..<digits).map { _ in "0123456789abcdef".randomElement(using: &rng)! })
  }

  /// One line of `format`, usually valid, sometimes not.
  static func line(_ format: HashSetFormat, _ rng: inout SplitMix64, _ n: Int) -> String {
    let roll = Int(rng.next() % 100)
    var pdq = hex(&rng, 64)
    if roll < 5 { pdq = pdq.uppercased() }
    if roll == 5 { pdq = String(pdq.dropLast()) + "g" }
    if roll == 6 { pdq = String(pdq.dropLast()) }
    let name = roll == 7 ? "photos/é\(n).jpg" : roll == 8 ? "a b/\(n).jpg" : "case/IMG_\(n).jpg"
    let quality = roll == 9 ? "101" : roll == 10 ? "+7" : roll == 11 ? "" : roll == 12 ? " 55 " : String(rng.next() % 101)
    let label = roll == 13 ? "\"quoted, label\"" : roll == 14 ? "" : "series-\(n / 7)"
    let space = roll == 15 ? "  \t" : ""
    if roll == 16 { return "# a comment \(n)" }
    if roll == 17 { return "" }
    switch format {
    case .plain:
      return roll == 18 ? "\(pdq) extra" : space + pdq + space
    case .md5sum:
      let md5 = roll == 18 ? hex(&rng, 40) : roll == 19 ? hex(&rng, 31) : hex(&rng, 32)
      return "\(md5)\(roll == 20 ? "\t*" : "  ")\(roll == 21 ? "" : name)"
    case .pdqCLI:
      return roll == 18 ? "\(pdq)" : "\(space)\(pdq),\(quality)\(roll == 19 ? "" : ",\(name)")"
    case .threatExchange:
      let type = ["pdq", "PDQ", "photo_md5", "md5", "phash", "url", "vpdq"][Int(rng.next() % 7)]
      let value = type.lowercased() == "pdq" ? pdq : type.hasSuffix("md5") ? hex(&rng, 32) : type == "phash" ? hex(&rng, 16) : "x"
      let collab = roll == 18 ? "" : "collab"
      return "\(type),\(space)\(value),\(collab),\(label),\(roll == 19 ? "tag" : "")"
    case .sieveCSV:
      return "\(name),\(space)\(pdq),\(quality),\(roll == 18 ? "" : hex(&rng, 16)),640,480,jpeg,fullres"
    case .vpdq:
      if roll == 18 { return "# video-\(n)" }
      let time = roll == 19 ? "-1.0" : roll == 20 ? "nan" : roll == 21 ? "1e3" : "\(n / 30).\(n % 1000)"
      let frame = roll == 22 ? "+\(n)" : roll == 23 ? "x" : String(n)
      return "\(space)\(frame),\(roll == 9 ? "101" : String(rng.next() % 101)),\(pdq),\(time)\(roll == 24 ? ",extra" : "")"
    case .setCSV:
      let md5 = roll == 19 ? "" : hex(&rng, 32)
      let row = "\(name),\(label),\(roll == 18 ? "" : pdq),\(quality),\(roll == 20 ? "" : hex(&rng, 16)),\(md5),,"
      return roll == 21 ? row + ",extra" : row
    default:
      return ""
    }
  }

  static func header(_ format: HashSetFormat) -> String? {
    switch format {
    case .pdqCLI: return "hash,quality,filename"
    case .threatExchange: return "signal_type,signal_str,collab,category,tags"
    case .sieveCSV: return "path,pdq,pdq_quality,phash,width,height,format,pdq_mode"
    case .setCSV: return "id,label,pdq,pdq_quality,phash,md5,sha1,sha256"
    default: return nil
    }
  }

  /// Reads `path` with the fast path on or off, on one core or (`block` bytes, in `parts`
  /// parts) on several.
  static func read(
    _ path: String, _ reader: TextHashSetReader, fast: Bool, block: Int = 0, parts: Int = 1
  ) -> Result<(HashSet, TextHashSetReader.Report), HashSetError> {
    var reader = reader
    reader.usesFastPath = fast
    reader.parallelBlockBytes = block
    reader.parallelParts = parts
    var set = HashSet(name: "t")
    return Result { () throws(HashSetError) in
      let report = try reader.read(path, into: &set)
      return (set, report)
    }
  }

  @Test(
    "fast and slow paths agree, line for line",
    arguments: [HashSetFormat.plain, .md5sum, .pdqCLI, .threatExchange, .sieveCSV, .setCSV, .vpdq])
  func agree(format: HashSetFormat) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var rng = SplitMix64(seed: UInt64(format.rawValue.utf8.count) * 977)
    var lines = Self.header(format).map { [$0] } ?? []
    // A clean first line, so that the format is detected the same way every time.
    var first = ""
    while first.isEmpty || first.hasPrefix("#") || !(format == .plain || first.contains(",") || first.contains(" ")) {
      var clean = SplitMix64(seed: rng.next())
      first = Self.line(format, &clean, 0)
      if format == .plain { first = Self.hex(&clean, 64) }
      if format == .md5sum { first = Self.hex(&clean, 32) + "  first.jpg" }
      if format == .vpdq { first = "0,100,\(Self.hex(&clean, 64)),0.000" }
    }
    lines.append(first)
    for n in 1..<3000 { lines.append(Self.line(format, &rng, n)) }
    let text = lines.joined(separator: rng.next() % 2 == 0 ? "\n" : "\r\n") + "\n"
    let path = try dir.write("list.txt", Array(text.utf8))
    let type: HashKind? = format == .plain ? .pdq : format == .md5sum ? nil : nil
    for skip in [true, false] {
      var reader = TextHashSetReader(format: format, type: type, label: "default-label", skipBadLines: skip)
      reader.vicsCategories = .current
      let slow = Self.read(path, reader, fast: false)
      // One core, then every core in blocks of a few lines to a few hundred, in parts
      // that hold a line or two to many.
      for (block, parts) in [(0, 1), (300, 2), (1000, 3), (4096, 2), (65_536, 5)] {
        let fast = Self.read(path, reader, fast: true, block: block, parts: parts)
        compare(fast, slow, format: format, skip: skip, context: "block \(block), \(parts) parts")
        if block > 0, case .success(let f) = fast, format != .vpdq {
          #expect(f.1.linesOnEveryCore > 0, "\(format), block \(block): nothing read on every core")
        }
      }
    }
  }

  /// Compares a fast read with the slow one.
  func compare(
    _ fast: Result<(HashSet, TextHashSetReader.Report), HashSetError>, _ slow: Result<(HashSet, TextHashSetReader.Report), HashSetError>,
    format: HashSetFormat, skip: Bool, context: String
  ) {
      switch (fast, slow) {
      case (.success(let f), .success(let s)):
        #expect(f.1 == s.1, "\(format): reports differ")
        #expect(f.0.count == f.1.entries && f.0.count > 0, "\(format): the set holds what the report counts")
        #expect(f.0.entries == s.0.entries, "\(format): entries differ")
        #expect(f.0.labels == s.0.labels, "\(format): label tables differ")
        // vPDQ: an entry is a video (its frames follow a `# name` line).
        if skip {
          #expect(f.1.entries > (format == .vpdq ? 5 : 1000) && !f.1.badLines.isEmpty, "\(format): \(f.1.entries) entries")
        }
      case (.failure(let f), .failure(let s)):
        #expect("\(f)" == "\(s)", "\(format): errors differ")
        #expect(!skip)
      default:
        Issue.record("\(format), skip \(skip), \(context): fast \(fast), slow \(slow)")
      }
  }

  /// A clean list read on every core: every line after the header is taken there (a
  /// block's last line, cut by the end of the bytes read, with the next block), and ids
  /// that are line numbers are the lines' own. The set is the one line-by-line reading gives.
  @Test(arguments: [HashSetFormat.setCSV, .plain, .md5sum, .pdqCLI, .threatExchange])
  func cleanListsAreReadOnEveryCore(format: HashSetFormat) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var rng = SplitMix64(seed: 77)
    var lines = Self.header(format).map { [$0] } ?? []
    for n in 0..<3000 {
      let pdq = Self.hex(&rng, 64)
      switch format {
      case .setCSV: lines.append("case/\(n).jpg,series-\(n / 50),\(pdq),\(n % 101),\(Self.hex(&rng, 16)),\(Self.hex(&rng, 32)),,")
      case .plain: lines.append(pdq)
      case .md5sum: lines.append(Self.hex(&rng, 32) + (n % 3 == 0 ? " *b\(n).jpg" : "  f\(n).jpg"))
      case .pdqCLI: lines.append("\(pdq),\(n % 101)" + (n % 2 == 0 ? ",f\(n).jpg" : ""))
      default: lines.append("pdq,\(pdq),\(n % 4 == 0 ? "" : "collab"),series-\(n / 70),")
      }
    }
    let path = try dir.write("list.txt", Array((lines.joined(separator: "\n") + "\n").utf8))
    let reader = TextHashSetReader(format: format, type: format == .plain ? .pdq : format == .md5sum ? .md5 : nil, label: "l")
    let slow = Self.read(path, reader, fast: false)
    for (block, parts) in [(512, 2), (5000, 3), (1 << 20, 2)] {
      let fast = Self.read(path, reader, fast: true, block: block, parts: parts)
      compare(fast, slow, format: format, skip: false, context: "block \(block), \(parts) parts")
      let report = try fast.get().1
      #expect(report.entries == 3000)
      #expect(report.linesOnEveryCore == 3000 - (Self.header(format) == nil ? 1 : 0), "\(format), block \(block)")
    }
  }
}
