import CHashKernels
import Foundation
import SieveTestSupport
import Testing

@testable import SieveHashing

/// The blur (`CHashKernels`, at each vector width) against a plain transcription of the reference
/// (`box1DFloat` into a second buffer, pass by pass, spec §4), bit for bit.
@Suite(.serialized) struct JaroszBlurTests {
  /// The reference 1-D box filter: in[start + k·stride] → out, float32, four phases.
  static func box1D(_ input: [Float], _ output: inout [Float], start: Int, stride: Int, count n: Int, window w: Int) {
    let half = (w + 2) / 2
    var sum: Float = 0
    var size = 0
    var right = start, left = start, out = start
    for _ in 0..<(half - 1) {
      sum += input[right]
      size += 1
      right += stride
    }
    for _ in 0..<(w - half + 1) {
      sum += input[right]
      size += 1
      output[out] = sum / Float(size)
      right += stride
      out += stride
    }
    for _ in 0..<(n - w) {
      sum += input[right]
      sum -= input[left]
      output[out] = sum / Float(size)
      left += stride
      right += stride
      out += stride
    }
    for _ in 0..<(half - 1) {
      sum -= input[left]
      size -= 1
      output[out] = sum / Float(size)
      left += stride
      out += stride
    }
  }

  static func referenceBlur(_ plane: [Float], width: Int, height: Int) -> [Float] {
    var a = plane
    var b = plane
    let windowH = (width + 127) / 128, windowV = (height + 127) / 128
    for _ in 0..<2 {
      for row in 0..<height { box1D(a, &b, start: row * width, stride: 1, count: width, window: windowH) }
      for column in 0..<width { box1D(b, &a, start: column, stride: width, count: height, window: windowV) }
    }
    return a
  }

  static func randomPlane(width: Int, height: Int, rng: inout SplitMix64) -> [Float] {
    (0..<width * height).map { _ in Float(rng.next() % 25600) / 100 }
  }

  /// Blurs a copy of `plane` with ``BlurredColumns`` at the given kernel level and
  /// returns, for every listed column, the values of all its rows, with the reference's.
  static func compare(
    _ plane: [Float], width: Int, height: Int, columns: [Int], level: Int32, blurred: inout BlurredColumns
  ) -> (differing: Int, checked: Int) {
    let expected = referenceBlur(plane, width: width, height: height)
    var copy = plane
    sieve_kernels_set_level(level)
    defer { sieve_kernels_set_level(0) }
    copy.withUnsafeMutableBufferPointer { blurred.blur($0.baseAddress!, width: width, height: height, columns: columns) }
    var differing = 0, checked = 0
    for x in Set(columns) {
      for y in 0..<height {
        checked += 1
        if blurred.value(y: y, x: x).bitPattern != expected[y * width + x].bitPattern { differing += 1 }
      }
    }
    return (differing, checked)
  }

  @Test("bit-identical to the reference on many sizes and windows, in every column, at every vector width", arguments: [
    (5, 5), (7, 13), (8, 8), (9, 17), (16, 5), (17, 33), (31, 64), (63, 65), (64, 64), (65, 70), (129, 9), (9, 129),
    (130, 257), (257, 130), (300, 41), (513, 384), (1000, 37), (37, 1000),
  ])
  func matchesReference(width: Int, height: Int) {
    let seed = UInt64(width * 10_007 + height)
    var rng = SplitMix64(seed: seed)
    let plane = Self.randomPlane(width: width, height: height, rng: &rng)
    var blurred = BlurredColumns()
    for level in Int32(1)...3 {
      let result = Self.compare(plane, width: width, height: height, columns: Array(0..<width), level: level, blurred: &blurred)
      #expect(result.checked == width * height)
      #expect(result.differing == 0, "\(width)×\(height), level \(level): \(result.differing) values differ (seed \(seed))")
    }
  }

  @Test("only some columns: PDQ's 64, scattered ones, the first and the last")
  func someColumns() {
    var rng = SplitMix64(seed: 7)
    var blurred = BlurredColumns()
    for (width, height) in [(640, 480), (1001, 77), (70, 900), (4000, 300)] {
      let plane = Self.randomPlane(width: width, height: height, rng: &rng)
      let grid = (0..<64).map { Int((Double($0) + 0.5) * Double(width) / 64) }
      let scattered = (0..<40).map { _ in Int(rng.next() % UInt64(width)) } + [0, width - 1, 0]
      for columns in [grid, scattered, [width / 2]] {
        for level in Int32(1)...3 {
          let result = Self.compare(plane, width: width, height: height, columns: columns, level: level, blurred: &blurred)
          #expect(result.differing == 0, "\(width)×\(height), level \(level), \(Set(columns).count) columns")
        }
      }
    }
  }

  /// Where the CPU has FMA the blur divides by a full window through a reciprocal pair,
  /// claimed exact for windows 1…2048: every float32 mantissa against true division (the
  /// result scales exactly with the exponent). Windows 1…64 (every image up to 8192 px a
  /// side) and a spread of larger ones here; SIEVE_CHECK_ALL_RECIPROCALS=1 checks all 2048.
  @Test("the blur's reciprocal division equals true division for every float32 mantissa")
  func reciprocalDivisionIsExact() {
    let all = ProcessInfo.processInfo.environment["SIEVE_CHECK_ALL_RECIPROCALS"] == "1"
    let windows = all ? Array(1...2048) : Array(1...64) + Array(stride(from: 65, through: 2048, by: 131)) + [2047, 2048]
    for window in windows {
      #expect(sieve_reciprocal_mismatches(Int32(window)) == 0, "window \(window)")
    }
    for window in [0, 2049, 100_000] { #expect(sieve_reciprocal_mismatches(Int32(window)) == -1) }
    // The portable build's scalar check (it divides in the blur, but the claim is the same).
    sieve_kernels_set_level(1)
    defer { sieve_kernels_set_level(0) }
    for window in [24, 1021] { #expect(sieve_reciprocal_mismatches(Int32(window)) == 0, "window \(window), scalar") }
  }

  /// The reciprocal pairs are exact for sums of luma-like values, not for any float: a
  /// sum near 2^-122 loses bits in `a · zl`. Such planes are divided (the review's
  /// example: one pixel of 0x1.000002p-122 in a 600 × 3 plane changed 299 of 1,800 values).
  @Test("planes of other floats (tiny, huge) are divided: still the reference's values at every width")
  func floatsFarFromLuma() {
    var rng = SplitMix64(seed: 11)
    var blurred = BlurredColumns()
    for (width, height) in [(600, 3), (300, 200)] {
      // Zeros around the tiny values, so that the sums they make stay tiny; luma elsewhere.
      var plane = Self.randomPlane(width: width, height: height, rng: &rng)
      for x in 0..<width * 2 { plane[x] = 0 }
      plane[7] = Float(bitPattern: 0x0280_0001)  // 0x1.000002p-122
      plane[width + 11] = -Float(bitPattern: 0x0280_0001)
      plane[plane.count - 5] = 1e20
      #expect(sieve_floats_are_luma_like(plane, plane.count) == 0)
      for level in Int32(1)...3 {
        let result = Self.compare(plane, width: width, height: height, columns: Array(0..<width), level: level, blurred: &blurred)
        #expect(result.differing == 0, "\(width)×\(height), level \(level): \(result.differing) values differ")
      }
    }
  }

  @Test("what counts as luma-like: 0, or 2^-20 ... 2^40 in magnitude, finite")
  func lumaLikeRange() {
    let inside: [Float] = [0, -0.0, 0x1p-20, -0x1p-20, 0.114, 255, 0x1p40, -0x1p40]
    let outside: [Float] = [0x1p-21, 0x1.fffffep-21, 0x1.000002p40, .infinity, -.infinity, .nan, .leastNonzeroMagnitude]
    for value in inside { #expect(sieve_floats_are_luma_like([value, 1], 2) == 1, "\(value)") }
    for value in outside { #expect(sieve_floats_are_luma_like([1, value], 2) == 0, "\(value)") }
    #expect(sieve_floats_are_luma_like([], 0) == 1)
  }

  @Test func everyLevelIsReportedAndRestored() {
    let best = sieve_kernels_level()
    #expect((1...3).contains(best))
    sieve_kernels_set_level(1)
    #expect(sieve_kernels_level() == 1)
    sieve_kernels_set_level(9)
    #expect(sieve_kernels_level() == best)
    sieve_kernels_set_level(0)
    #expect(sieve_kernels_level() == best)
  }

  @Test func windowFormula() {
    #expect([1, 128, 129, 256, 257, 512, 1600, 4032].map(JaroszBlur.window(for:)) == [1, 1, 2, 2, 3, 4, 13, 32])
  }
}
