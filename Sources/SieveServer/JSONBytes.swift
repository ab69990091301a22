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
  /// Whether the open object or array has a member yet, one flag a level.
  private var hasMember: [Bool] = []

  init(capacity: Int = 512) {
    bytes.reserveCapacity(capacity)
  }

  mutating func fail() { failed = true }

  /// `{ … }`, the members written by `body`.
  mutating func object(_ body: (inout JSONBytes) -> Void) {
    open(0x7B)
    body(&self)
    close(0x7D)
  }

  /// `[ … ]` of `values`, each written by `body`.
  mutating func array<S: Sequence>(_ values: S, _ body: (inout JSONBytes, S.Element) -> Void) {
    open(0x5B)
    for value in values {
      separate()
      body(&self, value)
    }
    close(0x5D)
  }

  private mutating func open(_ bracket: UInt8) {
    bytes.append(bracket)
    hasMember.append(false)
  }

  private mutating func close(_ bracket: UInt8) {
    hasMember.removeLast()
    bytes.append(bracket)
  }

  /// A comma before every member but the first.
  private mutating func separate() {
    if hasMember[hasMember.count - 1] { bytes.append(0x2C) } else { hasMember[hasMember.count - 1] = true }
  }

  /// `"key":`, before the member's value.
  mutating func key(_ key: StaticString) {
    separate()
    bytes.append(0x22)
    key.withUTF8Buffer { bytes.append(contentsOf: $0) }
    bytes.append(0x22)
    bytes.append(0x3A)
  }

  // MARK: Members (an absent optional is left out, as `encodeIfPresent` does)

  mutating func member(_ key: StaticString, _ value: String?) {
    guard let value else { return }
    self.key(key)
    string(value)
  }

  mutating func member(_ key: StaticString, _ value: Int?) {
    guard let value else { return }
    self.key(key)
    integer(value)
  }

  mutating func member(_ key: StaticString, _ value: Double?) {
    guard let value else { return }
    self.key(key)
    number(value)
  }

  mutating func member(_ key: StaticString, _ value: Bool?) {
    guard let value else { return }
    self.key(key)
    bytes.append(contentsOf: value ? Self.trueBytes : Self.falseBytes)
  }

  mutating func member<T: JSONBytesEncodable>(_ key: StaticString, _ value: T?) {
    guard let value else { return }
    self.key(key)
    value.write(to: &self)
  }

  mutating func member<T: JSONBytesEncodable>(_ key: StaticString, _ values: [T]?) {
    guard let values else { return }
    self.key(key)
    array(values) { json, value in value.write(to: &json) }
  }

  private static let trueBytes: [UInt8] = Array("true".utf8)
  private static let falseBytes: [UInt8] = Array("false".utf8)
  private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

  // MARK: Values

  mutating func integer(_ value: Int) {
    bytes.append(contentsOf: String(value).utf8)
  }

  /// As `JSONEncoder` writes a `Double`: Swift's shortest form that reads back exactly,
  /// without a trailing `.0`.
  mutating func number(_ value: Double) {
    guard value.isFinite else { return fail() }
    var text = value.description
    if text.hasSuffix(".0") { text.removeLast(2) }
    bytes.append(contentsOf: text.utf8)
  }

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
  }
}

/// A value ``JSONBytes`` writes: an object whose members it writes in sorted key order.
protocol JSONBytesEncodable: Encodable {
  func write(to json: inout JSONBytes)
}
