import SieveCore
import SieveImaging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Computes the 64-bit DCT perceptual hash exactly as Python `imagehash.phash`
/// (4.3, defaults: hash size 8, high-frequency factor 4) does on a Pillow image.
///
/// 1. Gray as Pillow's `convert("L")`: `(19595 R + 38470 G + 7471 B + 32768) >> 16`.
/// 2. Resize to 32×32 with Pillow's Lanczos: horizontal pass, then vertical, each
///    in 22-bit fixed point and written back to 8 bits (``LanczosResampler``).
/// 3. DCT-II (scipy `fftpack`, unnormalised) on both axes in float64.
/// 4. The top-left 8×8 block, DC included, against its median (mean of the two
///    middle values); bit = value > median, row-major, first coefficient the MSB.
///
/// Rows can be fed one at a time while an image decodes, so no gray frame is kept:
/// call ``begin(width:height:)``, then ``consume(grayBytes:row:)`` for every row, then
/// ``finish()``.
public struct PHasher: Sendable {
  private var width = 0
  private var height = 0
  private var horizontal: LanczosResampler?
  private var vertical: LanczosResampler?
  private var columns: [UInt8] = []
  /// A row of bytes widened for the resampler (``consume(grayBytes:row:)``).
  private var widened: [UInt16] = []

  /// The side of the square the image is reduced to.
  public static let size = 32

  public init() {}

  /// Starts an image of the given size.
  public mutating func begin(width: Int, height: Int) {
    self.width = width
    self.height = height
    if width == Self.size {
      horizontal = nil
    } else if horizontal?.inputSize != width {
      horizontal = LanczosResampler.shared(inputSize: width, outputSize: Self.size)
    }
    columns = [UInt8](repeating: 0, count: Self.size * height)
  }

  /// Takes row `row` of the gray image: `width` samples, each 0…255, in 16 bits (as
  /// `sieve_luma_from_rgb` gives them). Internal: the resampling kernels' sums are exact
  /// only for samples under 256, which the public ``consume(grayBytes:row:)`` guarantees.
  mutating func consume(grayRow: UnsafePointer<UInt16>, row: Int) {
    precondition(row >= 0 && row < height, "row \(row) outside 0..<\(height)")
    columns.withUnsafeMutableBufferPointer { out in
      let dst = out.baseAddress! + row * Self.size
      if let horizontal {
        horizontal.resampleRow(grayRow, into: dst)
      } else {
        for x in 0..<Self.size { dst[x] = UInt8(truncatingIfNeeded: grayRow[x]) }
      }
    }
  }

  /// Takes row `row` of the gray image as `width` bytes.
  public mutating func consume(grayBytes: UnsafePointer<UInt8>, row: Int) {
    if widened.count != width { widened = [UInt16](repeating: 0, count: width) }
    var wide = widened
    widened = []
    wide.withUnsafeMutableBufferPointer { w in
      for x in 0..<width { w[x] = UInt16(grayBytes[x]) }
      consume(grayRow: UnsafePointer(w.baseAddress!), row: row)
    }
    widened = wide
  }

  /// Finishes the image: the vertical pass, the DCT and the bits.
  public mutating func finish() -> PHash {
    var small = [UInt8](repeating: 0, count: Self.size * Self.size)
    if height == Self.size {
      small = columns
    } else {
      if vertical?.inputSize != height { vertical = LanczosResampler.shared(inputSize: height, outputSize: Self.size) }
      let vertical = vertical!
      columns.withUnsafeBufferPointer { input in
        small.withUnsafeMutableBufferPointer { output in
          vertical.resampleColumns(input.baseAddress!, columns: Self.size, into: output.baseAddress!)
        }
      }
    }
    return Self.hash(gray32: small)
  }

  /// Hashes a whole decoded image.
  public static func hash(_ image: PixelImage) -> PHash {
    var hasher = PHasher()
    hasher.begin(width: image.width, height: image.height)
    var gray = [UInt16](repeating: 0, count: image.width)
    image.pixels.withUnsafeBufferPointer { pixels in
      for y in 0..<image.height {
        let row = pixels.baseAddress! + y * image.rowBytes
        if image.layout == .gray {
          hasher.consume(grayBytes: row, row: y)
        } else {
          gray.withUnsafeMutableBufferPointer { Self.grayFromRGB(row, into: $0.baseAddress!, count: image.width) }
          gray.withUnsafeBufferPointer { hasher.consume(grayRow: $0.baseAddress!, row: y) }
        }
      }
    }
    return hasher.finish()
  }

  /// Pillow's `convert("L")` for one RGB row (ITU-R 601-2 luma in 16-bit fixed point).
  @inline(__always)
  static func grayFromRGB(_ rgb: UnsafePointer<UInt8>, into gray: UnsafeMutablePointer<UInt16>, count: Int) {
    for x in 0..<count {
      let r = UInt32(rgb[3 * x]), g = UInt32(rgb[3 * x + 1]), b = UInt32(rgb[3 * x + 2])
      gray[x] = UInt16(truncatingIfNeeded: (r &* 19595 &+ g &* 38470 &+ b &* 7471 &+ 0x8000) >> 16)
    }
  }

  /// The unnormalised DCT-II basis, `2·cos(π k (2n + 1) / 64)`, for k < 8.
  private static let basis: [Double] = {
    var c = [Double](repeating: 0, count: 8 * 32)
    for k in 0..<8 {
      for n in 0..<32 {
        c[k * 32 + n] = 2 * cos(Double.pi * Double(k) * Double(2 * n + 1) / 64)
      }
    }
    return c
  }()

  /// Hashes a 32×32 gray image (the input imagehash passes to its DCT).
  ///
  /// - Parameter gray32: 1,024 samples, row-major.
  public static func hash(gray32: [UInt8]) -> PHash {
    precondition(gray32.count == 32 * 32, "pHash needs a 32×32 gray image")
    let c = basis
    // DCT along axis 0 (columns), low 8 frequencies: y[k][j].
    var y = [Double](repeating: 0, count: 8 * 32)
    for k in 0..<8 {
      for j in 0..<32 {
        var s = 0.0
        for n in 0..<32 { s += c[k * 32 + n] * Double(gray32[n * 32 + j]) }
        y[k * 32 + j] = s
      }
    }
    // Then along axis 1 (rows): z[k][l].
    var z = [Double](repeating: 0, count: 64)
    for k in 0..<8 {
      for l in 0..<8 {
        var s = 0.0
        for n in 0..<32 { s += c[l * 32 + n] * y[k * 32 + n] }
        z[k * 8 + l] = s
      }
    }
    let sorted = z.sorted()
    let median = (sorted[31] + sorted[32]) / 2
    var value: UInt64 = 0
    for i in 0..<64 where z[i] > median {
      value |= UInt64(1) << UInt64(63 - i)
    }
    return PHash(value)
  }
}
