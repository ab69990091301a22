import Foundation
import SieveTestSupport
import Testing

@testable import SieveServer

/// The service's hand-written JSON (``JSONBytes``) against `JSONEncoder` with the
/// service's settings (sorted keys, unescaped slashes): the same bytes for every value.
@Suite struct JSONBytesTests {
  static let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
  }()

  struct Values {
    var rng: SplitMix64

    mutating func chance(_ n: UInt64) -> Bool { rng.next() % n == 0 }

    /// Strings with what needs escaping: quotes, backslashes, every control character,
    /// slashes, DEL, non-ASCII letters, a line separator, emoji.
    mutating func string() -> String {
      let pieces = ["a", "Z", "0", " ", "/", "\"", "\\", "\u{7F}", "é", "\u{2028}", "😀", "ß", "series-1", "IMG_0001.jpg"]
      var text = ""
      for _ in 0..<(rng.next() % 12) {
        if chance(4) {
          text.unicodeScalars.append(Unicode.Scalar(UInt8(rng.next() % 32)))
        } else {
          text += pieces[Int(rng.next() % UInt64(pieces.count))]
        }
      }
      return text
    }

    mutating func double() -> Double {
      switch rng.next() % 8 {
      case 0: return Double(Int(rng.next() % 2000) - 1000)
      case 1: return Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF)  // any finite magnitude
      case 2: return Double(rng.next() % 100_000) / 1000
      case 3: return -0.0
      case 4: return Double.leastNonzeroMagnitude * Double(rng.next() % 10 + 1)
      case 5: return 1e16 * Double(rng.next() % 100)
      case 6: return Double(rng.next() % 1000) * 1e-7
      default: return Double(rng.next() % UInt64(1 << 53)) / Double(1 << Int(rng.next() % 60))
      }
    }

    mutating func int() -> Int { Int(truncatingIfNeeded: rng.next()) >> Int(rng.next() % 64) }

    mutating func maybe<T>(_ make: (inout Values) -> T) -> T? { chance(2) ? nil : make(&self) }

    mutating func hashes() throws -> API.Hashes {
      var h = try JSONDecoder().decode(API.Hashes.self, from: Data("{}".utf8))
      h.pdq = maybe { $0.string() }
      h.pdq_quality = maybe { $0.int() }
      h.phash = maybe { $0.string() }
      h.md5 = maybe { $0.string() }
      h.sha1 = maybe { $0.string() }
      h.sha256 = maybe { $0.string() }
      h.width = maybe { $0.int() }
      h.height = maybe { $0.int() }
      h.stopped_early = maybe { $0.string() }
      if chance(4) {
        h.vpdq = (0..<(rng.next() % 4)).map { _ in
          API.Hashes.VPDQFrame(frame: int(), pdq: string(), quality: int(), timestamp: double())
        }
      }
      return h
    }

    mutating func match() throws -> API.Match {
      var m = try JSONDecoder().decode(
        API.Match.self, from: Data(#"{"set": "", "id": "", "label": "", "kind": "", "distance": 0}"#.utf8))
      (m.set, m.id, m.label, m.kind, m.distance) = (string(), string(), string(), string(), int())
      m.orientation = maybe { $0.string() }
      m.picture = maybe { $0.string() }
      m.expected_false_matches = maybe { $0.double() }
      m.query_pdq = maybe { $0.string() }
      m.frame_time = maybe { $0.double() }
      m.frame = maybe { $0.int() }
      m.query_match_percent = maybe { $0.double() }
      m.compared_match_percent = maybe { $0.double() }
      return m
    }

    mutating func matches() throws -> [API.Match] { try (0..<(rng.next() % 4)).map { _ in try match() } }

    mutating func sets() -> [API.SetVersion] {
      (0..<(rng.next() % 3)).map { _ in API.SetVersion(name: string(), checksum: string()) }
    }

    mutating func timing() -> API.Timing {
      API.Timing(hash_ms: maybe { $0.double() }, match_ms: double(), total_ms: double())
    }
  }

  static func same<T: JSONBytesEncodable>(_ value: T) throws {
    let expected = Array(try encoder.encode(value))
    let written = try #require(value.jsonBytes)
    // Bytes, not strings: two strings can be equal with different bytes (é composed or not).
    if written != expected {
      Issue.record("written: \(String(decoding: written, as: UTF8.self))\nJSONEncoder: \(String(decoding: expected, as: UTF8.self))")
    }
  }

  @Test func matchAnswersAreJSONEncodersBytes() throws {
    var values = Values(rng: SplitMix64(seed: 11))
    for _ in 0..<400 {
      let response = API.MatchResponse(
        request_id: values.string(), hashes: try values.hashes(), matches: try values.matches(), low_quality: values.chance(2),
        sets: values.sets(), timing: values.timing())
      try Self.same(response)
    }
  }

  @Test func batchAnswersAreJSONEncodersBytes() throws {
    var values = Values(rng: SplitMix64(seed: 12))
    for _ in 0..<200 {
      let results = try (0..<(values.rng.next() % 4)).map { _ in
        API.BatchResult(ref: values.maybe { $0.string() }, matches: try values.matches(), low_quality: values.chance(2))
      }
      try Self.same(API.BatchResponse(request_id: values.string(), results: results, sets: values.sets(), timing: values.timing()))
    }
  }

  @Test func auditLinesAreJSONEncodersBytes() throws {
    var values = Values(rng: SplitMix64(seed: 13))
    for _ in 0..<400 {
      var entry = API.AuditEntry(time: values.string())
      if values.chance(3) { entry.event = values.string() }
      entry.request_id = values.maybe { $0.string() }
      entry.key = values.maybe { $0.string() }
      entry.route = values.maybe { $0.string() }
      entry.source = values.maybe { $0.string() }
      entry.ref = values.maybe { $0.string() }
      entry.batch_index = values.maybe { $0.int() }
      entry.hashes = values.chance(2) ? try values.hashes() : nil
      entry.matches = values.chance(2) ? try values.matches() : nil
      entry.sets = values.maybe { $0.sets() }
      entry.status = values.maybe { $0.int() }
      entry.reason = values.maybe { $0.string() }
      entry.client = values.maybe { $0.string() }
      entry.trigger = values.maybe { $0.string() }
      try Self.same(entry)
    }
  }

  /// What `JSONEncoder` refuses (a number that is not finite) is not written by hand
  /// either: the caller falls back to `JSONEncoder`, which says why.
  @Test func valuesJSONEncoderRefusesAreLeftToIt() throws {
    for bad in [Double.nan, .infinity, -.infinity] {
      let timing = API.Timing(hash_ms: nil, match_ms: bad, total_ms: 1)
      #expect(timing.jsonBytes == nil)
      #expect(throws: (any Error).self) { try Self.encoder.encode(timing) }
    }
    var entry = API.AuditEntry(time: "t")
    entry.reload = API.ReloadResponse(generation: 1, reloaded: [], unchanged: [], failed: [], keys: 0, keys_error: nil, seconds: 0.5)
    #expect(entry.jsonBytes == nil)
  }

  /// The canonical form of a path taken as it is equals the one made by decoding and
  /// splitting it, for every path (the fast way only skips work).
  @Test func canonicalPathsTakenAsTheyAreAreCanonical() {
    var rng = SplitMix64(seed: 14)
    // Marks that join the slash before them into one character (U+0301, U+200D, U+FE0F),
    // which the split by characters keeps together.
    let pieces = [
      "/", "//", "v1", "match", "batch", "%2F", "%76", "%", "%zz", "a", ".", "..", "é", "hashsets", "reload", "\u{301}",
      "\u{200D}", "\u{FE0F}", "\r\n", "%CC%81",
    ]
    for _ in 0..<5_000 {
      var path = rng.next() % 4 == 0 ? "" : "/"
      for _ in 0..<(rng.next() % 6) { path += pieces[Int(rng.next() % UInt64(pieces.count))] }
      let decoded = path.removingPercentEncoding ?? path
      let reference = "/" + decoded.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
      #expect(ServiceRoute.canonical(path) == reference, "\(path)")
    }
  }
}
