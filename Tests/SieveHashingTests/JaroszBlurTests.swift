import SieveTestSupport
import Testing

@testable import SieveHashing

/// The pipelined in-place blur against a plain transcription of the reference
/// (`box1DFloat` into a second buffer, pass by pass, spec §4), bit for bit.
@Suite struct JaroszBlurTests {
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

  @Test("bit-identical to the reference on many sizes and windows", arguments: [
    (5, 5), (7, 13), (8, 8), (9, 17), (16, 5), (31, 64), (63, 65), (64, 64), (65, 70), (129, 9), (9, 129),
    (130, 257), (257, 130), (300, 41), (513, 384), (1000, 37), (37, 1000),
  ])
  func matchesReference(width: Int, height: Int) {
    let seed = UInt64(width * 10_007 + height)
    var rng = SplitMix64(seed: seed)
    let plane = Self.randomPlane(width: width, height: height, rng: &rng)
    let expected = Self.referenceBlur(plane, width: width, height: height)
    var actual = plane
    var blur = JaroszBlur()
    actual.withUnsafeMutableBufferPointer { blur.apply(to: $0.baseAddress!, width: width, height: height) }
    let differing = zip(actual, expected).filter { $0.0.bitPattern != $0.1.bitPattern }.count
    #expect(differing == 0, "\(width)×\(height): \(differing) values differ (seed \(seed))")
  }

  @Test func aReusedBlurGivesTheSameResults() {
    var rng = SplitMix64(seed: 99)
    var blur = JaroszBlur()
    for (width, height) in [(300, 200), (40, 90), (300, 200)] {
      let plane = Self.randomPlane(width: width, height: height, rng: &rng)
      var actual = plane
      actual.withUnsafeMutableBufferPointer { blur.apply(to: $0.baseAddress!, width: width, height: height) }
      #expect(actual == Self.referenceBlur(plane, width: width, height: height))
    }
  }

  @Test func windowFormula() {
    #expect([1, 128, 129, 256, 257, 512, 1600, 4032].map(JaroszBlur.window(for:)) == [1, 1, 2, 2, 3, 4, 13, 32])
  }
}
