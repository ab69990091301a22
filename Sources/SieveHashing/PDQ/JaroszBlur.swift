/// The PDQ reference's Jarosz filter: two rounds of a horizontal then a vertical
/// running-sum box filter, which together approximate a tent filter (spec §4).
///
/// This version works in place on one float plane (4 bytes a pixel, plus a
/// ring of `window` rows and two rows of scratch), where the reference uses two
/// full planes. It vectorises across independent rows (horizontal passes, eight
/// rows at a time) and across independent columns (vertical passes), while every
/// row and column keeps the reference's summation order, so results are
/// bit-identical.
struct JaroszBlur {
  private var lanes: [SIMD8<Float>] = []
  private var lanesOut: [SIMD8<Float>] = []
  private var sums: [Float] = []
  private var ring: [Float] = []

  /// The reference window for downsampling `length` samples to 64: `ceil(length / 128)`.
  static func window(for length: Int) -> Int {
    (length + 127) / 128
  }

  /// Blurs `plane` (`height` rows of `width` floats) in place: two rounds of
  /// horizontal (window from the width) then vertical (window from the height).
  ///
  /// - Complexity: O(width × height).
  mutating func apply(to plane: UnsafeMutablePointer<Float>, width: Int, height: Int) {
    let windowH = Self.window(for: width)
    let windowV = Self.window(for: height)
    for _ in 0..<2 {
      horizontal(plane, width: width, height: height, window: windowH)
      vertical(plane, width: width, height: height, window: windowV)
    }
  }

  /// Box-filters every row, eight rows at a time in SIMD lanes.
  private mutating func horizontal(_ plane: UnsafeMutablePointer<Float>, width: Int, height: Int, window: Int) {
    if lanes.count < width {
      lanes = [SIMD8<Float>](repeating: .zero, count: width)
      lanesOut = [SIMD8<Float>](repeating: .zero, count: width)
    }
    lanes.withUnsafeMutableBufferPointer { input in
      lanesOut.withUnsafeMutableBufferPointer { output in
        let src = input.baseAddress!
        let dst = output.baseAddress!
        var first = 0
        while first < height {
          let valid = min(8, height - first)
          // Rows past the end repeat the last row; their lanes are never stored.
          var rows: [UnsafeMutablePointer<Float>] = []
          rows.reserveCapacity(8)
          for k in 0..<8 { rows.append(plane + (first + min(k, valid - 1)) * width) }
          let r0 = rows[0], r1 = rows[1], r2 = rows[2], r3 = rows[3]
          let r4 = rows[4], r5 = rows[5], r6 = rows[6], r7 = rows[7]
          for x in 0..<width {
            src[x] = SIMD8(r0[x], r1[x], r2[x], r3[x], r4[x], r5[x], r6[x], r7[x])
          }
          boxFilter(count: width, window: window, load: { src[$0] }, store: { dst[$0] = $1 })
          for k in 0..<valid {
            let row = rows[k]
            for x in 0..<width { row[x] = dst[x][k] }
          }
          first += 8
        }
      }
    }
  }

  /// Box-filters every column in place, all columns of a row at once. The original
  /// values of rows already overwritten are kept in a ring of `window` rows.
  private mutating func vertical(_ plane: UnsafeMutablePointer<Float>, width: Int, height: Int, window: Int) {
    if sums.count < width { sums = [Float](repeating: 0, count: width) }
    if ring.count < width * window { ring = [Float](repeating: 0, count: width * window) }
    sums.withUnsafeMutableBufferPointer { sumsBuffer in
      ring.withUnsafeMutableBufferPointer { ringBuffer in
        let sum = sumsBuffer.baseAddress!
        let saved = ringBuffer.baseAddress!
        for x in 0..<width { sum[x] = 0 }
        let half = (window + 2) / 2
        var size: Float = 0
        var right = 0
        var left = 0
        var out = 0

        @inline(__always) func add(_ row: Int) {
          let r = plane + row * width
          for x in 0..<width { sum[x] = sum[x] + r[x] }
        }
        @inline(__always) func subtractOriginal(_ row: Int) {
          let r = saved + (row % window) * width
          for x in 0..<width { sum[x] = sum[x] - r[x] }
        }
        @inline(__always) func emit(_ row: Int, _ size: Float) {
          let r = plane + row * width
          (saved + (row % window) * width).update(from: r, count: width)
          for x in 0..<width { r[x] = sum[x] / size }
        }

        for _ in 0..<(half - 1) {
          add(right)
          size += 1
          right += 1
        }
        for _ in 0..<(window - half + 1) {
          add(right)
          size += 1
          right += 1
          emit(out, size)
          out += 1
        }
        for _ in 0..<max(height - window, 0) {
          add(right)
          subtractOriginal(left)
          right += 1
          left += 1
          emit(out, size)
          out += 1
        }
        for _ in 0..<(half - 1) {
          subtractOriginal(left)
          size -= 1
          left += 1
          emit(out, size)
          out += 1
        }
      }
    }
  }
}
