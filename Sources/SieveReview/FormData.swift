import Foundation

/// A posted form's fields: `application/x-www-form-urlencoded`, or `multipart/form-data`
/// with its files kept in memory.
struct FormData: Sendable {
  /// Every field in order; a name may repeat (ticked files).
  var fields: [(name: String, value: String)] = []
  /// Files by field name: their bytes.
  var files: [String: [UInt8]] = [:]

  func value(_ name: String) -> String? { fields.first { $0.name == name }?.value }
  func values(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }

  /// Parses a URL-encoded body.
  init(urlEncoded bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      let decode = { (s: Substring) in (s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding) ?? "" }
      fields.append((decode(parts[0]), parts.count > 1 ? decode(parts[1]) : ""))
    }
  }

  init() {}

  /// Parses a multipart body with `boundary`; nil when it is not well formed.
  init?(multipart bytes: [UInt8], boundary: String) {
    let delimiter = Array(("--" + boundary).utf8)
    guard !boundary.isEmpty, boundary.utf8.count <= 200 else { return nil }
    var positions: [Int] = []
    var i = 0
    let n = bytes.count, d = delimiter.count
    while i + d <= n {
      if bytes[i] == delimiter[0], bytes[i..<(i + d)].elementsEqual(delimiter) {
        positions.append(i)
        i += d
      } else {
        i += 1
      }
    }
    guard positions.count >= 2 else { return nil }
    for (a, b) in zip(positions, positions.dropFirst()) {
      var start = a + d
      // Skip the CRLF after the delimiter.
      if start + 1 < n, bytes[start] == 0x0D, bytes[start + 1] == 0x0A { start += 2 }
      var end = b
      if end >= 2, bytes[end - 2] == 0x0D, bytes[end - 1] == 0x0A { end -= 2 }
      guard start <= end else { continue }
      let part = bytes[start..<end]
      // Headers end at the first blank line.
      guard let split = Self.find([0x0D, 0x0A, 0x0D, 0x0A], in: part) else { continue }
      let head = String(decoding: part[part.startIndex..<split], as: UTF8.self)
      let content = Array(part[(split + 4)...])
      guard let disposition = head.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-disposition:") }) else { continue }
      guard let name = Self.parameter("name", in: String(disposition)) else { continue }
      if Self.parameter("filename", in: String(disposition)) != nil {
        files[name] = content
      } else {
        fields.append((name, String(decoding: content, as: UTF8.self)))
      }
    }
  }

  private static func find(_ needle: [UInt8], in hay: ArraySlice<UInt8>) -> Int? {
    guard hay.count >= needle.count else { return nil }
    var i = hay.startIndex
    while i + needle.count <= hay.endIndex {
      if hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
      i += 1
    }
    return nil
  }

  private static func parameter(_ key: String, in header: String) -> String? {
    for piece in header.split(separator: ";").dropFirst() {
      let p = piece.trimmingCharacters(in: .whitespaces)
      guard p.lowercased().hasPrefix(key + "=") else { continue }
      var value = String(p.dropFirst(key.count + 1))
      if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
      return value
    }
    return nil
  }
}
