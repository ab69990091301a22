import Foundation
import SieveCore
import SieveSystem
import SieveTestSupport
import Testing

@testable import SieveHashSets

/// The streaming JSON reader VICS lists are read with: every value decoded as written,
/// across block boundaries; malformed JSON refused exactly where Foundation's parser refuses
/// it, at the right line; nesting bounded.
@Suite struct JSONStreamReaderTests {
  /// A JSON value, for building documents and reading them back.
  indirect enum Value: Equatable {
    case string(String)
    case number(String)
    case bool(Bool)
    case null
    case array([Value])
    case object([(String, Value)])

    static func == (a: Value, b: Value) -> Bool {
      switch (a, b) {
      case (.string(let x), .string(let y)): return x == y
      case (.number(let x), .number(let y)): return x == y
      case (.bool(let x), .bool(let y)): return x == y
      case (.null, .null): return true
      case (.array(let x), .array(let y)): return x == y
      case (.object(let x), .object(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
      default: return false
      }
    }
  }

  /// Writes `value` as JSON, with random white space and escapes.
  static func write(_ value: Value, into out: inout String, rng: inout SplitMix64) {
    func space() {
      switch rng.next() % 6 {
      case 0: out += " "
      case 1: out += "\n  "
      case 2: out += "\r\n\t"
      default: break
      }
    }
    func string(_ s: String) {
      out += "\""
      for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += rng.next() % 2 == 0 ? "\\\\" : "\\u005C"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "/": out += rng.next() % 2 == 0 ? "\\/" : "/"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        case _ where scalar.value > 0xFFFF && rng.next() % 2 == 0:
          // As a surrogate pair.
          let v = scalar.value - 0x10000
          out += String(format: "\\uD%03X\\u%04X", 0x800 + (v >> 10), 0xDC00 + (v & 0x3FF))
        case _ where scalar.value > 0x7F && scalar.value <= 0xFFFF && rng.next() % 3 == 0: out += String(format: "\\u%04X", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
      }
      out += "\""
    }
    space()
    switch value {
    case .string(let s): string(s)
    case .number(let n): out += n
    case .bool(let b): out += b ? "true" : "false"
    case .null: out += "null"
    case .array(let items):
      out += "["
      for (i, item) in items.enumerated() {
        if i > 0 { out += "," }
        write(item, into: &out, rng: &rng)
      }
      space()
      out += "]"
    case .object(let members):
      out += "{"
      for (i, (key, item)) in members.enumerated() {
        if i > 0 { out += "," }
        space()
        string(key)
        space()
        out += ":"
        write(item, into: &out, rng: &rng)
      }
      space()
      out += "}"
    }
    space()
  }

  static func randomString(_ rng: inout SplitMix64, long: Bool = false) -> String {
    let pool: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{01}", "é", "€", "😀", "𝄞", "字", "\u{7F}"]
    let n = long ? Int(rng.next() % 300_000) : Int(rng.next() % 12)
    var s = ""
    for _ in 0..<n { s.unicodeScalars.append(pool[Int(rng.next() % UInt64(pool.count))]) }
    return s
  }

  static func randomValue(_ rng: inout SplitMix64, depth: Int) -> Value {
    let numbers = ["0", "-0", "7", "-12", "3.25", "1e9", "-2.5E-3", "123456789012345678901234567890", "0.0", "1E+2"]
    switch rng.next() % (depth > 3 ? 5 : 7) {
    case 0: return .string(randomString(&rng, long: depth == 0 && rng.next() % 8 == 0))
    case 1: return .number(numbers[Int(rng.next() % UInt64(numbers.count))])
    case 2: return .bool(rng.next() % 2 == 0)
    case 3: return .null
    case 4: return .string(randomString(&rng))
    case 5: return .array((0..<Int(rng.next() % 5)).map { _ in randomValue(&rng, depth: depth + 1) })
    default:
      return .object((0..<Int(rng.next() % 5)).map { i in ("\(randomString(&rng))\(i)", randomValue(&rng, depth: depth + 1)) })
    }
  }

  /// Reads one value back with the stream reader's calls, as VICSReader does.
  static func read(_ json: inout JSONStreamReader) throws(HashSetError) -> Value {
    switch try json.next() {
    case UInt8(ascii: "{"):
      _ = try json.consume(UInt8(ascii: "{"))
      var members: [(String, Value)] = []
      var first = true
      while let key = try json.nextKey(first: first, keyLimit: 1 << 20) {
        first = false
        members.append((key, try read(&json)))
      }
      return .object(members)
    case UInt8(ascii: "["):
      _ = try json.consume(UInt8(ascii: "["))
      var items: [Value] = []
      var more = try json.nextElement(first: true)
      while more {
        items.append(try read(&json))
        more = try json.nextElement(first: false)
      }
      return .array(items)
    default:
      switch try json.scalar(limit: 1 << 22) {
      case .string(let s): return .string(s)
      case .number(let n): return .number(n)
      case .bool(let b): return .bool(b)
      case .null: return .null
      case .other(let what): Issue.record("unexpected \(what)"); return .null
      }
    }
  }

  /// A stream reader over `bytes`, written to a file, whose first `prefix` bytes are handed
  /// over as already read (as the loader does).
  static func withReader<T>(_ bytes: [UInt8], prefix: Int = 0, _ body: (inout JSONStreamReader) throws -> T) throws -> T {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("doc.json", bytes)
    let file = try OpenFile(path)
    var head = [UInt8](repeating: 0, count: min(prefix, bytes.count))
    _ = try file.readFully(into: &head)
    var json = try JSONStreamReader(file: file, path: "doc.json", prefix: head)
    return try body(&json)
  }

  @Test func readsBackWhatWasWrittenAcrossBlocks() throws {
    var rng = SplitMix64(seed: 0x4A53_4F4E)
    for round in 0..<24 {
      var members: [(String, Value)] = []
      for i in 0..<40 { members.append(("k\(i)", Self.randomValue(&rng, depth: 0))) }
      let value = Value.object(members)
      var text = round % 5 == 0 ? "\u{FEFF}" : ""
      Self.write(value, into: &text, rng: &rng)
      let read = try Self.withReader(Array(text.utf8), prefix: [8, 1, 0][round % 3]) { json in
        let v = try Self.read(&json)
        try json.expectEnd()
        // Every byte went through the checksum.
        var whole = StreamingChecksum64()
        Array(text.utf8).withUnsafeBytes { whole.update($0) }
        #expect(json.checksum.finalize() == whole.finalize())
        return v
      }
      #expect(read == value, "round \(round)")
    }
  }

  @Test func skipsValuesOfAnyShapeAndCountsLines() throws {
    var rng = SplitMix64(seed: 77)
    for _ in 0..<40 {
      var text = ""
      Self.write(.array((0..<30).map { _ in Self.randomValue(&rng, depth: 0) }), into: &text, rng: &rng)
      text += "\n\n"
      let lines = text.utf8.filter { $0 == 0x0A }.count + 1
      try Self.withReader(Array(text.utf8)) { json in
        try json.skipValue()
        try json.expectEnd()
        #expect(json.line == lines)
      }
    }
  }

  /// Documents broken by random edits: the stream reader refuses exactly those Foundation's
  /// parser refuses.
  @Test func refusesWhatFoundationRefuses() throws {
    var rng = SplitMix64(seed: 2026)
    // Bytes that break JSON, and bytes that break UTF-8 (a lone lead, a stray continuation,
    // bytes UTF-8 never uses, a surrogate's lead).
    let edits: [UInt8] = Array("{}[],:\"\\ 0-1e.+tfnu\n\u{01}x".utf8) + [0xC3, 0x80, 0xFF, 0xC0, 0xED, 0xF5]
    var refused = 0
    for round in 0..<1500 {
      var text = ""
      Self.write(.array((0..<3).map { _ in Self.randomValue(&rng, depth: 3) }), into: &text, rng: &rng)
      var bytes = Array(text.utf8)
      for _ in 0..<(1 + Int(rng.next() % 3)) {
        let at = Int(rng.next() % UInt64(bytes.count))
        switch rng.next() % 3 {
        case 0: bytes[at] = edits[Int(rng.next() % UInt64(edits.count))]
        case 1: bytes.insert(edits[Int(rng.next() % UInt64(edits.count))], at: at)
        default: bytes.remove(at: at)
        }
        if bytes.isEmpty { bytes = [0x5B] }
      }
      let edited = String(decoding: bytes, as: UTF8.self)
      // Foundation also refuses numbers beyond a Double's range (RFC 8259 lets parsers
      // limit them); this reader, which never converts a number it skips, does not.
      if Self.hasLongExponent(bytes) { continue }
      let foundation = (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
      var error: HashSetError?
      do {
        try Self.withReader(bytes) { json in
          try json.skipValue()
          try json.expectEnd()
        }
      } catch let e as HashSetError {
        error = e
      }
      #expect((error == nil) == foundation, "round \(round): \(edited.debugDescription) → \(error.map(\.description) ?? "accepted")")
      if let error {
        refused += 1
        guard case .badLine(let file, let line, let reason) = error else {
          Issue.record("\(error)")
          continue
        }
        #expect(file == "doc.json" && reason.hasPrefix("not valid JSON: "))
        #expect(line >= 1 && line <= bytes.filter { $0 == 0x0A }.count + 1)
      }
    }
    #expect(refused > 500)
  }

  /// Whether `bytes` hold an exponent of three digits or more (`e308`, `E-400`).
  static func hasLongExponent(_ bytes: [UInt8]) -> Bool {
    for i in bytes.indices where bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
      var j = i + 1
      if j < bytes.count && (bytes[j] == UInt8(ascii: "+") || bytes[j] == UInt8(ascii: "-")) { j += 1 }
      var digits = 0
      while j < bytes.count && bytes[j] >= UInt8(ascii: "0") && bytes[j] <= UInt8(ascii: "9") { digits += 1; j += 1 }
      if digits >= 3 { return true }
    }
    return false
  }

  @Test func errorsNameTheLine() throws {
    let cases: [(String, Int, String)] = [
      ("{\n\"a\": [1,\n 2,,\n 3]}", 3, "expected a value, found ','"),
      ("{\"a\": 1,\n,}", 2, "expected a key (a string) in an object, found ','"),
      ("[\n,]", 2, "expected a value, found ','"),
      ("[1, 2]\n\n x", 3, "'x' after the end of the document"),
      ("[\"tab\there\"]", 1, "a control character (byte 0x9) inside a string"),
      ("{\"a\":\n\n [01]}", 3, "a number with a leading zero"),
      ("[\"\\ud800x\"]", 1, "a lone surrogate \\ud800 in a string"),
      ("{\"a\": [true, fals]}", 1, "expected false, found ']'"),
      ("{\"a\":\n \"never closed", 2, "the file ends inside a string"),
      ("{\"a\": [1, 2", 1, "expected ',' or ']' in an array, found the end of the file"),
    ]
    for (text, line, reason) in cases {
      #expect {
        try Self.withReader(Array(text.utf8)) { json in
          try json.skipValue()
          try json.expectEnd()
        }
      } throws: { error in
        (error as? HashSetError) == .badLine(file: "doc.json", line: line, reason: "not valid JSON: \(reason)")
      }
    }
  }

  @Test func refusesStringsThatAreNotUTF8() throws {
    let cases: [([UInt8], String)] = [
      ([0xFF], "a string that is not UTF-8 (byte 0xFF)"),
      ([0xC3, 0x41], "a string that is not UTF-8 (byte 0xC3 then 'A')"),
      ([0xE0, 0x80, 0x80], "a string that is not UTF-8 (byte 0xE0 then byte 0x80)"),  // overlong
      ([0xED, 0xA0, 0x80], "a string that is not UTF-8 (byte 0xED then byte 0xA0)"),  // a surrogate
      ([0xF4, 0x90, 0x80, 0x80], "a string that is not UTF-8 (byte 0xF4 then byte 0x90)"),  // past U+10FFFF
      ([0xE2, 0x82], "a string that is not UTF-8 (byte 0xE2 then '\"')"),  // cut short
    ]
    for (bad, reason) in cases {
      let bytes = Array("[\"caf\u{E9} \u{1F600}\",\n\"".utf8) + bad + Array("\"]".utf8)
      #expect(throws: HashSetError.badLine(file: "doc.json", line: 2, reason: "not valid JSON: \(reason)")) {
        try Self.withReader(bytes) { json in try json.skipValue() }
      }
    }
  }

  @Test func boundsNestingAndKeptStrings() throws {
    // Nesting: 512 levels are read, 513 refused, a million refused without recursion.
    for (depth, ok) in [(512, true), (513, false), (1_000_000, false)] {
      let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
      let result = Result { try Self.withReader(Array(text.utf8)) { json in try json.skipValue() } }
      if ok {
        #expect(throws: Never.self) { try result.get() }
      } else {
        #expect(throws: HashSetError.badLine(file: "doc.json", line: 1, reason: "not valid JSON: nested deeper than 512 levels")) { try result.get() }
      }
    }
    // A string over the limit is consumed, not kept.
    let long = "[\"" + String(repeating: "a", count: 3 << 20) + "\", \"short\"]"
    try Self.withReader(Array(long.utf8)) { json in
      _ = try json.consume(UInt8(ascii: "["))
      #expect(try json.nextElement(first: true))
      #expect(try json.scalar(limit: 100) == .other("a string over 100 bytes"))
      #expect(try json.nextElement(first: false))
      #expect(try json.scalar(limit: 100) == .string("short"))
      #expect(try !json.nextElement(first: false))
      try json.expectEnd()
    }
  }
}
