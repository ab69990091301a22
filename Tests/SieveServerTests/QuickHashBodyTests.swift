import Foundation
import SieveCore
import SieveTestSupport
import Testing

@testable import SieveServer

/// The hand-read query body (``QuickHashBody``) against `JSONDecoder`: whatever it reads,
/// `JSONDecoder` reads the same; the rest it leaves to `JSONDecoder`.
@Suite struct QuickHashBodyTests {
  static func quick(_ text: String) -> API.Hashes? {
    Array(text.utf8).withUnsafeBytes { QuickHashBody.hashes($0) }
  }

  static func decoded(_ text: String) -> API.Hashes? {
    try? JSONDecoder().decode(API.Hashes.self, from: Data(text.utf8))
  }

  static let hex = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"

  @Test func theCommonShapesAreReadByHand() throws {
    for body in [
      #"{"pdq":"\#(Self.hex)"}"#, #"{"pdq": "\#(Self.hex)"}"#, " \t\r\n{ \"pdq\" :\n\"\(Self.hex)\" }\n",
      #"{"pdq":"not hex at all"}"#, #"{"pdq":""}"#,
    ] {
      let hashes = try #require(Self.quick(body), "\(body.debugDescription)")
      let reference = try #require(Self.decoded(body))
      #expect(hashes.pdq == reference.pdq)
    }
  }

  @Test func everythingElseIsLeftToJSONDecoder() {
    for body in [
      "", "{}", #"{"pdq":null}"#, #"{"pdq":"a\"b"}"#, #"{"pdq":"\u0041"}"#, #"{"pdq":"é"}"#, "{\"pdq\":\"a\u{1}\"}",
      #"{"pdq":"\#(Self.hex)","phash":"ffffffffffffffff"}"#, #"{"phash":"ffffffffffffffff"}"#, #"{"pdq":"\#(Self.hex)"} x"#,
      #"{"pdq":"\#(Self.hex)""#, #"{"pdq":"\#(Self.hex)}"#, #"["pdq"]"#, #"{"pdqx":"a"}"#, #"{"pd":"a"}"#, #"{pdq:"a"}"#,
      "\u{FEFF}{\"pdq\":\"a\"}", #"{"pdq":"a"}}"#, #"{"pdq":1}"#,
    ] {
      #expect(Self.quick(body) == nil, "\(body.debugDescription)")
    }
  }

  /// Every byte value in the string and between the tokens: only printable ASCII (less the
  /// quote and backslash) is read in the string, only JSON's four blanks between tokens,
  /// and JSONDecoder reads each such body the same. NUL, form feed, DEL and bytes that are
  /// not UTF-8 are left to JSONDecoder.
  @Test func everyByteValue() {
    func quick(_ bytes: [UInt8]) -> API.Hashes? { bytes.withUnsafeBytes { QuickHashBody.hashes($0) } }
    func decoded(_ bytes: [UInt8]) -> API.Hashes? { try? JSONDecoder().decode(API.Hashes.self, from: Data(bytes)) }
    for byte in UInt8.min...UInt8.max {
      let inString = Array(#"{"pdq":"a"#.utf8) + [byte] + Array(#"b"}"#.utf8)
      let readable = byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
      #expect((quick(inString) != nil) == readable, "byte \(byte) in the string")
      if let hashes = quick(inString) { #expect(decoded(inString)?.pdq == hashes.pdq, "byte \(byte)") }
      for at in [0, 1, 7, 8] {
        var between = Array(#"{"pdq":"ab"}"#.utf8)
        between.insert(byte, at: at == 8 ? between.count : at == 7 ? 6 : at)
        let blank = [0x20, 0x09, 0x0A, 0x0D].contains(byte)
        #expect((quick(between) != nil) == blank, "byte \(byte) at \(at)")
        if let hashes = quick(between) { #expect(decoded(between)?.pdq == hashes.pdq, "byte \(byte) at \(at)") }
      }
    }
  }

  /// Random bodies made of JSON's pieces: wherever the quick reader gives an answer,
  /// `JSONDecoder` gives the same one.
  @Test func agreesWithJSONDecoderOnRandomBodies() {
    var rng = SplitMix64(seed: 14)
    let pieces = [
      "{", "}", "\"", "pdq", ":", " ", "\n", "\t", "\r", ",", "\\", "a", "0", "f", "é", "\u{1}", "null", "\"phash\"", Self.hex, "[", "]",
    ]
    var read = 0
    for _ in 0..<20_000 {
      var body = ""
      if rng.next() % 2 == 0 {
        // Near the common shape: a few pieces changed.
        var parts = ["{", "\"pdq\"", ":", "\"", String(Self.hex.prefix(Int(rng.next() % 65))), "\"", "}"]
        for _ in 0..<(rng.next() % 3) {
          let at = Int(rng.next() % UInt64(parts.count + 1))
          parts.insert(pieces[Int(rng.next() % UInt64(pieces.count))], at: at)
        }
        body = parts.joined()
      } else {
        for _ in 0..<(rng.next() % 10) { body += pieces[Int(rng.next() % UInt64(pieces.count))] }
      }
      guard let hashes = Self.quick(body) else { continue }
      read += 1
      let reference = Self.decoded(body)
      #expect(reference != nil && reference?.pdq == hashes.pdq, "\(body.debugDescription)")
      #expect(reference?.phash == nil && reference?.vpdq == nil && reference?.md5 == nil)
    }
    #expect(read > 1_000)
  }
}

/// The `Authorization` header read by hand (``AuthMiddleware/bearerToken(_:)``), against what
/// Foundation's lowercasing and trimming gave.
@Suite struct BearerTokenTests {
  static func foundation(_ authorization: String) -> String? {
    let parts = authorization.split(separator: " ", maxSplits: 1)
    guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
    return parts[1].trimmingCharacters(in: .whitespaces)
  }

  @Test func sameTokensAsFoundation() {
    let key = "sieve_0123abcd_" + String(repeating: "ab", count: 32)
    var values = [
      "Bearer \(key)", "bearer \(key)", "BEARER \(key)", "BeArEr  \(key)\t ", "Bearer", "Bearer ", "Basic \(key)", " Bearer \(key)",
      "Bearer \u{A0}\(key)\u{3000}", "Bearer \(key)\u{200B}", "Bearerx \(key)", "Bear \(key)", "Bearer\t\(key)", "",
      "Bearer \(key) trailing", "\u{212A}earer \(key)", "Bearer \u{2028}\(key)",
    ]
    var rng = SplitMix64(seed: 3)
    let pieces = [
      "Bearer", "bearer", " ", "\t", "\u{A0}", "\u{2009}", "\u{200B}", "\u{200C}", "\u{180E}", "\u{1680}", "\u{205F}", "\u{FEFF}",
      "\u{3000}", "\u{202F}", key, "x", "é", "\u{85}", "\n",
    ]
    for _ in 0..<5_000 {
      values.append((0..<(rng.next() % 6)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined())
    }
    for value in values {
      #expect(AuthMiddleware.bearerToken(value) == Self.foundation(value), "\(value.debugDescription)")
    }
  }

  @Test func prefixesWithoutCase() {
    #expect("Image/JPEG".hasASCIIPrefixIgnoringCase("image/"))
    #expect("APPLICATION/JSON; charset=utf-8".hasASCIIPrefixIgnoringCase("application/json"))
    #expect(!"imag".hasASCIIPrefixIgnoringCase("image/"))
    #expect(!"\u{130}mage/png".hasASCIIPrefixIgnoringCase("image/"))
    #expect(!"text/plain".hasASCIIPrefixIgnoringCase("image/"))
  }
}
