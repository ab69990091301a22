import SieveCore

/// The text readers' fast path: one line's bytes parsed in place and appended straight to
/// the set's columns, with no `String`, no ``HashSetEntry`` and no allocation per line.
///
/// It takes the lines of every line-based format that are plain ASCII and, in the CSV
/// formats, unquoted — what tools write. Anything else (a quoted field, a non-ASCII byte,
/// a comment (in vPDQ files, the next video's name), a ThreatExchange vPDQ signal, a
/// value that does not parse) it leaves to ``ParseState`` and ``VideoLines``,
/// which accepts or refuses the line exactly as before and names the reason, so the fast
/// path changes how fast a line is read, never what it gives. The tests compare the two.
struct FastLineParser {
  let format: HashSetFormat
  let type: HashKind?
  /// The label of entries whose line carries none, and its index once used.
  let label: String
  private var labelIndex: UInt32?
  /// The CSV formats' column indices, once the header was read.
  private var columns: Columns?
  /// The kind of a plain or md5sum value, by its number of hex digits (nil: unsure).
  private var kinds: [Int: HashKind?] = [:]
  /// The last of ``kinds`` looked up (lists hold one kind of value, line after line).
  private var lastKind: (digits: Int, kind: HashKind?) = (-1, nil)
  /// Scratch for ids built from two parts (ThreatExchange's `collab:line`).
  private var idScratch: [UInt8] = []

  struct Columns {
    var id: Int?, label: Int?, pdq: Int?, quality: Int?, phash: Int?, md5: Int?, sha1: Int?, sha256: Int?
  }

  /// Fields a CSV line may have for the fast path; longer lines go the slow way.
  private static let maxFields = 24

  init(format: HashSetFormat, type: HashKind?, label: String) {
    self.format = format
    self.type = type
    self.label = label
  }

  /// The index of ``label`` in the set's labels (added at first use, as the slow path does).
  private mutating func defaultLabel(_ set: inout HashSet) -> UInt32 {
    if let labelIndex { return labelIndex }
    let index = set.indexOfLabel(label)
    labelIndex = index
    return index
  }

  /// This parser, to parse into a set of its own: everything it learned of the list kept,
  /// bar the index of its default label, which is the set's.
  var forAnotherSet: FastLineParser {
    var copy = self
    copy.labelIndex = nil
    return copy
  }

  /// Takes the CSV header's columns (``ParseState/columns``).
  mutating func useColumns(_ names: [String: Int]) {
    columns = Columns(
      id: names[format == .sieveCSV ? "path" : "id"], label: names["label"], pdq: names["pdq"],
      quality: names["pdq_quality"], phash: names["phash"], md5: names["md5"], sha1: names["sha1"],
      sha256: names["sha256"])
  }

  var hasColumns: Bool { columns != nil }

  private static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

  /// `line[range]` without leading and trailing spaces and tabs.
  private static func trimmed(_ line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
    var (lo, hi) = (range.lowerBound, range.upperBound)
    while lo < hi && isBlank(line[lo]) { lo += 1 }
    while hi > lo && isBlank(line[hi - 1]) { hi -= 1 }
    return lo..<hi
  }

  private static func slice(_ line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(rebasing: line[range])
  }

  /// Whether `line[range]`, lower-cased, is `word` (ASCII lower case).
  private static func equalsLowercased(_ line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ word: StaticString) -> Bool {
    guard range.count == word.utf8CodeUnitCount else { return false }
    let w = word.utf8Start
    for (k, i) in range.enumerated() {
      var b = line[i]
      if b >= 0x41 && b <= 0x5A { b |= 0x20 }
      if b != w[k] { return false }
    }
    return true
  }

  /// A quality: one to three decimal digits, 0…100; nil for anything else.
  private static func quality(_ digits: UnsafeBufferPointer<UInt8>) -> UInt8? {
    guard (1...3).contains(digits.count) else { return nil }
    var value = 0
    for b in digits {
      guard b >= 0x30 && b <= 0x39 else { return nil }
      value = value * 10 + Int(b - 0x30)
    }
    return value <= 100 ? UInt8(value) : nil
  }

  /// The kind of an unlabelled value of `digits` hex digits.
  private mutating func kind(forDigits digits: Int) -> HashKind? {
    if let type { return type }
    if digits == lastKind.digits { return lastKind.kind }
    if let known = kinds[digits] {
      lastKind = (digits, known)
      return known
    }
    let candidates = HashKind.candidates(forHexDigits: digits)
    let kind = candidates.count == 1 ? candidates[0] : nil
    kinds[digits] = kind
    return kind
  }

  /// One parsed value of any kind.
  private struct Values {
    var pdq: PDQHash?
    var quality: UInt8 = 255
    var phash: PHash?
    var md5: ExactDigest?
    var sha1: ExactDigest?
    var sha256: ExactDigest?

    var isEmpty: Bool { pdq == nil && phash == nil && md5 == nil && sha1 == nil && sha256 == nil }

    /// Sets `kind`'s value from hex digits; false when they do not parse.
    mutating func set(_ kind: HashKind, _ hex: UnsafeBufferPointer<UInt8>) -> Bool {
      switch kind {
      case .pdq: pdq = PDQHash(hexDigits: hex); return pdq != nil
      case .phash: phash = PHash(hexDigits: hex); return phash != nil
      case .md5: md5 = ExactDigest(kind: .md5, hexDigits: hex); return md5 != nil
      case .sha1: sha1 = ExactDigest(kind: .sha1, hexDigits: hex); return sha1 != nil
      case .sha256: sha256 = ExactDigest(kind: .sha256, hexDigits: hex); return sha256 != nil
      }
    }
  }

  private func append(
    _ values: Values, id: UnsafeBufferPointer<UInt8>, number: Int?, label: UInt32, to set: inout HashSet,
    report: inout TextHashSetReader.Report
  ) {
    set.append(
      idPrefix: id, idNumber: number, label: label, pdq: values.pdq, pdqQuality: values.quality, phash: values.phash,
      md5: values.md5, sha1: values.sha1, sha256: values.sha256)
    report.entries += 1
  }

  /// Parses line `number` (its bytes, without the line end) into `set`; false when the
  /// line must go the slow way (nothing was added then).
  mutating func parse(
    _ raw: UnsafeBufferPointer<UInt8>, number: Int, into set: inout HashSet, report: inout TextHashSetReader.Report,
    video: inout VideoLines
  ) -> Bool {
    let whole = Self.trimmed(raw, 0..<raw.count)
    if whole.isEmpty { return true }
    let line = Self.slice(raw, whole)
    if line[0] == 0x23 { return false }  // a comment: the slow path knows what it means
    let classes = ByteClasses(line)
    guard !classes.nonASCII else { return false }
    let quoted = classes.quote
    let empty = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    var values = Values()

    switch format {
    case .plain:
      guard !classes.separator,
        let kind = kind(forDigits: line.count), values.set(kind, line)
      else { return false }
      append(values, id: empty, number: number, label: defaultLabel(&set), to: &set, report: &report)
      return true

    case .md5sum:
      guard let space = line.firstIndex(where: Self.isBlank) else { return false }
      var start = space
      while start < line.count && Self.isBlank(line[start]) { start += 1 }
      if start < line.count && line[start] == 0x2A { start += 1 }  // "*": a binary-mode name
      guard let kind = kind(forDigits: space), values.set(kind, Self.slice(line, 0..<space)) else { return false }
      let name = Self.slice(line, start..<line.count)
      append(values, id: name, number: name.isEmpty ? number : nil, label: defaultLabel(&set), to: &set, report: &report)
      return true

    case .pdqCLI:
      guard let first = line.firstIndex(of: 0x2C) else { return false }
      let second = line[(first + 1)...].firstIndex(of: 0x2C)
      if Self.equalsLowercased(line, 0..<first, "hash") { return true }  // the header
      guard values.set(.pdq, Self.slice(line, Self.trimmed(line, 0..<first))),
        let quality = Self.quality(Self.slice(line, Self.trimmed(line, (first + 1)..<(second ?? line.count))))
      else { return false }
      values.quality = quality
      let id = second.map { Self.slice(line, ($0 + 1)..<line.count) }
      append(values, id: id ?? empty, number: id == nil ? number : nil, label: defaultLabel(&set), to: &set, report: &report)
      return true

    case .threatExchange:
      guard !quoted else { return false }
      return withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: Self.maxFields) { fields in
        guard let n = Self.split(line, into: fields) else { return false }
        if Self.equalsLowercased(line, fields[0], "signal_type") { return true }  // the header
        guard n >= 2 else { return false }
        let kind: HashKind
        if Self.equalsLowercased(line, fields[0], "pdq") {
          kind = .pdq
        } else if Self.equalsLowercased(line, fields[0], "photo_md5") || Self.equalsLowercased(line, fields[0], "md5") {
          kind = .md5
        } else if Self.equalsLowercased(line, fields[0], "phash") {
          kind = .phash
        } else {
          return false  // vPDQ and other signal types: the slow path reads or counts them
        }
        guard values.set(kind, Self.slice(line, Self.trimmed(line, fields[1]))) else { return false }
        let collab = n > 2 ? fields[2] : 0..<0
        let category = n > 3 ? fields[3] : 0..<0
        let tags = n > 4 ? fields[4] : 0..<0
        let label =
          !category.isEmpty ? set.indexOfLabel(utf8: Self.slice(line, category))
          : !tags.isEmpty ? set.indexOfLabel(utf8: Self.slice(line, tags)) : defaultLabel(&set)
        if collab.isEmpty {
          append(values, id: empty, number: number, label: label, to: &set, report: &report)
        } else {
          idScratch.removeAll(keepingCapacity: true)
          idScratch.append(contentsOf: Self.slice(line, collab))
          idScratch.append(0x3A)
          idScratch.withUnsafeBufferPointer { append(values, id: $0, number: number, label: label, to: &set, report: &report) }
        }
        return true
      }

    case .sieveCSV, .setCSV:
      guard !quoted, let columns else { return false }
      return withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: Self.maxFields) { fields in
        guard let n = Self.split(line, into: fields) else { return false }
        func field(_ index: Int?) -> UnsafeBufferPointer<UInt8>? {
          guard let index, index < n else { return nil }
          let range = Self.trimmed(line, fields[index])
          return range.isEmpty ? nil : Self.slice(line, range)
        }
        if let pdq = field(columns.pdq), !values.set(.pdq, pdq) { return false }
        if let quality = field(columns.quality) {
          guard let q = Self.quality(quality) else { return false }
          values.quality = q
        }
        if let phash = field(columns.phash), !values.set(.phash, phash) { return false }
        if let md5 = field(columns.md5), !values.set(.md5, md5) { return false }
        if let sha1 = field(columns.sha1), !values.set(.sha1, sha1) { return false }
        if let sha256 = field(columns.sha256), !values.set(.sha256, sha256) { return false }
        guard !values.isEmpty else { return false }
        let label = field(columns.label).map { set.indexOfLabel(utf8: $0) } ?? defaultLabel(&set)
        let id = field(columns.id)
        append(values, id: id ?? empty, number: id == nil ? number : nil, label: label, to: &set, report: &report)
        return true
      }

    case .vpdq:
      // vPDQ's `frame,quality,hash,timestamp`: one frame of the current video.
      guard !quoted else { return false }
      return withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: Self.maxFields) { fields in
        guard let n = Self.split(line, into: fields), n == 4 else { return false }
        let frameDigits = Self.slice(line, Self.trimmed(line, fields[0]))
        guard (1...18).contains(frameDigits.count), frameDigits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
          let quality = Self.quality(Self.slice(line, Self.trimmed(line, fields[1]))),
          let hash = PDQHash(hexDigits: Self.slice(line, Self.trimmed(line, fields[2])))
        else { return false }
        // The time as Swift reads it (a short string, held inline: no allocation).
        let timeText = String(decoding: Self.slice(line, Self.trimmed(line, fields[3])), as: UTF8.self)
        guard let time = Double(timeText), time.isFinite, time >= 0 else { return false }
        let frame = frameDigits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        video.add(VPDQFeature(frameNumber: frame, hash: hash, quality: Int(quality), timestamp: time))
        return true
      }

    case .vics:
      return false
    }
  }

  /// Which kinds of byte a line holds, found eight bytes at a time.
  struct ByteClasses {
    /// A byte over 0x7F.
    var nonASCII = false
    /// A double quote.
    var quote = false
    /// A space, tab or comma.
    var separator = false

    init(_ line: UnsafeBufferPointer<UInt8>) {
      @inline(__always) func each(_ b: UInt64) -> UInt64 { b &* 0x0101_0101_0101_0101 }
      // The high bit of a byte of the result is set where `v`'s byte is zero (exact as
      // to whether any is: a false mark only ever follows a true one).
      @inline(__always) func zeros(_ v: UInt64) -> UInt64 { (v &- each(0x01)) & ~v & each(0x80) }
      var high: UInt64 = 0, quotes: UInt64 = 0, separators: UInt64 = 0
      var i = 0
      if let base = line.baseAddress {
        let raw = UnsafeRawPointer(base)
        while line.count - i >= 8 {
          let x = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
          high |= x
          quotes |= zeros(x ^ each(0x22))
          separators |= zeros(x ^ each(0x20)) | zeros(x ^ each(0x09)) | zeros(x ^ each(0x2C))
          i += 8
        }
      }
      while i < line.count {
        let b = line[i]
        high |= UInt64(b)
        if b == 0x22 { quotes = 0x80 }
        if b == 0x20 || b == 0x09 || b == 0x2C { separators = 0x80 }
        i += 1
      }
      nonASCII = high & each(0x80) != 0
      quote = quotes != 0
      separator = separators != 0
    }
  }

  /// Splits an unquoted CSV line at its commas; nil when it has more than ``maxFields``.
  /// (Commas are found eight bytes at a time.)
  private static func split(_ line: UnsafeBufferPointer<UInt8>, into fields: UnsafeMutableBufferPointer<Range<Int>>) -> Int? {
    var n = 0
    var start = 0
    func comma(at i: Int) -> Bool {
      guard n < maxFields - 1 else { return false }
      fields[n] = start..<i
      n += 1
      start = i + 1
      return true
    }
    var i = 0
    if let base = line.baseAddress {
      let raw = UnsafeRawPointer(base)
      while line.count - i >= 8 {
        // The high bit of each byte that is a comma, exactly (no borrow between bytes).
        let v = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) ^ 0x2C2C_2C2C_2C2C_2C2C
        var commas = ~(((v & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F) | v | 0x7F7F_7F7F_7F7F_7F7F)
        while commas != 0 {
          guard comma(at: i + commas.trailingZeroBitCount / 8) else { return nil }
          commas &= commas &- 1
        }
        i += 8
      }
    }
    while i < line.count {
      if line[i] == 0x2C, !comma(at: i) { return nil }
      i += 1
    }
    fields[n] = start..<line.count
    return n + 1
  }
}
