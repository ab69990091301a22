import Foundation
import SieveCore
import SieveTestSupport
import Testing

@Suite struct PDQHashTests {
  /// The reference CLI's hash of bridge-1-original.jpg (spec §10).
  static let bridge = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"

  @Test func hexRoundTrip() throws {
    let hash = try PDQHash(hex: Self.bridge)
    #expect(hash.hexString == Self.bridge)
    #expect(hash.description == Self.bridge)
    #expect(PDQHash(Self.bridge) == hash)
    #expect(try PDQHash(hex: Self.bridge.uppercased()) == hash)
  }

  @Test func hexLayoutMatchesReferenceWords() throws {
    // Words are printed from w[15] down to w[0], 4 hex digits each (spec §7.4).
    let hash = try PDQHash(hex: Self.bridge)
    let words = hash.words16
    #expect(words.count == 16)
    #expect(words[15] == 0xd8f8)
    #expect(words[0] == 0x9b22)
    #expect(PDQHash(words16: words) == hash)
    // Bit 0 is the last hex digit's least significant bit: B[0][0].
    #expect(hash.bit(0) == false)  // ...22 -> 0b0010
    #expect(hash.bit(1) == true)
    #expect(hash.bit(255) == true)  // d... -> 0b1101
    #expect(hash.nonzeroBitCount == 128)
  }

  @Test func parseErrorsSayWhatIsWrong() {
    #expect(throws: HashParseError.wrongLength(expected: 64, actual: 63)) {
      try PDQHash(hex: String(Self.bridge.dropLast()))
    }
    var bad = Self.bridge
    bad.replaceSubrange(bad.index(bad.startIndex, offsetBy: 10)...bad.index(bad.startIndex, offsetBy: 10), with: "g")
    #expect(throws: HashParseError.invalidCharacter("g", offset: 10)) { try PDQHash(hex: bad) }
    #expect(PDQHash("") == nil)
    #expect("\(HashParseError.wrongLength(expected: 64, actual: 3))" == "expected 64 hex digits, found 3")
  }

  @Test func distances() throws {
    let a = try PDQHash(hex: Self.bridge)
    // The full-resolution hash of the same image is 6 bits away (spec §10).
    let b = try PDQHash(hex: "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")
    #expect(a.distance(to: a) == 0)
    #expect(a.distance(to: b) == 6)
    #expect(b.distance(to: a) == 6)
    let inverted = PDQHash(w0: ~a.w0, w1: ~a.w1, w2: ~a.w2, w3: ~a.w3)
    #expect(a.distance(to: inverted) == 256)
    #expect(PDQHash.zero.distance(to: inverted) == inverted.nonzeroBitCount)
  }

  @Test func randomRoundTripsAndDistances() throws {
    let seed = UInt64.random(in: 0...UInt64.max)
    var rng = SplitMix64(seed: seed)
    for _ in 0..<2000 {
      let h = PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next())
      let back = try PDQHash(hex: h.hexString)
      #expect(back == h, "seed \(seed)")
      let flips = Int.random(in: 0...256, using: &rng)
      var g = h
      for k in (0..<256).shuffled(using: &rng).prefix(flips) {
        let bit = UInt64(1) << UInt64(k & 63)
        switch k >> 6 {
        case 0: g.w0 ^= bit
        case 1: g.w1 ^= bit
        case 2: g.w2 ^= bit
        default: g.w3 ^= bit
        }
      }
      #expect(h.distance(to: g) == flips, "seed \(seed)")
    }
  }

  @Test func codableUsesHex() throws {
    let hash = try PDQHash(hex: Self.bridge)
    let data = try JSONEncoder().encode([hash])
    #expect(String(decoding: data, as: UTF8.self) == "[\"\(Self.bridge)\"]")
    #expect(try JSONDecoder().decode([PDQHash].self, from: data) == [hash])
    #expect(throws: DecodingError.self) { try JSONDecoder().decode([PDQHash].self, from: Data("[\"abc\"]".utf8)) }
  }
}
