import SieveCore

/// The benchmarks' deterministic random hashes: SieveCore's SplitMix64, and near copies.
public struct BenchmarkRandom {
  private var generator: SplitMix64

  public init(seed: UInt64) { generator = SplitMix64(seed: seed) }

  public mutating func next() -> UInt64 { generator.next() }

  /// `h` with `bits` random bits flipped (a bit may be flipped twice).
  public mutating func flip(_ h: PDQHash, bits: Int) -> PDQHash {
    var words = [h.w0, h.w1, h.w2, h.w3]
    for _ in 0..<bits {
      let b = Int(next() % 256)
      words[b / 64] ^= 1 << UInt64(b % 64)
    }
    return PDQHash(w0: words[0], w1: words[1], w2: words[2], w3: words[3])
  }
}
