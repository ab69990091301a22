import SieveCore

/// Hash sets shaped like real lists: series of near-duplicates. The Swift twin of
/// `Scripts/hash_shapes.py` (the same shape, not the same numbers).
///
/// Each cluster is a random centre and 1–100 members (the centre among them), each member
/// the centre with 0…`spread` random bits flipped; clusters follow one another, members
/// together, as lists built from case after case hold them.
public enum ClusteredHashes {
  /// `count` PDQ hashes in clusters.
  public static func pdq(count: Int, seed: UInt64, spread: Int = 48, members: ClosedRange<Int> = 1...100) -> [PDQHash] {
    var random = BenchmarkRandom(seed: seed)
    var out: [PDQHash] = []
    out.reserveCapacity(count)
    while out.count < count {
      let centre = PDQHash(w0: random.next(), w1: random.next(), w2: random.next(), w3: random.next())
      let size = members.lowerBound + Int(random.next() % UInt64(members.count))
      out.append(centre)
      for _ in 1..<size where out.count < count {
        out.append(random.flip(centre, bits: Int(random.next() % UInt64(spread + 1))))
      }
    }
    return out
  }

  /// `count` pHashes in clusters (0…`spread` bits from a centre).
  public static func phash(count: Int, seed: UInt64, spread: Int = 12, members: ClosedRange<Int> = 1...100) -> [PHash] {
    var random = BenchmarkRandom(seed: seed)
    var out: [PHash] = []
    out.reserveCapacity(count)
    while out.count < count {
      let centre = random.next()
      let size = members.lowerBound + Int(random.next() % UInt64(members.count))
      out.append(PHash(centre))
      for _ in 1..<size where out.count < count {
        var h = centre
        for _ in 0..<Int(random.next() % UInt64(spread + 1)) { h ^= 1 << (random.next() % 64) }
        out.append(PHash(h))
      }
    }
    return out
  }
}
