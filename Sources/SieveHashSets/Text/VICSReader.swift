import Foundation
import SieveCore

/// Reads Project VIC (VICS) JSON: `{"odata.metadata": …, "value": [{…media…}, …]}`, one
/// entry per media record with its `MD5`, `SHA1` and `SHA256` (hex, any case) and its
/// `Category` as the label, read in ``TextHashSetReader/vicsCategories``'s scheme.
///
/// "Not yet categorised" is no category (an empty label), never 0: in the current scheme 0
/// means non-pertinent, while the legacy scheme used 0 for uncategorised, so a legacy list
/// is read with `.legacy` and its 0s become no category. A record that cannot be read (no
/// digest, a malformed digest, a category that is not a number) is an error naming the
/// file and the record's number; with ``TextHashSetReader/skipBadLines`` it is skipped and
/// listed instead.
enum VICSReader {
  /// Whether `prefix` (a file's first bytes) starts a JSON object (after a byte-order mark
  /// and white space).
  static func looksLikeJSON(_ prefix: [UInt8]) -> Bool {
    var bytes = prefix[...]
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
    return bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } == UInt8(ascii: "{")
  }

  static func read(_ bytes: [UInt8], path: String, reader: TextHashSetReader, into set: inout HashSet) throws(HashSetError) -> TextHashSetReader.Report {
    var report = TextHashSetReader.Report(format: .vics)
    var checksum = StreamingChecksum64()
    bytes.withUnsafeBytes { checksum.update($0) }
    report.checksum = checksum.finalize()
    var data = Data(bytes)
    if data.starts(with: [0xEF, 0xBB, 0xBF]) { data = data.dropFirst(3) }
    let document: Any
    do {
      document = try JSONSerialization.jsonObject(with: data)
    } catch {
      throw .unknownFormat(file: path, reason: "not JSON: \(error.localizedDescription)")
    }
    guard let object = document as? [String: Any], let media = object["value"] as? [Any] else {
      throw .unknownFormat(file: path, reason: "not a VICS document (no \"value\" list of media)")
    }
    var bad: [String] = []
    for (i, item) in media.enumerated() {
      let number = i + 1
      do throws(HashSetError) {
        guard let object = item as? [String: Any] else { throw .badLine(file: path, line: number, reason: "media record \(number) is not an object") }
        // Field names in any case (MD5, Md5, md5).
        let record = Dictionary(object.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        if let entry = try entry(record, number: number, path: path, reader: reader) {
          set.append(entry)
          report.entries += 1
        }
      } catch {
        guard reader.skipBadLines else { throw error }
        bad.append(error.description.replacingOccurrences(of: "\(path):\(number):", with: "\(path): media record \(number):"))
      }
    }
    report.badLines = bad
    return report
  }

  /// One media record's entry; nil for a record with no digest at all (nothing to match).
  static func entry(_ record: [String: Any], number: Int, path: String, reader: TextHashSetReader) throws(HashSetError) -> HashSetEntry? {
    func digest(_ key: String, _ kind: HashKind) throws(HashSetError) -> ExactDigest? {
      guard let value = record[key] else { return nil }
      guard let text = value as? String else { throw .badLine(file: path, line: number, reason: "\(key.uppercased()) is not text") }
      let trimmed = text.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty { return nil }
      do {
        return try ExactDigest(kind: kind, hex: trimmed.lowercased())
      } catch {
        throw .badLine(file: path, line: number, reason: "\(key.uppercased()) \(trimmed.prefix(80)): \(error)")
      }
    }
    let md5 = try digest("md5", .md5), sha1 = try digest("sha1", .sha1), sha256 = try digest("sha256", .sha256)
    guard md5 != nil || sha1 != nil || sha256 != nil else { return nil }
    var label = reader.label
    if let category = record["category"], !(category is NSNull) {
      // A whole number 0…999 (or one written as text); never true/false or a fraction.
      guard let value = categoryNumber(category) else {
        throw .badLine(file: path, line: number, reason: "Category \(category) is not a category number (0…999)")
      }
      switch reader.vicsCategories {
      case .current: label = String(value)
      case .legacy: label = value == 0 ? "" : String(value)
      }
    }
    let id = (record["mediaid"].map { "\($0)" }).map { "media \($0)" } ?? "media record \(number)"
    return HashSetEntry(id: id, label: label, md5: md5, sha1: sha1, sha256: sha256)
  }

  /// A category value read from JSON: its number when it is a whole number 0…999 written as
  /// a JSON number or as text. (JSONSerialization gives booleans as numbers too: they are
  /// told apart by re-encoding the value, which prints `true`/`false` for them.)
  static func categoryNumber(_ value: Any) -> Int? {
    if let text = value as? String { return Int(text.trimmingCharacters(in: .whitespaces)).flatMap { (0...999).contains($0) ? $0 : nil } }
    guard let data = try? JSONSerialization.data(withJSONObject: [value], options: [.fragmentsAllowed]) else { return nil }
    let written = String(decoding: data, as: UTF8.self).dropFirst().dropLast()
    guard let number = Int(written), (0...999).contains(number) else { return nil }
    return number
  }
}
