/// A fixed-size binary hash compared by Hamming distance: what every index in Sieve
/// stores. ``PDQHash`` (256 bits) and ``PHash`` (64 bits) conform.
public protocol HammingHash: Hashable, Sendable {
  /// The number of 64-bit words, `bitCount / 64`.
  static var wordCount: Int { get }
  /// Word `i` (0 = bits 0…63).
  func word(_ i: Int) -> UInt64
  /// Builds a hash from `wordCount` words, least significant first.
  init(words: UnsafeBufferPointer<UInt64>)
  /// The number of differing bits.
  func distance(to other: Self) -> Int
}

extension HammingHash {
  /// The number of bits.
  @inlinable
  public static var bitCount: Int { wordCount * 64 }

  /// Bits `start..<start + length` (length ≤ 32) as an integer, bit `start` lowest.
  @inlinable
  func bits(from start: Int, count length: Int) -> UInt32 {
    let low = word(start >> 6) >> UInt64(start & 63)
    var value = low
    let taken = 64 - (start & 63)
    if taken < length { value |= word((start >> 6) + 1) << UInt64(taken) }
    return UInt32(truncatingIfNeeded: value & ((UInt64(1) << UInt64(length)) &- 1))
  }
}

extension PDQHash: HammingHash {
  @inlinable
  public static var wordCount: Int { 4 }

  @inlinable
  public func word(_ i: Int) -> UInt64 {
    switch i {
    case 0: return w0
    case 1: return w1
    case 2: return w2
    default: return w3
    }
  }

  @inlinable
  public init(words: UnsafeBufferPointer<UInt64>) {
    self.init(w0: words[0], w1: words[1], w2: words[2], w3: words[3])
  }
}

extension PHash: HammingHash {
  @inlinable
  public static var wordCount: Int { 1 }

  @inlinable
  public func word(_ i: Int) -> UInt64 { value }

  @inlinable
  public init(words: UnsafeBufferPointer<UInt64>) {
    self.init(words[0])
  }
}
