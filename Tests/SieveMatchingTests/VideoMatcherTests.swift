import SieveCore
import SieveMatching
import SieveTestSupport
import Testing

@Suite struct VideoMatcherTests {
  /// python-threatexchange's brute matcher, written plainly: dedupe (first of each hash),
  /// drop under quality, a frame matches at distance ≤ d, the two percentages.
  static func brute(_ query: [VPDQFeature], _ known: [VPDQFeature], distance: Int, quality: Int) -> (Double, Double) {
    func filtered(_ f: [VPDQFeature]) -> [VPDQFeature] {
      var seen: [PDQHash] = []
      var out: [VPDQFeature] = []
      for x in f where !seen.contains(x.hash) {
        seen.append(x.hash)
        if x.quality >= quality { out.append(x) }
      }
      return out
    }
    let q = filtered(query), k = filtered(known)
    guard !q.isEmpty, !k.isEmpty else { return (0, 0) }
    let qm = q.filter { a in k.contains { $0.hash.distance(to: a.hash) <= distance } }.count
    let km = k.filter { a in q.contains { $0.hash.distance(to: a.hash) <= distance } }.count
    return (Double(qm) * 100 / Double(q.count), Double(km) * 100 / Double(k.count))
  }

  static func random(_ rng: inout SplitMix64) -> PDQHash { PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()) }

  static func flipped(_ h: PDQHash, bits: Int, _ rng: inout SplitMix64) -> PDQHash {
    var w = [h.w0, h.w1, h.w2, h.w3]
    for _ in 0..<bits {
      let b = Int(rng.next() % 256)
      w[b / 64] ^= 1 << UInt64(b % 64)
    }
    return PDQHash(w0: w[0], w1: w[1], w2: w[2], w3: w[3])
  }

  /// Videos made of series of near-duplicate frames (as real videos are), some sharing
  /// scenes: every percentage and every match decision equals the brute matcher's.
  @Test(arguments: [(31, 50, 80.0, 0.0), (20, 0, 50.0, 50.0), (40, 80, 0.0, 0.0)])
  func equalsTheBruteMatcher(distance: Int, quality: Int, queryPercent: Double, comparedPercent: Double) {
    var rng = SplitMix64(seed: UInt64(distance * 1000 + quality))
    let scenes = (0..<40).map { _ in Self.random(&rng) }
    func video(_ n: Int) -> [VPDQFeature] {
      (0..<n).map { i in
        let scene = scenes[Int(rng.next() % UInt64(scenes.count))]
        let hash = rng.next() % 5 == 0 ? scene : Self.flipped(scene, bits: Int(rng.next() % 50), &rng)
        return VPDQFeature(frameNumber: i * 30, hash: hash, quality: Int(rng.next() % 101), timestamp: Double(i))
      }
    }
    let known = (0..<60).map { VideoMatcher.Entry(id: "v\($0)", features: video(Int(rng.next() % 12))) }
    let options = VideoMatcher.Options(
      maxDistance: distance, minimumQuality: quality, queryMatchPercent: queryPercent, comparedMatchPercent: comparedPercent)
    let matcher = VideoMatcher(entries: known, options: options)
    for _ in 0..<30 {
      let query = video(1 + Int(rng.next() % 10))
      let found = matcher.matches(query)
      var expected: [String] = []
      for entry in known {
        let (q, c) = Self.brute(query, entry.features, distance: distance, quality: quality)
        if q > 0, q >= queryPercent, c >= comparedPercent { expected.append(entry.id) }
        if let m = found.first(where: { $0.id == entry.id }) {
          #expect(abs(m.queryMatchPercent - q) < 1e-9 && abs(m.comparedMatchPercent - c) < 1e-9, "\(entry.id)")
          #expect(m.frames.allSatisfy { $0.distance <= distance && $0.distance == $0.query.hash.distance(to: $0.known.hash) })
        }
      }
      #expect(found.map(\.id).sorted() == expected.sorted())
    }
  }

  /// A known video's frame variants (an augmented set's crops): a query frame matching a
  /// variant matches its frame, counted once in the compared share however many of its
  /// variants match; a variant of a frame dropped for its quality is not indexed.
  @Test func variantsStandForTheirFrames() {
    var rng = SplitMix64(seed: 5)
    func random() -> PDQHash { PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()) }
    let frames = (0..<4).map { VPDQFeature(frameNumber: $0 * 10, hash: random(), quality: $0 == 3 ? 20 : 100, timestamp: Double($0)) }
    let crops = (0..<4).map { _ in random() }
    var variants = (0..<4).map { VPDQVariant(frameNumber: $0 * 10, variant: .crop90, hash: crops[$0], quality: 100) }
    variants.append(VPDQVariant(frameNumber: 0, variant: .crop80, hash: crops[0], quality: 100))  // the same hash again
    let plain = VideoMatcher(entries: [.init(id: "v", features: frames)])
    let augmented = VideoMatcher(entries: [.init(id: "v", features: frames, variants: variants)])
    // A copy whose frames are the crops: none of the plain frames, all of the variants.
    let copy = (0..<3).map { VPDQFeature(frameNumber: $0, hash: crops[$0], quality: 100, timestamp: Double($0)) }
    #expect(plain.matches(copy).isEmpty)
    let found = augmented.matches(copy)
    #expect(found.count == 1 && found.first?.queryMatchPercent == 100, "\(found)")
    #expect(found.first?.comparedMatchPercent == 100 && found.first?.frames.map(\.known.frameNumber) == [0, 10, 20])
    // The variant of the low-quality frame stands for nothing.
    let last = [VPDQFeature(frameNumber: 0, hash: crops[3], quality: 100, timestamp: 0)]
    #expect(augmented.matches(last).isEmpty)
  }

  /// Nothing to compare, nothing matched (the brute matcher divides by zero there).
  @Test func emptySidesMatchNothing() {
    var rng = SplitMix64(seed: 3)
    let f = VPDQFeature(frameNumber: 0, hash: Self.random(&rng), quality: 100, timestamp: 0)
    #expect(VideoMatcher(entries: []).matches([f]).isEmpty)
    #expect(VideoMatcher(entries: [.init(id: "a", features: [f])]).matches([]).isEmpty)
    let low = VPDQFeature(frameNumber: 0, hash: f.hash, quality: 10, timestamp: 0)
    #expect(VideoMatcher(entries: [.init(id: "a", features: [f])]).matches([low]).isEmpty)
    #expect(VideoMatcher(entries: [.init(id: "a", features: [f])]).matches([f]).map(\.queryMatchPercent) == [100])
  }
}
