/// A 256-bit PDQ perceptual hash, bit-compatible with Meta's PDQ reference.
///
/// PDQ ("Perceptual hash with Discrete cosine transform and Quality") hashes an
/// image to 256 bits: one bit per coefficient of a 16×16 block of low DCT
/// frequencies, set when the coefficient is above the block's median.
/// Bit `k = 16·i + j` stands for coefficient `B[i][j]` (vertical frequency
/// `i + 1`, horizontal frequency `j + 1`).
///
/// The value is stored inline as four `UInt64` words, least significant first:
/// `words.0` holds bits 0…63 (DCT rows 0–3), `words.3` holds bits 192…255.
/// The standard 64-character hex form ``hexString`` is the 256-bit big-endian
/// number, exactly as the reference `pdq-photo-hasher` and ThreatExchange print it.
///
/// Source: facebook/ThreatExchange `pdq/` (hashing/pdqhashing.cpp,
/// common/pdqhashtypes.cpp).
@frozen
public struct PDQHash: Hashable, Sendable {
  /// Bits 0…63.
  public var w0: UInt64
  /// Bits 64…127.
  public var w1: UInt64
  /// Bits 128…191.
  public var w2: UInt64
  /// Bits 192…255.
  public var w3: UInt64

  /// The number of bits in a PDQ hash.
  public static let bitCount = 256

  /// The all-zero hash, which the reference returns for images under 5 pixels on a side.
  public static let zero = PDQHash(w0: 0, w1: 0, w2: 0, w3: 0)

  /// Creates a hash from its four 64-bit words, least significant first.
  @inlinable
  public init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
    self.w0 = w0
    self.w1 = w1
    self.w2 = w2
    self.w3 = w3
  }

  /// Creates a hash from the sixteen 16-bit words the reference uses (`w[0]` is DCT row 0).
  ///
  /// - Parameter words16: exactly 16 values; `words16[w]` holds bits `16w…16w+15`.
  public init(words16: [UInt16]) {
    precondition(words16.count == 16, "a PDQ hash has 16 words of 16 bits")
    var out: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    for (w, value) in words16.enumerated() {
      let shifted = UInt64(value) << UInt64((w % 4) * 16)
      switch w / 4 {
      case 0: out.0 |= shifted
      case 1: out.1 |= shifted
      case 2: out.2 |= shifted
      default: out.3 |= shifted
      }
    }
    self.init(w0: out.0, w1: out.1, w2: out.2, w3: out.3)
  }

  /// The sixteen 16-bit words of the reference layout; `[w]` holds bits `16w…16w+15`.
  public var words16: [UInt16] {
    (0..<16).map { w in
      let word: UInt64
      switch w / 4 {
      case 0: word = w0
      case 1: word = w1
      case 2: word = w2
      default: word = w3
      }
      return UInt16(truncatingIfNeeded: word >> UInt64((w % 4) * 16))
    }
  }

  /// Returns bit `k` (0…255), where `k = 16·row + column` of the DCT block.
  @inlinable
  public func bit(_ k: Int) -> Bool {
    precondition(k >= 0 && k < 256, "PDQ bit index \(k) is outside 0..<256")
    let word: UInt64
    switch k >> 6 {
    case 0: word = w0
    case 1: word = w1
    case 2: word = w2
    default: word = w3
    }
    return (word >> UInt64(k & 63)) & 1 == 1
  }

  /// The number of set bits; 128 for every ordinary PDQ hash.
  @inlinable
  public var nonzeroBitCount: Int {
    w0.nonzeroBitCount + w1.nonzeroBitCount + w2.nonzeroBitCount + w3.nonzeroBitCount
  }

  /// The Hamming distance to another hash: the number of differing bits, 0…256.
  ///
  /// - Complexity: O(1): four XORs and four population counts.
  @inlinable
  public func distance(to other: PDQHash) -> Int {
    (w0 ^ other.w0).nonzeroBitCount + (w1 ^ other.w1).nonzeroBitCount
      + (w2 ^ other.w2).nonzeroBitCount + (w3 ^ other.w3).nonzeroBitCount
  }
}
