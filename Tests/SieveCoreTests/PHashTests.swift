import Foundation
import SieveCore
import Testing

@Suite struct PHashTests {
  @Test func hexRoundTripAndBitOrder() throws {
    let hash = try PHash(hex: "aca29c1c33dc23d7")
    #expect(hash.value == 0xaca2_9c1c_33dc_23d7)
    #expect(hash.hexString == "aca29c1c33dc23d7")
    #expect(PHash(0x1).hexString == "0000000000000001")
    #expect(try PHash(hex: "ACA29C1C33DC23D7") == hash)
  }

  @Test func parseErrors() {
    #expect(throws: HashParseError.wrongLength(expected: 16, actual: 15)) { try PHash(hex: "aca29c1c33dc23d") }
    #expect(throws: HashParseError.invalidCharacter("z", offset: 0)) { try PHash(hex: "zca29c1c33dc23d7") }
  }

  @Test func distances() throws {
    // bridge-1 vs its 90° rotation: 32 bits in the imagehash vectors.
    let a = try PHash(hex: "aca29c1c33dc23d7")
    let b = try PHash(hex: "e5f8cac2b44a4af4")
    #expect(a.distance(to: b) == 32)
    #expect(a.distance(to: a) == 0)
    #expect(PHash(0).distance(to: PHash(.max)) == 64)
  }

  @Test func codable() throws {
    let hash = PHash(0xdead_beef_0000_0001)
    let data = try JSONEncoder().encode(hash)
    #expect(String(decoding: data, as: UTF8.self) == "\"deadbeef00000001\"")
    #expect(try JSONDecoder().decode(PHash.self, from: data) == hash)
  }
}
