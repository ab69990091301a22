/// Reads the body almost every hash-only query sends, `{"pdq": "<hex>"}`, without
/// `JSONDecoder`.
///
/// Only a strict subset of JSON is taken: one object with the one member `"pdq"`, whose
/// string holds printable ASCII without escapes, with JSON whitespace between the tokens.
/// Anything else gives nil and is left to `JSONDecoder`, so every value read here is the one
/// `JSONDecoder` would read, and every error is still `JSONDecoder`'s (`QuickHashBodyTests`
/// compares the two). `JSONDecoder` was 4 % of the service's CPU on `/v1/match`.
enum QuickHashBody {
  /// The hashes of `body`, or nil when it is not exactly `{"pdq": "<printable ASCII>"}`.
  static func hashes(_ body: UnsafeRawBufferPointer) -> API.Hashes? {
    let n = body.count
    var i = 0
    func skipSpace() {
      while i < n, body[i] == 0x20 || body[i] == 0x09 || body[i] == 0x0A || body[i] == 0x0D { i += 1 }
    }
    func take(_ byte: UInt8) -> Bool {
      skipSpace()
      guard i < n, body[i] == byte else { return false }
      i += 1
      return true
    }
    guard take(UInt8(ascii: "{")), take(UInt8(ascii: "\"")) else { return nil }
    guard n - i >= 4, body[i] == UInt8(ascii: "p"), body[i + 1] == UInt8(ascii: "d"), body[i + 2] == UInt8(ascii: "q"),
      body[i + 3] == UInt8(ascii: "\"")
    else { return nil }
    i += 4
    guard take(UInt8(ascii: ":")), take(UInt8(ascii: "\"")) else { return nil }
    let start = i
    while i < n, body[i] != UInt8(ascii: "\"") {
      // Escapes, control characters and non-ASCII are JSONDecoder's to read (or refuse).
      guard body[i] >= 0x20, body[i] < 0x7F, body[i] != UInt8(ascii: "\\") else { return nil }
      i += 1
    }
    guard i < n else { return nil }
    let text = String(decoding: UnsafeRawBufferPointer(rebasing: body[start..<i]), as: UTF8.self)
    i += 1
    guard take(UInt8(ascii: "}")) else { return nil }
    skipSpace()
    guard i == n else { return nil }
    return API.Hashes(pdq: text)
  }
}
