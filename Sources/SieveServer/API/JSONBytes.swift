/// A JSON text written straight into bytes, for the answers and audit lines the service
/// writes on every request: what `JSONEncoder` with sorted keys and unescaped slashes
/// writes for the same values, byte for byte (the tests compare the two), in a fraction of
/// the time (its `Codable` path was a quarter of a hash-only match's work).
///
/// The writer does not sort: a type's ``JSONBytesEncodable/write(to:)`` gives its keys
/// in sorted order. A value it cannot write as `JSONEncoder` would (a number that is not
/// finite, which `JSONEncoder` refuses) marks the text failed, and the caller uses
/// `JSONEncoder` instead, which says why.
struct JSONBytes {
  private(set) var bytes: [UInt8] = []
  /// A value could not be written (`JSONEncoder` refuses it).
  private(set) var failed = false
  /// Whether the next member or element follows another (and needs a comma first).
  private var afterValue = false

  init(capacity: Int = 512) {
    bytes.reserveCapacity(capacity)
  }

  mutating func fail() { failed = true }

  /// `{ … }`, the members written by `body`.
  mutating func object(_ body: (inout JSONBytes) -> Void) {
    bytes.append(0x7B)
    afterValue = false
    body(&self)
    bytes.append(0x7D)
    afterValue = true
  }

  /// `[ … ]` of `values`.
  mutating func array<S: Sequence>(_ values: S) where S.Element: JSONBytesValue {
    bytes.append(0x5B)
    afterValue = false
    for value in values {
      if afterValue { bytes.append(0x2C) }
      value.write(to: &self)
    }
    bytes.append(0x5D)
    afterValue = true
  }

  /// `"key":value`, or nothing for an absent optional (as `encodeIfPresent` does).
  mutating func member<T: JSONBytesValue>(_ key: StaticString, _ value: T?) {
    guard let value else { return }
    if afterValue { bytes.append(0x2C) }
    bytes.append(0x22)
    key.withUTF8Buffer { bytes.append(contentsOf: $0) }
    bytes.append(0x22)
    bytes.append(0x3A)
    value.write(to: &self)
  }

  /// A scalar's text: the last thing written is a value.
  mutating func scalar(_ text: some Sequence<UInt8>) {
    bytes.append(contentsOf: text)
    afterValue = true
  }

  private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

  /// A string: quotes, backslashes and control characters escaped (slashes and everything
  /// from U+007F up as they are, in UTF-8).
  mutating func string(_ value: String) {
    bytes.append(0x22)
    var value = value
    value.withUTF8 { utf8 in
      var start = 0
      for (i, b) in utf8.enumerated() where b < 0x20 || b == 0x22 || b == 0x5C {
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
        start = i + 1
        bytes.append(0x5C)
        switch b {
        case 0x22, 0x5C: bytes.append(b)
        case 0x08: bytes.append(0x62)  // \b
        case 0x09: bytes.append(0x74)  // \t
        case 0x0A: bytes.append(0x6E)  // \n
        case 0x0C: bytes.append(0x66)  // \f
        case 0x0D: bytes.append(0x72)  // \r
        default:
          bytes.append(contentsOf: [0x75, 0x30, 0x30, Self.hexDigits[Int(b >> 4)], Self.hexDigits[Int(b & 0xF)]])
        }
      }
      bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
    }
    bytes.append(0x22)
    afterValue = true
  }
}

/// A value ``JSONBytes`` writes.
protocol JSONBytesValue {
  func write(to json: inout JSONBytes)
}

/// An object ``JSONBytes`` writes, its members in sorted key order.
protocol JSONBytesEncodable: JSONBytesValue, Encodable {}

extension String: JSONBytesValue {
  func write(to json: inout JSONBytes) { json.string(self) }
}

extension Int: JSONBytesValue {
  func write(to json: inout JSONBytes) { json.scalar(String(self).utf8) }
}

extension Bool: JSONBytesValue {
  func write(to json: inout JSONBytes) { json.scalar((self ? "true" : "false").utf8) }
}

extension Double: JSONBytesValue {
  /// As `JSONEncoder` writes a `Double`: Swift's shortest form that reads back exactly,
  /// without a trailing `.0`.
  func write(to json: inout JSONBytes) {
    guard isFinite else { return json.fail() }
    var text = description
    if text.hasSuffix(".0") { text.removeLast(2) }
    json.scalar(text.utf8)
  }
}

extension Array: JSONBytesValue where Element: JSONBytesValue {
  func write(to json: inout JSONBytes) { json.array(self) }
}
