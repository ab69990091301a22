import Foundation
import SieveCore
import SieveSystem

/// Reads hash sets from text files of any size, one line at a time, in every format of
/// ``HashSetFormat``. A byte-order mark and CRLF line ends are accepted.
///
/// A line that cannot be read is an error naming the file and line number; with
/// ``skipBadLines`` it is skipped, counted and listed in the ``Report`` instead, never
/// silently. Lines of ThreatExchange signal types Sieve does not match (URLs, video
/// hashes…) are counted by type.
public struct TextHashSetReader: Sendable {
  /// The format, or `nil` to recognise it from the first line.
  public var format: HashSetFormat?
  /// The kind of every value, for formats that do not say (plain lists and `md5sum`
  /// lines). Required when values are 64 hex digits (PDQ and SHA-256 look alike).
  public var type: HashKind?
  /// The label for entries whose format carries none.
  public var label: String
  /// Skip (and report) bad lines instead of failing on the first.
  public var skipBadLines: Bool
  /// The category scheme of VICS lists: the current one (0 non-pertinent), or the legacy
  /// one, whose 0 (uncategorised) is read as no category.
  public var vicsCategories: VICSCategories = .current
  /// Whether lines may take the byte-level fast path (the default). Off, every line goes
  /// through the line-by-line parser the fast path falls back to: the same result, slower;
  /// for comparing the two (tests, benchmarks).
  public var usesFastPath = true
  /// Whether the fast path runs on every core (the default), in blocks of lines cut into
  /// one part a core and joined in order (``ParallelLineParser``). Off, on one core: the
  /// same result, slower; for comparing the two (benchmarks).
  public var usesEveryCore = true
  /// The bytes of lines the fast path takes at a time on every core
  /// (``ParallelLineParser``), a part a core; 0 keeps it on one core. The same result
  /// either way; smaller blocks are for the tests.
  /// (4 MiB a part, at most 32 MiB.)
  package var parallelBlockBytes = defaultParts > 1 ? (4 << 20) * defaultParts : 0
  /// Whether the report carries the file's checksum (``Report/checksum``, a text set's
  /// version). Off, it is 0, and a large list is read a little faster (`sieve hashset
  /// import`, which writes a set file with a checksum of its own).
  public var computesChecksum = true
  /// Lists at least this large are read a block ahead, on a thread of their own
  /// (``LineReader``); for the tests.
  package var readAheadBytes = LineReader.readAheadBytes
  /// The parts a block is cut into (by default, one a core, at most 8).
  package var parallelParts = defaultParts
  private static let defaultParts = min(ProcessInfo.processInfo.activeProcessorCount, 8)

  /// Which Project VIC category scheme a VICS list uses.
  public enum VICSCategories: String, Sendable, CaseIterable {
    /// 0 non-pertinent, 1–4 as now.
    case current
    /// 0 uncategorised (read as no category).
    case legacy
  }

  public init(format: HashSetFormat? = nil, type: HashKind? = nil, label: String = "", skipBadLines: Bool = false) {
    self.format = format
    self.type = type
    self.label = label
    self.skipBadLines = skipBadLines
  }

  /// What a read found.
  public struct Report: Sendable, Equatable {
    /// The format read.
    public var format: HashSetFormat
    /// Entries added.
    public var entries = 0
    /// Bad lines skipped (only with ``skipBadLines``): `file:line: reason`.
    public var badLines: [String] = []
    /// ThreatExchange lines of other signal types, by type.
    public var otherSignals: [String: Int] = [:]
    /// A checksum of every byte of the file as it was read (the set's version; 0 when
    /// read without, ``TextHashSetReader/computesChecksum``).
    public var checksum: UInt64 = 0
    /// Lines the fast path took on every core (``ParallelLineParser``): how a list was
    /// read, not what it gave, so not compared by `==` (for tests and benchmarks).
    package var linesOnEveryCore = 0

    public static func == (a: Report, b: Report) -> Bool {
      a.format == b.format && a.entries == b.entries && a.badLines == b.badLines && a.otherSignals == b.otherSignals
        && a.checksum == b.checksum
    }
  }

  /// Reads `path` and appends its entries to `set`.
  ///
  /// - Throws: ``HashSetError`` for unreadable files, unknown formats, ambiguous kinds,
  ///   and (without ``skipBadLines``) the first bad line.
  public func read(_ path: String, into set: inout HashSet) throws(HashSetError) -> Report {
    if format == .vics || (format == nil && Self.startsJSON(path)) {
      let loaded = try HashSetLoader.load(path, text: self)
      for entry in loaded.set.entries { set.append(entry) }
      return loaded.report ?? Report(format: .vics)
    }
    var lines = try LineReader(path: path, checksums: computesChecksum, readAheadBytes: readAheadBytes)
    return try read(&lines, path: path, into: &set)
  }

  /// How many more entries to reserve room for in a file of `fileBytes` whose first
  /// `bytesRead` gave `entriesRead`: those the rest of the file holds at the same density,
  /// and a quarter more, so that shorter lines still fit; but never more than 64 times
  /// the entries read, nor ``maxReservedEntries``. A file's size is only a claim (a sparse
  /// file can say a terabyte, and strict overcommit or a `ulimit -v` refuses address space
  /// never touched), so room is reserved in steps the entries read so far bear out: a
  /// 10M-line list in two (the first a few hundred thousand entries), where doubling
  /// took a dozen or more. (Steps of 8 times took about a second longer on a 10M-line
  /// set CSV, with 80 MB more at the peak.)
  package static func entriesToReserve(fileBytes: Int, bytesRead: Int, entriesRead: Int) -> Int {
    guard bytesRead > 0, entriesRead > 0, fileBytes > bytesRead else { return 0 }
    let rest = Double(fileBytes - bytesRead) * Double(entriesRead) / Double(bytesRead) * 1.25
    return Int(min(rest, Double(entriesRead) * 64, Double(maxReservedEntries)))
  }

  /// The most entries reserved ahead in one step (2^26, some 67 million).
  package static let maxReservedEntries = 1 << 26

  /// Whether the file at `path` starts a JSON object (a VICS list).
  /// (Only a regular file is looked at: a pipe cannot be read twice, a folder not at all;
  /// the line reader reports those.)
  static func startsJSON(_ path: String) -> Bool {
    guard let file = try? OpenFile(path), (try? file.metadata().kind) == .regular else { return false }
    var prefix = [UInt8](repeating: 0, count: 64)
    guard let n = try? file.readFully(into: &prefix) else { return false }
    return VICSReader.looksLikeJSON(Array(prefix[0..<n]))
  }

  /// Reads the lines of an open file into `set`.
  func read(_ lines: inout LineReader, path: String, into set: inout HashSet) throws(HashSetError) -> Report {
    var state = ParseState(reader: self, path: path)
    var report: Report?
    var video = VideoLines(path: path, label: label)
    var fast: FastLineParser?
    // Once a thousand entries are in, the columns they use are reserved for the rest of
    // the file, at the density of entries in the bytes read so far, and again whenever
    // that room is used up (``entriesToReserve(fileBytes:bytesRead:entriesRead:)``).
    let countBefore = set.count
    let lengthsBefore = set.columnLengths
    var reserveAt = lines.sizeHint == nil ? Int.max : 1000
    var parallel: ParallelLineParser?
    // Where a block of lines the fast path took on every core ended early (at a line it
    // declined), the rest of that block goes on one core: a list of many such lines then
    // costs what it did, not a block's work a line.
    var oneCoreUntil = 0
    while true {
      let read = set.count - countBefore
      if read >= reserveAt, let size = lines.sizeHint {
        let more = Self.entriesToReserve(fileBytes: size, bytesRead: lines.bytesConsumed, entriesRead: read)
        set.reserveCapacity(forMore: more, usedSince: lengthsBefore)
        reserveAt = more > 0 ? read + more : Int.max
      }
      // Once the format is known, the lines already read go to the fast path, in place
      // (the parser changed where it lies: a copy would share its buffers and copy them
      // again on the next write). The first it declines, a line split between two reads,
      // and every line before the format is known come from `next()` and are read below,
      // as they always were.
      if usesFastPath, report != nil, fast != nil {
        if !fast!.hasColumns, let columns = state.columns { fast!.useColumns(columns) }
        if usesEveryCore, parallelBlockBytes > 0, state.format != .vpdq, lines.bytesConsumed >= oneCoreUntil {
          lines.fill(toHold: parallelBlockBytes)
          if parallel == nil { parallel = ParallelLineParser(parts: parallelParts) }
          let blockStart = lines.bytesConsumed
          var blockEnd = blockStart
          var taken = (bytes: 0, lines: 0)
          var complete = false
          lines.forEachReadBlock(upTo: parallelBlockBytes) { block, numberBefore in
            blockEnd = blockStart + block.count
            taken = parallel!.parse(block, after: numberBefore, with: fast!, into: &set, report: &report!)
            report!.linesOnEveryCore += taken.lines
            complete = taken.bytes == block.count
            return taken
          }
          // Every line of the block taken: the next block (the line cut by the end of
          // this one included) is read before anything is added here.
          if complete { continue }
          oneCoreUntil = blockEnd
        }
        // What the parts gave goes in before anything is added one line at a time.
        parallel?.flush(into: &set, report: &report!)
        lines.forEachReadLine { line, number in
          fast!.parse(line, number: number, into: &set, report: &report!, video: &video)
        }
      }
      guard let (bytes, tooLong) = try lines.next() else { break }
      let number = lines.lineNumber
      let line = String(decoding: bytes, as: UTF8.self)
      if tooLong {
        guard skipBadLines else {
          throw .badLine(file: path, line: number, reason: "line longer than \(LineReader.maxLineLength) bytes")
        }
        if report == nil { report = Report(format: format ?? .plain) }
        report!.badLines.append("\(path):\(number): line longer than \(LineReader.maxLineLength) bytes")
        continue
      }
      let trimmed = line.trimmingWhitespace()
      if trimmed.hasPrefix("#") {
        // In vPDQ files, a comment line names the video whose lines follow.
        video.named(String(trimmed.dropFirst()).trimmingWhitespace(), into: &set, report: &report)
        continue
      }
      if trimmed.isEmpty { continue }
      if report == nil {
        guard let format = format ?? HashSetFormat.detect(firstLine: trimmed) else {
          throw .unknownFormat(file: path, reason: "line \(number) matches no known format: \(trimmed.prefix(60))")
        }
        report = Report(format: format)
        state.format = format
        fast = FastLineParser(format: format, type: type, label: label)
      }
      if state.format == .vpdq {
        do {
          try video.add(VPDQText.parse(trimmed), into: &set, report: &report)
        } catch {
          guard skipBadLines else { throw .badLine(file: path, line: number, reason: error.reason) }
          report!.badLines.append("\(path):\(number): \(error.reason)")
        }
        continue
      }
      do {
        switch try state.parse(trimmed, line: number) {
        case .entry(let entry):
          set.append(entry)
          report!.entries += 1
        case .skip:
          break
        case .otherSignal(let type):
          report!.otherSignals[type, default: 0] += 1
        }
      } catch let failure as LineFailure {
        if failure.fatal || !skipBadLines {
          throw failure.fatal ? .needsType(file: path, reason: failure.reason)
            : .badLine(file: path, line: number, reason: failure.reason)
        }
        report!.badLines.append("\(path):\(number): \(failure.reason)")
      } catch {
        throw .badLine(file: path, line: number, reason: "\(error)")
      }
    }
    video.finish(into: &set, report: &report)
    var result = report ?? Report(format: format ?? .plain)
    result.checksum = computesChecksum ? lines.checksum.finalize() : 0
    return result
  }
}

/// The videos of a vPDQ file being read: the frames of the current one, named by the
/// last `# ID` line (or the file's name), added as one entry when the next begins.
struct VideoLines {
  let path: String
  let label: String
  var id: String?
  var frames: [VPDQFeature] = []

  init(path: String, label: String) {
    self.path = path
    self.label = label
  }

  /// A `# ID` line: the video so far is complete, the next is `id`.
  mutating func named(_ id: String, into set: inout HashSet, report: inout TextHashSetReader.Report?) {
    finish(into: &set, report: &report)
    self.id = id
  }

  mutating func add(_ parsed: [VPDQFeature], into set: inout HashSet, report: inout TextHashSetReader.Report?) {
    frames += parsed
  }

  /// One frame of the current video (the fast path's).
  mutating func add(_ frame: VPDQFeature) {
    frames.append(frame)
  }

  mutating func finish(into set: inout HashSet, report: inout TextHashSetReader.Report?) {
    guard !frames.isEmpty else { return }
    var entry = HashSetEntry(id: id ?? String(path.split(separator: "/").last ?? Substring(path)), label: label)
    entry.vpdq = frames
    set.append(entry)
    report?.entries += 1
    frames = []
    id = nil
  }
}

/// Why one line failed; `fatal` when no later line could succeed either.
struct LineFailure: Error {
  var reason: String
  var fatal = false
}

/// The outcome of parsing one line.
enum LineOutcome {
  case entry(HashSetEntry)
  case skip
  case otherSignal(String)
}

/// Per-file parsing state: the format, and the header columns of CSV formats.
struct ParseState {
  let reader: TextHashSetReader
  let path: String
  var format: HashSetFormat = .plain
  var columns: [String: Int]?

  init(reader: TextHashSetReader, path: String) {
    self.reader = reader
    self.path = path
  }

  /// The strings of a JSON array of plain strings (`["a", "b"]`: no escapes, as
  /// python-threatexchange writes vPDQ items); nil for anything else.
  static func jsonStrings(_ text: String) -> [String]? {
    var scalars = Substring(text.trimmingWhitespace())
    guard scalars.first == "[", scalars.last == "]" else { return nil }
    scalars = scalars.dropFirst().dropLast()
    var out: [String] = []
    var rest = scalars.drop { $0 == " " }
    if rest.isEmpty { return [] }
    while true {
      guard rest.first == "\"" else { return nil }
      rest = rest.dropFirst()
      guard let close = rest.firstIndex(of: "\"") else { return nil }
      let item = rest[..<close]
      guard !item.contains("\\") else { return nil }
      out.append(String(item))
      rest = rest[rest.index(after: close)...].drop { $0 == " " }
      if rest.isEmpty { return out }
      guard rest.first == "," else { return nil }
      rest = rest.dropFirst().drop { $0 == " " }
    }
  }

  /// The kind of a hex value whose format does not say.
  func kind(of hex: Substring) throws -> HashKind {
    if let type = reader.type { return type }
    let candidates = HashKind.candidates(forHexDigits: hex.count)
    switch candidates.count {
    case 1: return candidates[0]
    case 0: throw LineFailure(reason: "\(hex.count) hex digits is no known hash length")
    default:
      throw LineFailure(
        reason: "\(hex.count) hex digits could be \(candidates.map(\.rawValue).joined(separator: " or ")); say which",
        fatal: true)
    }
  }

  /// Sets `kind`'s field of `entry` from `hex`.
  func assign(_ hex: Substring, as kind: HashKind, to entry: inout HashSetEntry) throws {
    do {
      switch kind {
      case .pdq: entry.pdq = try PDQHash(hex: hex)
      case .phash: entry.phash = try PHash(hex: hex)
      case .md5: entry.md5 = try ExactDigest(kind: .md5, hex: hex)
      case .sha1: entry.sha1 = try ExactDigest(kind: .sha1, hex: hex)
      case .sha256: entry.sha256 = try ExactDigest(kind: .sha256, hex: hex)
      }
    } catch {
      throw LineFailure(reason: "\(kind) value: \(error)")
    }
  }

  mutating func parse(_ line: String, line number: Int) throws -> LineOutcome {
    switch format {
    case .vpdq:
      return .skip  // read by VideoLines, a video over many lines
    case .vics:
      throw LineFailure(reason: "VICS JSON is read as JSON (VICSReader), not line by line")
    case .plain:
      let token = Substring(line)
      guard !token.contains(where: { $0 == " " || $0 == "\t" || $0 == "," }) else {
        throw LineFailure(reason: "expected one hex value, found \"\(line.prefix(60))\"")
      }
      var entry = HashSetEntry(id: String(number), label: reader.label)
      try assign(token, as: try kind(of: token), to: &entry)
      return .entry(entry)

    case .md5sum:
      guard let space = line.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
        throw LineFailure(reason: "expected \"HASH  name\", found \"\(line.prefix(60))\"")
      }
      let hex = line[..<space]
      var name = line[space...].drop { $0 == " " || $0 == "\t" }
      if name.hasPrefix("*") { name = name.dropFirst() }
      var entry = HashSetEntry(id: name.isEmpty ? String(number) : String(name), label: reader.label)
      try assign(hex, as: try kind(of: hex), to: &entry)
      return .entry(entry)

    case .pdqCLI:
      let parts = line.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
      guard parts.count >= 2 else { throw LineFailure(reason: "expected \"hash,quality,filename\"") }
      if parts[0].lowercased() == "hash" { return .skip }
      var entry = HashSetEntry(id: parts.count > 2 ? String(parts[2]) : String(number), label: reader.label)
      try assign(parts[0].trimmingWhitespace()[...], as: .pdq, to: &entry)
      guard let quality = Int(parts[1].trimmingWhitespace()), (0...100).contains(quality) else {
        throw LineFailure(reason: "quality \"\(parts[1])\" is not a number from 0 to 100")
      }
      entry.pdqQuality = quality
      return .entry(entry)

    case .threatExchange:
      let fields = CSVLine.split(line)
      if fields[0].lowercased() == "signal_type" { return .skip }
      guard fields.count >= 2 else { throw LineFailure(reason: "expected signal_type,signal_str,collab,category,tags") }
      let kind: HashKind
      switch fields[0].lowercased() {
      case "pdq": kind = .pdq
      case "photo_md5", "md5": kind = .md5
      case "phash": kind = .phash
      case "vpdq":
        // python-threatexchange's video signal: a JSON array of "hash,quality,timestamp".
        var entry = HashSetEntry(
          id: (fields.count > 2 && !fields[2].isEmpty) ? "\(fields[2]):\(number)" : String(number),
          label: fields.count > 3 && !fields[3].isEmpty ? fields[3] : (fields.count > 4 && !fields[4].isEmpty ? fields[4] : reader.label))
        guard let items = Self.jsonStrings(fields[1]) else {
          throw LineFailure(reason: "a vpdq signal_str must be a JSON array of \"hash,quality,timestamp\" strings")
        }
        do { entry.vpdq = try VPDQText.parseSignal(items) } catch { throw LineFailure(reason: "vpdq item \(error.description)") }
        guard !entry.vpdq.isEmpty else { throw LineFailure(reason: "a vpdq signal with no frame") }
        return .entry(entry)
      default: return .otherSignal(fields[0].lowercased())
      }
      let category = fields.count > 3 ? fields[3] : ""
      let tags = fields.count > 4 ? fields[4] : ""
      let collab = fields.count > 2 ? fields[2] : ""
      var entry = HashSetEntry(
        id: collab.isEmpty ? String(number) : "\(collab):\(number)",
        label: !category.isEmpty ? category : (!tags.isEmpty ? tags : reader.label))
      try assign(fields[1].trimmingWhitespace()[...], as: kind, to: &entry)
      return .entry(entry)

    case .sieveCSV, .setCSV:
      let fields = CSVLine.split(line)
      guard let columns else {
        let names = fields.map { $0.lowercased() }
        let required = format == .sieveCSV ? ["path", "pdq"] : ["id", "label"]
        guard required.allSatisfy(names.contains) else {
          throw LineFailure(reason: "expected a header with \(required.joined(separator: ", ")), found \"\(line.prefix(60))\"", fatal: true)
        }
        self.columns = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        return .skip
      }
      func field(_ name: String) -> String? {
        guard let i = columns[name], i < fields.count else { return nil }
        let value = fields[i].trimmingWhitespace()
        return value.isEmpty ? nil : value
      }
      let id = field(format == .sieveCSV ? "path" : "id") ?? String(number)
      var entry = HashSetEntry(id: id, label: field("label") ?? reader.label)
      if let pdq = field("pdq") { try assign(pdq[...], as: .pdq, to: &entry) }
      if let quality = field("pdq_quality") {
        guard let q = Int(quality), (0...100).contains(q) else { throw LineFailure(reason: "pdq_quality \"\(quality)\" is not 0…100") }
        entry.pdqQuality = q
      }
      if let phash = field("phash") { try assign(phash[...], as: .phash, to: &entry) }
      for kind in [HashKind.md5, .sha1, .sha256] {
        if let value = field(kind.rawValue) { try assign(value[...], as: kind, to: &entry) }
      }
      guard !entry.isEmpty else { throw LineFailure(reason: "no hash on this line") }
      return .entry(entry)
    }
  }
}

extension StringProtocol {
  /// The string without leading and trailing spaces and tabs.
  func trimmingWhitespace() -> String {
    // Spaces and tabs are single bytes in UTF-8: cutting them off leaves whole characters.
    let bytes = Substring(self).utf8
    guard let first = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return "" }
    let last = bytes.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })!
    if first == bytes.startIndex && bytes.index(after: last) == bytes.endIndex { return String(self) }
    return String(decoding: bytes[first...last], as: UTF8.self)
  }
}
