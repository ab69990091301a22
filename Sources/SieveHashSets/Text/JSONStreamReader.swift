import SieveSystem

/// Reads a JSON document from a file one token at a time, in 1 MiB blocks, whatever its
/// size: values a caller wants are decoded, the rest are checked and skipped without being
/// held. It knows the line it is on (for error messages), strips a UTF-8 byte-order mark,
/// and hands every byte read to a checksum and an observer, as ``LineReader`` does.
///
/// Syntax is checked as strictly as RFC 8259 asks (no control characters in strings, no
/// leading zeros…), but for one trailing comma in an array or object, which Foundation's
/// parser accepts too; nesting is limited to ``maxDepth``, and a
/// string kept is limited to a caller's length: a hostile file costs time in proportion to
/// its size and a fixed amount of memory. Every error names the file and line.
struct JSONStreamReader {
  /// The deepest nesting of arrays and objects accepted.
  static let maxDepth = 512

  /// A scalar value as read: a string decoded, a number as it was written.
  enum Scalar: Equatable {
    case string(String)
    case number(String)
    case bool(Bool)
    case null
    /// A string longer than the caller's limit, or an array or object (skipped).
    case other(String)
  }

  private let file: OpenFile
  private let path: String
  /// The block being read: `buffer[position..<end]` is yet to be read.
  private var buffer: [UInt8]
  private var end: Int
  private var position = 0
  private var atEnd = false
  /// The line the next byte is on (1-based).
  private(set) var line = 1
  /// A checksum of every byte read so far.
  private(set) var checksum = StreamingChecksum64()
  private let observe: ((UnsafeRawBufferPointer) -> Void)?

  /// Reads an open file whose first bytes, `prefix`, were already read from it.
  init(file: OpenFile, path: String, prefix: [UInt8], observe: ((UnsafeRawBufferPointer) -> Void)? = nil) throws(HashSetError) {
    self.file = file
    self.path = path
    self.observe = observe
    buffer = prefix + [UInt8](repeating: 0, count: max(0, (1 << 20) - prefix.count))
    end = prefix.count
    prefix.withUnsafeBytes { bytes in
      checksum.update(bytes)
      if !bytes.isEmpty { observe?(bytes) }
    }
    // The first three bytes, whatever reads they take, tell whether a byte-order mark
    // starts the file; it is stripped there only.
    while end < 3, !atEnd { try read(at: end) }
    if end >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { position = 3 }
  }

  // MARK: Bytes

  /// Reads what comes next in the file into the buffer from `offset` (to at most 1 MiB),
  /// through the checksum and the observer; sets `atEnd` at the end of the file.
  private mutating func read(at offset: Int) throws(HashSetError) {
    let n: Int
    do throws(SystemError) {
      n = try buffer.withUnsafeMutableBytes { raw in
        Result { () throws(SystemError) in try file.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[offset..<max(offset, 1 << 20)])) }
      }.get()
    } catch {
      throw .io(file: path, reason: "read failed at line \(line): \(error)")
    }
    if n == 0 {
      atEnd = true
      return
    }
    buffer.withUnsafeBytes { raw in
      let block = UnsafeRawBufferPointer(rebasing: raw[offset..<offset + n])
      checksum.update(block)
      observe?(block)
    }
    end = offset + n
  }

  /// Reads the next block once the current one is used up; false at the end of the file.
  private mutating func refill() throws(HashSetError) -> Bool {
    while position >= end {
      if atEnd { return false }
      position = 0
      end = 0
      try read(at: 0)
    }
    return true
  }

  /// The next byte, not consumed; nil at the end of the file.
  @inline(__always)
  private mutating func peek() throws(HashSetError) -> UInt8? {
    if position < end { return buffer[position] }
    guard try refill() else { return nil }
    return buffer[position]
  }

  private func describe(_ byte: UInt8?) -> String {
    guard let byte else { return "the end of the file" }
    if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
    return "byte 0x\(String(byte, radix: 16, uppercase: true))"
  }

  /// A syntax error at the current line; not a bad record that could be skipped, since
  /// nothing after it can be read.
  private func fail(_ reason: String) -> HashSetError {
    .badLine(file: path, line: line, reason: "not valid JSON: \(reason)")
  }

  /// Skips white space and returns the next byte, not consumed (nil at the end).
  mutating func next() throws(HashSetError) -> UInt8? {
    while true {
      guard let byte = try peek() else {
        return nil
      }
      switch byte {
      case 0x0A:
        line += 1
        position += 1
      case 0x20, 0x09, 0x0D:
        position += 1
      default:
        return byte
      }
    }
  }

  /// Consumes `byte` (after white space), or fails saying what was expected.
  mutating func expect(_ byte: UInt8, _ what: String) throws(HashSetError) {
    let found = try next()
    guard found == byte else { throw fail("expected \(what), found \(describe(found))") }
    position += 1
  }

  /// Consumes the next byte if it is `byte` (after white space).
  mutating func consume(_ byte: UInt8) throws(HashSetError) -> Bool {
    guard try next() == byte else { return false }
    position += 1
    return true
  }

  /// Fails unless only white space is left.
  mutating func expectEnd() throws(HashSetError) {
    let found = try next()
    guard found == nil else { throw fail("\(describe(found)) after the end of the document") }
  }

  // MARK: Containers

  /// After an object's `{` or a member's value: the next member's key, or nil after the
  /// object's `}`. Keys are returned up to `keyLimit` bytes (a longer one as "").
  mutating func nextKey(first: Bool, keyLimit: Int = 64) throws(HashSetError) -> String? {
    if first {
      if try consume(UInt8(ascii: "}")) { return nil }
    } else {
      let found = try next()
      if found == UInt8(ascii: "}") { position += 1; return nil }
      guard found == UInt8(ascii: ",") else { throw fail("expected ',' or '}' in an object, found \(describe(found))") }
      position += 1
      // One trailing comma is tolerated, as Foundation's parser (which read VICS lists
      // before) tolerates it.
      if try consume(UInt8(ascii: "}")) { return nil }
    }
    let quote = try next()
    guard quote == UInt8(ascii: "\"") else { throw fail("expected a key (a string) in an object, found \(describe(quote))") }
    let key = try string(limit: keyLimit) ?? ""
    try expect(UInt8(ascii: ":"), "':' after a key")
    return key
  }

  /// After an array's `[` or an element: true when another element follows (positioned at
  /// it), false after the array's `]`.
  mutating func nextElement(first: Bool) throws(HashSetError) -> Bool {
    if first {
      if try consume(UInt8(ascii: "]")) { return false }
      guard try next() != nil else { throw fail("the file ends inside an array") }
      return true
    }
    let found = try next()
    if found == UInt8(ascii: "]") { position += 1; return false }
    guard found == UInt8(ascii: ",") else { throw fail("expected ',' or ']' in an array, found \(describe(found))") }
    position += 1
    return try !consume(UInt8(ascii: "]"))  // a trailing comma, tolerated as in objects
  }

  // MARK: Values

  /// The next value, decoded if it is a scalar (a string up to `limit` bytes), otherwise
  /// checked and skipped (as ``Scalar/other(_:)``).
  mutating func scalar(limit: Int = 4096) throws(HashSetError) -> Scalar {
    guard let byte = try next() else { throw fail("expected a value, found the end of the file") }
    switch byte {
    case UInt8(ascii: "\""):
      if let text = try string(limit: limit) { return .string(text) }
      return .other("a string over \(limit) bytes")
    case UInt8(ascii: "{"), UInt8(ascii: "["):
      try skipValue()
      return .other(byte == UInt8(ascii: "{") ? "an object" : "an array")
    case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
      return try literal()
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
      guard let text = try number() else { return .other("a number over 64 digits") }
      return .number(text)
    default:
      throw fail("expected a value, found \(describe(byte))")
    }
  }

  /// Checks and skips the next value, of any kind and depth (up to ``maxDepth``).
  mutating func skipValue() throws(HashSetError) {
    var open: [UInt8] = []  // the containers we are inside: '{' or '['
    while true {
      // A value starts here.
      guard let byte = try next() else { throw fail("expected a value, found the end of the file") }
      if (byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[")) && open.count >= Self.maxDepth {
        throw fail("nested deeper than \(Self.maxDepth) levels")
      }
      var finished = true
      switch byte {
      case UInt8(ascii: "\""):
        _ = try string(limit: 0)
      case UInt8(ascii: "{"):
        position += 1
        if let _ = try nextKey(first: true, keyLimit: 0) {
          open.append(UInt8(ascii: "{"))
          finished = false
        }
      case UInt8(ascii: "["):
        position += 1
        if try nextElement(first: true) {
          open.append(UInt8(ascii: "["))
          finished = false
        }
      case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
        _ = try literal()
      case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        _ = try number(keep: false)
      default:
        throw fail("expected a value, found \(describe(byte))")
      }
      if !finished { continue }
      // A value ended: close the containers it completes, or move to the next member.
      while let container = open.last {
        let more: Bool
        if container == UInt8(ascii: "{") {
          more = try nextKey(first: false, keyLimit: 0) != nil
        } else {
          more = try nextElement(first: false)
        }
        if more { break }
        open.removeLast()
      }
      if open.isEmpty { return }
    }
  }

  /// Reads a string (positioned at its opening quote): decoded when it is at most `limit`
  /// bytes, nil when longer (it is still checked and consumed).
  mutating func string(limit: Int) throws(HashSetError) -> String? {
    position += 1  // the opening quote
    var kept: [UInt8] = []
    var over = false
    while true {
      guard try peek() != nil else { throw fail("the file ends inside a string") }
      // The plain run up to a quote, backslash or control character, in one pass.
      let (runEnd, stop) = buffer.withUnsafeBufferPointer { [position, end] b -> (Int, UInt8?) in
        var i = position
        while i < end {
          let c = b[i]
          if c == 0x22 || c == 0x5C || c < 0x20 || c >= 0x80 { return (i, c) }
          i += 1
        }
        return (i, nil)
      }
      if stop == 0x22 && kept.isEmpty && !over {
        // The common case: a plain string closed in this block, decoded where it lies.
        let text = runEnd - position > limit ? nil : buffer.withUnsafeBufferPointer { [position] b in
          String(decoding: UnsafeBufferPointer(rebasing: b[position..<runEnd]), as: UTF8.self)
        }
        position = runEnd + 1
        return text
      }
      if !over {
        if kept.count + (runEnd - position) > limit {
          over = true
          kept = []
        } else {
          kept.append(contentsOf: buffer[position..<runEnd])
        }
      }
      position = runEnd
      guard let stop else { continue }
      if stop == 0x22 {
        position += 1
        return over ? nil : String(decoding: kept, as: UTF8.self)
      }
      if stop < 0x20 { throw fail("a control character (\(describe(stop))) inside a string") }
      let decoded = stop >= 0x80 ? try utf8Sequence() : try escapeSequence()
      if !over {
        if kept.count + decoded.count > limit {
          over = true
          kept = []
        } else {
          kept += decoded
        }
      }
    }
  }

  /// An escape (positioned at its backslash), decoded to UTF-8.
  private mutating func escapeSequence() throws(HashSetError) -> [UInt8] {
    position += 1
    guard let escaped = try peek() else { throw fail("the file ends inside a string") }
    position += 1
    switch escaped {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return [escaped]
    case UInt8(ascii: "b"): return [0x08]
    case UInt8(ascii: "f"): return [0x0C]
    case UInt8(ascii: "n"): return [0x0A]
    case UInt8(ascii: "r"): return [0x0D]
    case UInt8(ascii: "t"): return [0x09]
    case UInt8(ascii: "u"):
      var unit = try hex4()
      if (0xD800..<0xDC00).contains(unit) {
        // A high surrogate: a low one must follow.
        guard try peek() == UInt8(ascii: "\\") else { throw fail("a lone surrogate \\u\(String(unit, radix: 16)) in a string") }
        position += 1
        guard try peek() == UInt8(ascii: "u") else { throw fail("a lone surrogate \\u\(String(unit, radix: 16)) in a string") }
        position += 1
        let low = try hex4()
        guard (0xDC00..<0xE000).contains(low) else { throw fail("a lone surrogate \\u\(String(unit, radix: 16)) in a string") }
        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
      } else if (0xDC00..<0xE000).contains(unit) {
        throw fail("a lone surrogate \\u\(String(unit, radix: 16)) in a string")
      }
      return Array(String(Character(Unicode.Scalar(unit)!)).utf8)
    default:
      throw fail("an unknown escape \\\(describe(escaped)) in a string")
    }
  }

  /// One UTF-8 sequence of two to four bytes (positioned at its first byte), checked as
  /// RFC 3629 asks: no overlong forms, no surrogates, nothing past U+10FFFF.
  private mutating func utf8Sequence() throws(HashSetError) -> [UInt8] {
    guard let lead = try peek() else { throw fail("the file ends inside a string") }
    let count: Int
    var second: ClosedRange<UInt8> = 0x80...0xBF
    switch lead {
    case 0xC2...0xDF: count = 2
    case 0xE0: count = 3; second = 0xA0...0xBF
    case 0xED: count = 3; second = 0x80...0x9F
    case 0xE1...0xEF: count = 3
    case 0xF0: count = 4; second = 0x90...0xBF
    case 0xF4: count = 4; second = 0x80...0x8F
    case 0xF1...0xF3: count = 4
    default: throw fail("a string that is not UTF-8 (\(describe(lead)))")
    }
    var bytes = [lead]
    position += 1
    for i in 1..<count {
      let next = try peek()
      guard let next, (i == 1 ? second : 0x80...0xBF).contains(next) else {
        throw fail("a string that is not UTF-8 (\(describe(lead)) then \(describe(next)))")
      }
      bytes.append(next)
      position += 1
    }
    return bytes
  }

  private mutating func hex4() throws(HashSetError) -> UInt32 {
    var value: UInt32 = 0
    for _ in 0..<4 {
      guard let c = try peek() else { throw fail("the file ends inside a string") }
      let digit: UInt32
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
      default: throw fail("\\u needs four hex digits, found \(describe(c))")
      }
      value = value << 4 | digit
      position += 1
    }
    return value
  }

  /// `true`, `false` or `null`.
  private mutating func literal() throws(HashSetError) -> Scalar {
    let first = try peek()
    let (word, value): (StaticString, Scalar) =
      first == UInt8(ascii: "t") ? ("true", .bool(true)) : first == UInt8(ascii: "f") ? ("false", .bool(false)) : ("null", .null)
    let expected = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
    for c in expected {
      let found = try peek()
      guard found == c else { throw fail("expected \(word), found \(describe(found))") }
      position += 1
    }
    try checkDelimiter()
    return value
  }

  /// A number, as written (`-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`); nil when it
  /// is longer than 64 bytes (never cut short: that could change its value).
  private mutating func number(keep: Bool = true) throws(HashSetError) -> String? {
    var text: [UInt8] = []
    var long = false
    func take(_ c: UInt8) {
      guard keep else { return }
      if text.count < 64 { text.append(c) } else { long = true }
    }
    func digits(_ reader: inout JSONStreamReader) throws(HashSetError) -> Int {
      var n = 0
      while let c = try reader.peek(), c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
        take(c)
        reader.position += 1
        n += 1
      }
      return n
    }
    if try peek() == UInt8(ascii: "-") { take(UInt8(ascii: "-")); position += 1 }
    let leading = try peek()
    let whole = try digits(&self)
    guard whole > 0 else { throw fail("a number needs digits") }
    if leading == UInt8(ascii: "0") && whole > 1 { throw fail("a number with a leading zero") }
    if try peek() == UInt8(ascii: ".") {
      take(UInt8(ascii: "."))
      position += 1
      guard try digits(&self) > 0 else { throw fail("a number needs digits after '.'") }
    }
    if let e = try peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
      take(e)
      position += 1
      if let sign = try peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { take(sign); position += 1 }
      guard try digits(&self) > 0 else { throw fail("a number needs digits in its exponent") }
    }
    try checkDelimiter()
    return long ? nil : String(decoding: text, as: UTF8.self)
  }

  /// After a number or literal: what follows must end it.
  private mutating func checkDelimiter() throws(HashSetError) {
    guard let c = try peek() else { return }
    switch c {
    case 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"): return
    default: throw fail("unexpected \(describe(c)) after a value")
    }
  }
}
