import SieveCore
import Testing

@Suite struct PDQDihedralHashesTests {
  @Test func bestMatchPicksTheClosestOrientation() throws {
    let hashes = (0..<8).map { PDQHash(w0: UInt64($0) * 0x0101, w1: 0, w2: 0, w3: 0) }
    let set = PDQDihedralHashes(hashes)
    #expect(set[.rotate180] == hashes[2])
    let target = hashes[5]
    let best = set.bestMatch(to: target)
    #expect(best.distance == 0)
    #expect(best.orientation == .flipY)
  }

  @Test func orientationNamesRoundTrip() {
    for orientation in PDQOrientation.allCases {
      #expect(PDQOrientation(name: orientation.name) == orientation)
    }
    #expect(PDQOrientation.allCases.map(\.name) == [
      "original", "rot90", "rot180", "rot270", "flipx", "flipy", "flip_plus1", "flip_minus1",
    ])
  }
}
