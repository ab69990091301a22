import CHashKernels
import SieveCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pillow's 8-bit Lanczos (a = 3) resampling along one axis, in its fixed-point
/// arithmetic (`src/libImaging/Resample.c`: `precompute_coeffs`,
/// `normalize_coeffs_8bpc`, 22 fractional bits, round-half-up, clip to 0…255), so
/// that `convert("L").resize((32, 32), LANCZOS)` is reproduced exactly.
struct LanczosResampler: Sendable {
  /// First input index and number of inputs for each output.
  let bounds: [(first: Int, count: Int)]
  /// The same, as the C kernel takes them.
  let firsts: [Int32]
  let counts: [Int32]
  /// `kernelSize` fixed-point weights per output.
  let weights: [Int32]
  /// The same weights split as `w = 256 · high + low` (`low` in 0…255; |w| ≤ 2²² so
  /// `high` fits too), for the kernel's 16-bit multiply-adds: `256 · Σ v·high + Σ v·low`
  /// is the same integer as `Σ v·w`.
  let weightsHigh: [Int16]
  let weightsLow: [Int16]
  /// When every output's weights lie within 65,536 of each other (a reduction by about
  /// 70 or more, as a photo's rows to 32), the weights as `w − weightsOffset` in 16 bits,
  /// for the kernel that needs one multiply-add per two pixels instead of two; else empty.
  let weightsShifted: [Int16]
  let weightsOffset: Int32
  let kernelSize: Int
  /// Whether the axis changes size at all (Pillow skips an unchanged axis).
  let isIdentity: Bool
  /// The input length this resampler was built for.
  let inputSize: Int

  static let precisionBits = 22

  /// Resamplers already built, by input and output size: building one evaluates the
  /// Lanczos kernel a few thousand times, a cost paid once per size rather than per image.
  private static let built = Locked<[Int: LanczosResampler]>([:])

  /// Whether a resampler for these sizes is kept for later callers.
  static func isKept(inputSize: Int, outputSize: Int) -> Bool {
    built.withLock { $0[inputSize << 20 | outputSize] != nil }
  }

  /// A resampler for these sizes, shared with earlier callers when one was built.
  static func shared(inputSize: Int, outputSize: Int) -> LanczosResampler {
    let key = inputSize << 20 | outputSize
    if let found = built.withLock({ $0[key] }) { return found }
    let made = LanczosResampler(inputSize: inputSize, outputSize: outputSize)
    // At most 64 sizes are kept, each only when its weights are small (under 256K, 2.5
    // MiB in all): a very wide picture's resampler holds tens of MB and is built for it alone,
    // so pictures of many odd widths cannot fill memory with them.
    guard made.weights.count <= 1 << 18 else { return made }
    built.withLock { cache in
      if cache.count >= 64 { cache.removeAll() }
      cache[key] = made
    }
    return made
  }

  init(inputSize: Int, outputSize: Int) {
    isIdentity = inputSize == outputSize
    self.inputSize = inputSize
    let scale = Double(inputSize) / Double(outputSize)
    let filterScale = max(scale, 1.0)
    let support = 3.0 * filterScale
    kernelSize = Int(support.rounded(.up)) * 2 + 1
    var bounds: [(Int, Int)] = []
    var weights = [Int32](repeating: 0, count: outputSize * kernelSize)
    for out in 0..<outputSize {
      let center = (Double(out) + 0.5) * scale
      let ss = 1.0 / filterScale
      let first = max(Int(center - support + 0.5), 0)
      let end = min(Int(center + support + 0.5), inputSize)
      let count = end - first
      var k = [Double](repeating: 0, count: max(count, 0))
      var total = 0.0
      for x in 0..<max(count, 0) {
        let w = Self.lanczos((Double(x + first) - center + 0.5) * ss)
        k[x] = w
        total += w
      }
      for x in 0..<max(count, 0) {
        let normalized = total != 0 ? k[x] / total : k[x]
        let scaled = normalized * Double(1 << Self.precisionBits)
        weights[out * kernelSize + x] = Int32(scaled < 0 ? (-0.5 + scaled).rounded(.towardZero) : (0.5 + scaled).rounded(.towardZero))
      }
      bounds.append((first, max(count, 0)))
    }
    self.bounds = bounds
    firsts = bounds.map { Int32($0.0) }
    counts = bounds.map { Int32($0.1) }
    self.weights = weights
    weightsHigh = weights.map { Int16($0 >> 8) }
    weightsLow = weights.map { Int16($0 & 255) }
    (weightsShifted, weightsOffset) = Self.shifted(weights, bounds: bounds, kernelSize: kernelSize)
  }

  /// The weights each output reads, less one offset so that all fit in 16 bits, or
  /// nothing when their spread is too wide.
  static func shifted(_ weights: [Int32], bounds: [(Int, Int)], kernelSize: Int) -> ([Int16], Int32) {
    var low = Int32.max, high = Int32.min
    for (out, bound) in bounds.enumerated() {
      for x in 0..<bound.1 {
        low = min(low, weights[out * kernelSize + x])
        high = max(high, weights[out * kernelSize + x])
      }
    }
    guard low <= high else { return ([], 0) }
    let offset = Int32((Int64(low) + Int64(high)) >> 1)
    guard high - offset <= Int32(Int16.max), low - offset >= Int32(Int16.min) else { return ([], 0) }
    return (weights.map { Int16(clamping: $0 - offset) }, offset)
  }

  static func sinc(_ x: Double) -> Double {
    if x == 0 { return 1 }
    let px = x * Double.pi
    return sin(px) / px
  }

  static func lanczos(_ x: Double) -> Double {
    (-3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3) : 0
  }

  @inline(__always)
  static func clip8(_ sum: Int32) -> UInt8 {
    UInt8(clamping: sum >> Int32(precisionBits))
  }

  /// Resamples one contiguous line (a row) of samples 0…255 into `output[0..<outputSize]`.
  /// The samples are held in 16 bits, as the kernels multiply them, so that each is widened
  /// once rather than by every output that reads it.
  @inline(__always)
  func resampleRow(_ input: UnsafePointer<UInt16>, into output: UnsafeMutablePointer<UInt8>) {
    firsts.withUnsafeBufferPointer { f in
      counts.withUnsafeBufferPointer { c in
        if !weightsShifted.isEmpty {
          weightsShifted.withUnsafeBufferPointer { shifted in
            sieve_resample_row_offset(
              input, output, bounds.count, f.baseAddress, c.baseAddress, shifted.baseAddress, weightsOffset, kernelSize)
          }
          return
        }
        weightsHigh.withUnsafeBufferPointer { high in
          weightsLow.withUnsafeBufferPointer { low in
            sieve_resample_row(
              input, output, bounds.count, f.baseAddress, c.baseAddress, high.baseAddress, low.baseAddress, kernelSize)
          }
        }
      }
    }
  }

  /// Resamples every column of `input` (rows of `columns` bytes, `inputSize` of them) at
  /// once into `output` (`outputSize` rows of `columns` bytes).
  @inline(__always)
  func resampleColumns(_ input: UnsafePointer<UInt8>, columns: Int, into output: UnsafeMutablePointer<UInt8>) {
    firsts.withUnsafeBufferPointer { f in
      counts.withUnsafeBufferPointer { c in
        weights.withUnsafeBufferPointer { w in
          sieve_resample_columns(input, columns, output, bounds.count, f.baseAddress, c.baseAddress, w.baseAddress, kernelSize)
        }
      }
    }
  }
}
