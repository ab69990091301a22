/// A 64-bit DCT perceptual hash, as Python `imagehash.phash` computes it.
///
/// The image is reduced to 32×32 grey, transformed with a 2-D DCT-II, and the
/// top-left 8×8 block (DC term included) is compared with its median. The bits are
/// packed row-major with the first coefficient as the most significant bit, so
/// ``hexString`` is imagehash's `str(hash)` form (16 lowercase hex digits).
///
/// This is the `imagehash` flavour; libpHash's `ph_dct_imagehash` computes a
/// different, incompatible value.
@frozen
public struct PHash: Hashable, Sendable {
  /// The 64 bits; bit 63 is coefficient (0, 0), bit 0 is coefficient (7, 7).
  public var value: UInt64

  /// The number of bits in a pHash.
  public static let bitCount = 64

  /// Creates a hash from its 64-bit value (imagehash's big-endian bit order).
  @inlinable
  public init(_ value: UInt64) {
    self.value = value
  }

  /// The Hamming distance to another hash: the number of differing bits, 0…64.
  ///
  /// - Complexity: O(1).
  @inlinable
  public func distance(to other: PHash) -> Int {
    (value ^ other.value).nonzeroBitCount
  }
}
