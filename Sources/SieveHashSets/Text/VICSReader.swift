import SieveCore

/// Reads Project VIC (VICS) JSON, streamed: `{"odata.metadata": …, "value": [{…media…}, …]}`,
/// one entry per media record with its `MD5`, `SHA1` and `SHA256` (hex, any case) and its
/// `Category` as the label, read in ``TextHashSetReader/vicsCategories``'s scheme. A list of
/// cases, each holding its `Media` list (`"value": [{"CaseID": …, "Media": [{…}, …]}]`), is
/// read the same way, media record by media record.
///
/// The file is read in blocks and never held whole: only the fields above are decoded, every
/// other value is checked and skipped, so a list of millions of records takes the memory of
/// its entries.
///
/// "Not yet categorised" is no category (an empty label), never 0: in the current scheme 0
/// means non-pertinent, while the legacy scheme used 0 for uncategorised, so a legacy list
/// is read with `.legacy` and its 0s become no category. A record that cannot be read (a
/// malformed digest, a category that is not a number, an item that is not an object) is an
/// error naming the file, the line the record starts on and the record's number; with
/// ``TextHashSetReader/skipBadLines`` it is skipped and listed instead. A record with no
/// digest at all has nothing to match and is passed over. JSON that is not well formed
/// stops the read at the line where it breaks, whatever ``TextHashSetReader/skipBadLines``
/// says: nothing after it can be trusted.
enum VICSReader {
  /// Whether `prefix` (a file's first bytes) starts a JSON object (after a byte-order mark
  /// and white space).
  static func looksLikeJSON(_ prefix: [UInt8]) -> Bool {
    var bytes = prefix[...]
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
    return bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } == UInt8(ascii: "{")
  }

  /// Reads the document `json` is positioned at the start of, appending its entries to `set`.
  static func read(_ json: inout JSONStreamReader, path: String, reader: TextHashSetReader, into set: inout HashSet) throws(HashSetError) -> TextHashSetReader.Report {
    var records = Records(path: path, reader: reader)
    guard try json.consume(UInt8(ascii: "{")) else {
      throw .unknownFormat(file: path, reason: "not a VICS document (not a JSON object)")
    }
    var sawValue = false
    var first = true
    while let key = try json.nextKey(first: first) {
      first = false
      guard key == "value" else {
        try json.skipValue()
        continue
      }
      sawValue = true
      guard try json.consume(UInt8(ascii: "[")) else {
        throw .unknownFormat(file: path, reason: "not a VICS document (its \"value\" is not a list of media)")
      }
      try readItems(&json, records: &records, into: &set, inCase: false)
    }
    try json.expectEnd()
    guard sawValue else { throw .unknownFormat(file: path, reason: "not a VICS document (no \"value\" list of media)") }
    records.report.checksum = json.checksum.finalize()
    return records.report
  }

  /// The items of a list, after its `[`: media records, or at the top, cases holding them.
  private static func readItems(_ json: inout JSONStreamReader, records: inout Records, into set: inout HashSet, inCase: Bool) throws(HashSetError) {
    var more = try json.nextElement(first: true)
    while more {
      _ = try json.next()  // past white space: the line the item starts on
      let line = json.line
      if try json.consume(UInt8(ascii: "{")) {
        try readRecord(&json, line: line, records: &records, into: &set, inCase: inCase)
      } else {
        try json.skipValue()
        try records.failed("not an object (a media record is a JSON object)", line: line)
      }
      more = try json.nextElement(first: false)
    }
  }

  /// One object of a list, after its `{`: a media record, or a case when it holds a
  /// `Media` list (then its own fields are the case's, not a record's).
  private static func readRecord(_ json: inout JSONStreamReader, line: Int, records: inout Records, into set: inout HashSet, inCase: Bool) throws(HashSetError) {
    var fields = Fields()
    var isCase = false
    var first = true
    while let key = try json.nextKey(first: first) {
      first = false
      let field = Fields.Name(key)
      if !inCase, field == .media, try json.next() == UInt8(ascii: "[") {
        _ = try json.consume(UInt8(ascii: "["))
        isCase = true
        try readItems(&json, records: &records, into: &set, inCase: true)
        continue
      }
      guard let field, field != .media else {
        try json.skipValue()
        continue
      }
      let value = try json.scalar()
      if fields[field] == nil { fields[field] = value } else { fields.repeated = key }
    }
    if isCase {
      // A case's own digests would be lost without a word.
      if [Fields.Name.md5, .sha1, .sha256].contains(where: { fields[$0].map { $0 != .null } ?? false }) {
        try records.failed("a case (it holds a Media list) with digests of its own, which are not read", line: line)
      }
      return
    }
    try records.add(fields, line: line, into: &set)
  }

  /// The fields of one media record that Sieve reads.
  struct Fields {
    /// A field's name, in any case.
    enum Name: Int, CaseIterable {
      case md5, sha1, sha256, category, mediaID, media

      /// The lower-case spelling.
      var bytes: StaticString {
        switch self {
        case .md5: return "md5"
        case .sha1: return "sha1"
        case .sha256: return "sha256"
        case .category: return "category"
        case .mediaID: return "mediaid"
        case .media: return "media"
        }
      }

      /// The field `key` names, compared without regard to ASCII case; nil for others.
      init?(_ key: String) {
        var key = key
        let found = key.withUTF8 { bytes -> Name? in
          Name.allCases.first { name in
            let expected = name.bytes
            guard expected.utf8CodeUnitCount == bytes.count else { return false }
            for i in 0..<bytes.count {
              // Letters and digits only: `| 0x20` lower-cases a letter and leaves a digit.
              let b = bytes[i]
              guard b >= 0x30, b | 0x20 == expected.utf8Start[i] else { return false }
            }
            return true
          }
        }
        guard let found else { return nil }
        self = found
      }
    }

    private var values = [JSONStreamReader.Scalar?](repeating: nil, count: Name.allCases.count)
    /// A field given twice (in any case): which one counts is not clear, so the record is
    /// bad rather than read one way here and another elsewhere.
    var repeated: String?

    subscript(_ name: Name) -> JSONStreamReader.Scalar? {
      get { values[name.rawValue] }
      set { values[name.rawValue] = newValue }
    }
  }

  /// The records read so far: their count (records are numbered from 1 in the order they
  /// end), what was found, and what was skipped.
  private struct Records {
    let path: String
    let reader: TextHashSetReader
    var number = 0
    var report = TextHashSetReader.Report(format: .vics)

    init(path: String, reader: TextHashSetReader) {
      self.path = path
      self.reader = reader
    }

    /// An item that is not a record at all: counted, then rejected.
    mutating func failed(_ reason: String, line: Int) throws(HashSetError) {
      number += 1
      try reject(reason, line: line)
    }

    /// The record just counted could not be read: an error, or with `skipBadLines` a line
    /// of the report.
    private mutating func reject(_ reason: String, line: Int) throws(HashSetError) {
      let reason = "media record \(number): \(reason)"
      guard reader.skipBadLines else { throw .badLine(file: path, line: line, reason: reason) }
      report.badLines.append("\(path):\(line): \(reason)")
    }

    mutating func add(_ fields: Fields, line: Int, into set: inout HashSet) throws(HashSetError) {
      number += 1
      switch VICSReader.entry(fields, number: number, reader: reader) {
      case .success(let entry?):
        set.append(entry)
        report.entries += 1
      case .success(nil):
        break
      case .failure(let failure):
        try reject(failure.reason, line: line)
      }
    }
  }

  /// One media record's entry; nil for a record with no digest at all (nothing to match).
  static func entry(_ fields: Fields, number: Int, reader: TextHashSetReader) -> Result<HashSetEntry?, LineFailure> {
    func digest(_ field: Fields.Name, _ kind: HashKind) throws(LineFailure) -> ExactDigest? {
      var name: String { "\(field.bytes)".uppercased() }
      switch fields[field] {
      case nil, .null?: return nil
      case .string(let text)?:
        let trimmed = text.trimmingWhitespace()
        if trimmed.isEmpty { return nil }
        do {
          return try ExactDigest(kind: kind, hex: trimmed)  // hex in either case
        } catch {
          throw LineFailure(reason: "\(name) \(trimmed.prefix(80)): \(error)")
        }
      case .other(let what)?: throw LineFailure(reason: "\(name) is \(what), not a hex digest")
      case let value?: throw LineFailure(reason: "\(name) \(value.written) is not text")
      }
    }
    do throws(LineFailure) {
      if let repeated = fields.repeated { throw LineFailure(reason: "\(repeated) is given twice") }
      let md5 = try digest(.md5, .md5), sha1 = try digest(.sha1, .sha1), sha256 = try digest(.sha256, .sha256)
      guard md5 != nil || sha1 != nil || sha256 != nil else { return .success(nil) }
      var label = reader.label
      if let category = fields[.category], category != .null {
        guard let value = categoryNumber(category) else {
          throw LineFailure(reason: "Category \(category.written) is not a category number (0…999)")
        }
        switch reader.vicsCategories {
        case .current: label = String(value)
        case .legacy: label = value == 0 ? "" : String(value)
        }
      }
      let id: String
      switch fields[.mediaID] {
      case .string(let text)?: id = "media \(text)"
      case .number(let text)?: id = "media \(text)"
      default: id = "media record \(number)"
      }
      return .success(HashSetEntry(id: id, label: label, md5: md5, sha1: sha1, sha256: sha256))
    } catch {
      return .failure(error)
    }
  }

  /// A category's number when it is a whole number 0…999, written as a JSON number (`2`,
  /// `2.0`, `0.2e1`) or as text (`"2"`); never `true`, a fraction, or anything else. Whether
  /// a number is whole is decided from its digits, exactly (`1.0000000000000001` is not).
  static func categoryNumber(_ value: JSONStreamReader.Scalar) -> Int? {
    let number: Int?
    switch value {
    case .string(let text): number = Int(text.trimmingWhitespace())
    case .number(let text): number = Int(text) ?? wholeNumber(text)
    default: number = nil
    }
    return number.flatMap { (0...999).contains($0) ? $0 : nil }
  }

  /// The value of a JSON number when it is a whole number of at most six digits, exactly.
  static func wholeNumber(_ text: String) -> Int? {
    var rest = Substring(text)
    let negative = rest.first == "-"
    if negative { rest = rest.dropFirst() }
    let mantissaEnd = rest.firstIndex { $0 == "e" || $0 == "E" } ?? rest.endIndex
    let mantissa = rest[..<mantissaEnd]
    var exponent = 0
    if mantissaEnd < rest.endIndex {
      let written = rest[rest.index(after: mantissaEnd)...]
      let digits = written.drop { $0 == "+" || $0 == "-" }.drop { $0 == "0" }
      if digits.count > 6 {
        // Only zero survives an exponent this large in either direction.
        return mantissa.allSatisfy { $0 == "0" || $0 == "." } ? 0 : nil
      }
      exponent = Int(digits.isEmpty ? "0" : String(digits))! * (written.first == "-" ? -1 : 1)
    }
    let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
    var digits = Array(parts[0] + (parts.count > 1 ? parts[1] : ""))
    exponent -= parts.count > 1 ? parts[1].count : 0
    while let first = digits.first, first == "0" { digits.removeFirst() }
    if digits.isEmpty { return 0 }
    while exponent < 0, digits.last == "0" {
      digits.removeLast()
      exponent += 1
    }
    guard exponent >= 0, digits.count + exponent <= 6 else { return nil }
    let value = Int(String(digits) + String(repeating: "0", count: exponent))!
    return negative ? -value : value
  }
}

extension JSONStreamReader.Scalar {
  /// The value as it would be written in JSON, shortened, for messages.
  var written: String {
    switch self {
    case .string(let text): return "\"\(text.prefix(80))\""
    case .number(let text): return text
    case .bool(let value): return String(value)
    case .null: return "null"
    case .other(let what): return what
    }
  }
}
