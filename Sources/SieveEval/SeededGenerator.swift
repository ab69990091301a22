import Foundation

/// The attack suite's random numbers: SplitMix64 (Steele, Lea and Flood 2014), so that
/// one seed gives the same attacked copies on every machine and in every Sieve version
/// that keeps the suite. Each (image, attack) pair draws from its own stream.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var state: UInt64

  public init(seed: UInt64) {
    state = seed
  }

  /// The stream of one attack on one image.
  public init(seed: UInt64, image: Int, attack: Int) {
    var mixer = SeededGenerator(seed: seed ^ (UInt64(image) &* 0x9E37_79B9_7F4A_7C15))
    state = mixer.next() ^ (UInt64(attack) &* 0xD1B5_4A32_D192_ED03)
  }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

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
