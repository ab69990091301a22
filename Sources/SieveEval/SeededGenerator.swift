import Foundation
import SieveCore

/// The attack suite's random numbers: ``SplitMix64``, so that one seed gives the same
/// attacked copies on every machine and in every Sieve version that keeps the suite. Each
/// (image, attack) pair draws from its own stream.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var generator: SplitMix64

  public init(seed: UInt64) {
    generator = SplitMix64(seed: seed)
  }

  /// The stream of one attack on one image.
  public init(seed: UInt64, image: Int, attack: Int) {
    var mixer = SplitMix64(seed: seed ^ (UInt64(image) &* 0x9E37_79B9_7F4A_7C15))
    generator = SplitMix64(seed: mixer.next() ^ (UInt64(attack) &* 0xD1B5_4A32_D192_ED03))
  }

  public mutating func next() -> UInt64 { generator.next() }

  /// A uniform double in [0, 1).
  public mutating func unit() -> Double {
    Double(next() >> 11) * (1.0 / Double(1 << 53))
  }

  /// A standard normal deviate (Box–Muller).
  public mutating func gaussian() -> Double {
    let u1 = max(unit(), 1e-300), u2 = unit()
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
  }
}
