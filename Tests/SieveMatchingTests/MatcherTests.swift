import SieveCore
import SieveHashSets
import SieveMatching
import SieveTestSupport
import Testing

@Suite struct MatcherTests {
  static func flipping(_ h: PDQHash, _ bits: [Int]) -> PDQHash {
    var w = [h.w0, h.w1, h.w2, h.w3]
    for b in bits { w[b / 64] ^= 1 << UInt64(b % 64) }
    return PDQHash(w0: w[0], w1: w[1], w2: w[2], w3: w[3])
  }

  static func sets(seed: UInt64) -> (HashSet, HashSet, PDQHash, PHash, ExactDigest) {
    var rng = SplitMix64(seed: seed)
    let target = PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next())
    let phash = PHash(rng.next())
    let md5 = ExactDigest(kind: .md5, bytes: Array(repeating: 7, count: 16))
    var a = HashSet(name: "set-a")
    for i in 0..<3000 {
      a.append(HashSetEntry(id: "a\(i)", label: "noise", pdq: PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()), phash: PHash(rng.next())))
    }
    a.append(HashSetEntry(id: "near", label: "example label", pdq: flipping(target, Array(0..<20)), pdqQuality: 90))
    a.append(HashSetEntry(id: "edge", label: "example label", pdq: flipping(target, Array(100..<131))))
    a.append(HashSetEntry(id: "too-far", label: "x", pdq: flipping(target, Array(200..<232))))
    a.append(HashSetEntry(id: "ph", label: "p", phash: PHash(phash.value ^ 0xFF)))
    var b = HashSet(name: "set-b")
    b.append(HashSetEntry(id: "exact", label: "file", md5: md5))
    b.append(HashSetEntry(id: "same", label: "dup", pdq: target))
    return (a, b, target, phash, md5)
  }

  @Test(arguments: IndexKind.allCases)
  func findsWhatIsWithinTheThresholds(index: IndexKind) {
    let (a, b, target, phash, md5) = Self.sets(seed: 11)
    let matcher = Matcher(sets: [a, b], options: MatchOptions(phashMaxDistance: 8, index: index))
    let found = matcher.matches(for: MatchQuery(pdq: target, pdqQuality: 100, phash: phash, digests: [md5]))
    let summary = found.map { "\($0.set)/\($0.id)/\($0.kind)/\($0.distance)" }
    #expect(summary == ["set-a/near/pdq/20", "set-a/edge/pdq/31", "set-a/ph/phash/8", "set-b/same/pdq/0", "set-b/exact/md5/0"])
    #expect(found[0].label == "example label" && found[0].orientation == nil)
  }

  /// Exact digests (MD5, SHA-1, SHA-256, some held by several entries) match exactly the
  /// entries that hold them, whether the set's columns are sorted (as a set file carries
  /// them) or as a list gave them.
  @Test func digestsMatchTheEntriesThatHoldThem() {
    var rng = SplitMix64(seed: 21)
    var set = HashSet(name: "files")
    var held: [ExactDigest] = []
    for i in 0..<4000 {
      var entry = HashSetEntry(id: "f\(i)", label: "example")
      for kind in [HashKind.md5, .sha1, .sha256] where (i + kind.hexDigits) % 3 != 0 {
        let digest =
          i % 7 == 6 && !held.isEmpty
          ? held.filter { $0.kind == kind }.randomElement(using: &rng) ?? held[0]
          : ExactDigest(kind: kind, bytes: (0..<(kind.hexDigits / 2)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        guard digest.kind == kind else { continue }
        held.append(digest)
        switch kind {
        case .md5: entry.md5 = digest
        case .sha1: entry.sha1 = digest
        default: entry.sha256 = digest
        }
      }
      if entry.md5 == nil && entry.sha1 == nil && entry.sha256 == nil { entry.phash = PHash(rng.next()) }
      set.append(entry)
    }
    var sorted = set
    sorted.sortDigests()
    #expect(!set.digestsAreSorted && sorted.digestsAreSorted)
    let entries = set.entries
    let queries = held.prefix(600) + (0..<100).map { _ in ExactDigest(kind: .sha1, bytes: (0..<20).map { _ in UInt8(truncatingIfNeeded: rng.next()) }) }
    for candidate in [set, sorted] {
      let matcher = Matcher(sets: [candidate])
      for query in queries {
        let found = matcher.matches(for: MatchQuery(digests: [query])).map(\.id)
        let expected = entries.filter { [$0.md5, $0.sha1, $0.sha256].contains(query) }.map(\.id)
        #expect(found == expected)
      }
    }
  }

  @Test func lowQualityPDQIsNotMatched() {
    let (a, b, target, _, _) = Self.sets(seed: 12)
    let matcher = Matcher(sets: [a, b])
    #expect(matcher.matches(for: MatchQuery(pdq: target, pdqQuality: 49)).isEmpty)
    #expect(!matcher.matches(for: MatchQuery(pdq: target, pdqQuality: 50)).isEmpty)
  }

  @Test func dihedralQueriesReportTheOrientation() {
    var rng = SplitMix64(seed: 13)
    let hashes = (0..<8).map { _ in PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()) }
    let dihedral = PDQDihedralHashes(hashes)
    var set = HashSet(name: "s")
    // The stored original equals the query's 90° rotation, 3 bits off.
    set.append(HashSetEntry(id: "rotated", pdq: Self.flipping(hashes[1], [5, 70, 200])))
    let matcher = Matcher(sets: [set])
    let plain = matcher.matches(for: MatchQuery(pdq: hashes[0], pdqQuality: 100))
    #expect(plain.isEmpty)
    let found = matcher.matches(for: MatchQuery(pdq: hashes[0], pdqQuality: 100, pdqDihedral: dihedral))
    #expect(found.count == 1)
    #expect(found.first?.distance == 3 && found.first?.orientation == .rotate90)
  }

  @Test func autoChoosesByMeasuredCosts() {
    #expect(IndexKind.choose(bits: 256, radius: 31, count: 1000) == .linear)
    #expect(IndexKind.choose(bits: 256, radius: 31, count: 1_000_000) == .mih)
    #expect(IndexKind.choose(bits: 256, radius: 80, count: 1_000_000) == .linear)
    // pHash r8 at 10M: MIH 949 µs against the scan's 1865 µs since its queries copy buckets
    // out without a call per probe (2026-12-01; before, 2301 µs against 1937).
    #expect(IndexKind.choose(bits: 64, radius: 8, count: 10_000_000) == .mih)
    #expect(IndexKind.choose(bits: 64, radius: 12, count: 10_000_000) == .linear)
    #expect(IndexKind.choose(bits: 256, radius: 31, count: 10_000_000) == .mih)
  }
}

@Suite struct MatcherPicturesTests {
  static func hash(_ seed: UInt64) -> PDQHash {
    var rng = SplitMix64(seed: seed)
    return PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next())
  }

  /// A match through an augmented variant names it; one through the query's trimmed
  /// picture says so; the estimate grows with the distance and with the set.
  @Test func variantsAndTrimmedPicturesAreNamed() throws {
    let (own, crop) = (Self.hash(1), Self.hash(2))
    var entry = HashSetEntry(id: "known", label: "example", pdq: own)
    entry.pdqVariants = [HashSetEntry.Variant(variant: .crop90, hash: crop)]
    let set = HashSet(name: "s", entries: [entry, HashSetEntry(id: "other", pdq: Self.hash(4))])
    let matcher = Matcher(sets: [set])

    let byCrop = matcher.matches(for: MatchQuery(pdq: crop, pdqQuality: 100))
    #expect(byCrop.count == 1 && byCrop[0].variant == .crop90 && byCrop[0].picture == "entry-crop90" && byCrop[0].id == "known")

    var query = MatchQuery(pdq: Self.hash(5), pdqQuality: 100)
    query.pdqPictures = [MatchQuery.Picture(hash: own, quality: 100)]
    let byTrim = matcher.matches(for: query)
    #expect(byTrim.count == 1 && byTrim[0].trimmed && byTrim[0].picture == "query-trimmed" && byTrim[0].distance == 0)
    // A trimmed picture of too low a quality is not matched.
    query.pdqPictures = [MatchQuery.Picture(hash: own, quality: 10)]
    #expect(matcher.matches(for: query).isEmpty)

    // The own hash wins ties over a variant at the same distance.
    let both = matcher.matches(for: MatchQuery(pdq: own, pdqQuality: 100))
    #expect(both.count == 1 && both[0].variant == nil && both[0].picture == nil)
    let estimate = try #require(both[0].expectedFalseMatches)
    #expect(estimate > 0 && estimate < 1e-3)
    #expect(FalseMatchEstimate.expectedFalseMatches(distance: 30, comparisons: 3) > estimate)
    #expect(FalseMatchEstimate.expectedFalseMatches(distance: 0, comparisons: 30_000_000) > estimate)
  }
}

@Suite struct MatcherQualityTests {
  /// A pad lowers the whole image's PDQ quality, never the picture inside it: a query whose
  /// own hash is under the minimum is still matched through a trimmed picture that is not.
  @Test func aTrimmedPictureOfEnoughQualityIsMatchedWhenTheImageIsNot() {
    let known = MatcherPicturesTests.hash(21)
    let matcher = Matcher(sets: [HashSet(name: "s", entries: [HashSetEntry(id: "known", pdq: known)])])
    var query = MatchQuery(pdq: known, pdqQuality: 30)
    #expect(matcher.matches(for: query).isEmpty)
    #expect(!matcher.pdqQualityIsEnough(query))
    query.pdqPictures = [MatchQuery.Picture(hash: known, quality: 80)]
    let found = matcher.matches(for: query)
    #expect(found.count == 1 && found[0].trimmed && found[0].queryPDQ == known)
    #expect(matcher.pdqQualityIsEnough(query))
  }
}
