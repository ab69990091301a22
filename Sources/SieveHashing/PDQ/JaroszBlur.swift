/// The PDQ reference's Jarosz filter: two rounds of a horizontal then a vertical
/// running-sum box filter, which together approximate a tent filter (spec §4).
///
/// This version works in place on one float plane (4 bytes a pixel, plus a ring of
/// `window` rows per vertical pass), where the reference uses two full planes, and
/// it runs the four passes as one pipelined sweep down the image: a band of rows is
/// filtered horizontally, fed to the first vertical filter, whose finished rows are
/// filtered horizontally again and fed to the second vertical filter. Every row
/// stays in cache from the first pass to the last, instead of the plane streaming
/// through memory four times.
///
/// Horizontal passes run eight rows at a time in SIMD lanes; vertical passes run all
/// columns of a row at once. Both keep, for every row and every column, the
/// reference's exact order of float32 adds, subtracts and divides, so results are
/// bit-identical to `box1DFloat` applied pass by pass.
struct JaroszBlur {
  private var lanes: [SIMD8<Float>] = []
  private var lanesOut: [SIMD8<Float>] = []
  private var first = VerticalBoxFilter()
  private var second = VerticalBoxFilter()

  /// The reference window for downsampling `length` samples to 64: `ceil(length / 128)`.
  static func window(for length: Int) -> Int {
    (length + 127) / 128
  }

  /// Blurs `plane` (`height` rows of `width` floats) in place: two rounds of
  /// horizontal (window from the width) then vertical (window from the height).
  ///
  /// - Complexity: O(width × height) time; O(width × height / 64) extra memory.
  mutating func apply(to plane: UnsafeMutablePointer<Float>, width: Int, height: Int) {
    let windowH = Self.window(for: width)
    let windowV = Self.window(for: height)
    if lanes.count < width {
      lanes = [SIMD8<Float>](repeating: .zero, count: width)
      lanesOut = [SIMD8<Float>](repeating: .zero, count: width)
    }
    first.start(width: width, height: height, window: windowV)
    second.start(width: width, height: height, window: windowV)
    var filtered1 = 0  // rows done by the first horizontal pass
    var filtered2 = 0  // rows done by the second horizontal pass
    while second.emitted < height {
      if filtered1 < height {
        let count = min(8, height - filtered1)
        horizontal(plane, width: width, rows: filtered1..<filtered1 + count, window: windowH)
        filtered1 += count
      }
      first.advance(plane, available: filtered1)
      // The second horizontal pass takes rows the first vertical pass has finished,
      // in bands of eight (or whatever is left at the end).
      while first.emitted - filtered2 >= 8 || (first.emitted == height && filtered2 < height) {
        let count = min(8, first.emitted - filtered2)
        horizontal(plane, width: width, rows: filtered2..<filtered2 + count, window: windowH)
        filtered2 += count
      }
      second.advance(plane, available: filtered2)
    }
  }

  /// Box-filters up to eight rows in place, one row per SIMD lane.
  private mutating func horizontal(_ plane: UnsafeMutablePointer<Float>, width: Int, rows: Range<Int>, window: Int) {
    lanes.withUnsafeMutableBufferPointer { input in
      lanesOut.withUnsafeMutableBufferPointer { output in
        let src = input.baseAddress!
        let dst = output.baseAddress!
        let valid = rows.count
        // Lanes past the last row repeat it; they are never stored.
        let r0 = plane + rows.lowerBound * width
        let r1 = plane + (rows.lowerBound + min(1, valid - 1)) * width
        let r2 = plane + (rows.lowerBound + min(2, valid - 1)) * width
        let r3 = plane + (rows.lowerBound + min(3, valid - 1)) * width
        let r4 = plane + (rows.lowerBound + min(4, valid - 1)) * width
        let r5 = plane + (rows.lowerBound + min(5, valid - 1)) * width
        let r6 = plane + (rows.lowerBound + min(6, valid - 1)) * width
        let r7 = plane + (rows.lowerBound + min(7, valid - 1)) * width
        for x in 0..<width {
          src[x] = SIMD8(r0[x], r1[x], r2[x], r3[x], r4[x], r5[x], r6[x], r7[x])
        }
        boxFilter(count: width, window: window, load: { src[$0] }, store: { dst[$0] = $1 })
        for k in 0..<valid {
          let row = plane + (rows.lowerBound + k) * width
          for x in 0..<width { row[x] = dst[x][k] }
        }
      }
    }
  }
}

/// The reference box filter down every column at once, fed rows as they become
/// available and writing its outputs in place.
///
/// Output row `i` needs input rows up to `min(i + h − 1, n − 1)`, where
/// `h = (window + 2) / 2`. Before output row `i` overwrites input row `i`, the input
/// is saved in a ring of `window` rows, from which the running sums later subtract it.
struct VerticalBoxFilter {
  private var sums: [Float] = []
  private var ring: [Float] = []
  private var width = 0
  private var height = 0
  private var window = 1
  private var half = 1
  private var size: Float = 0
  /// Output rows written so far.
  private(set) var emitted = 0

  mutating func start(width: Int, height: Int, window: Int) {
    self.width = width
    self.height = height
    self.window = window
    half = (window + 2) / 2
    size = 0
    emitted = 0
    if sums.count < width { sums = [Float](repeating: 0, count: width) }
    if ring.count < width * window { ring = [Float](repeating: 0, count: width * window) }
    for x in 0..<width { sums[x] = 0 }
  }

  /// Writes every output row whose inputs are among the first `available` rows.
  mutating func advance(_ plane: UnsafeMutablePointer<Float>, available: Int) {
    let width = width, height = height, window = window, half = half
    var size = size
    var out = emitted
    sums.withUnsafeMutableBufferPointer { sumsBuffer in
      ring.withUnsafeMutableBufferPointer { ringBuffer in
        let sum = sumsBuffer.baseAddress!
        let saved = ringBuffer.baseAddress!

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

        while out < height {
          let needed = min(out + half - 1, height - 1)
          guard needed < available else { break }
          if out == 0 {
            // Phase 1: accumulate the first h − 1 rows without output.
            for row in 0..<(half - 1) {
              add(row)
              size += 1
            }
          }
          if out <= window - half {
            // Phase 2: the window grows.
            add(out + half - 1)
            size += 1
          } else if out <= height - half {
            // Phase 3: full window; add the new row, then subtract the old one.
            add(out + half - 1)
            subtractOriginal(out - (window - half + 1))
          } else {
            // Phase 4: the window shrinks.
            subtractOriginal(out - (window - half + 1))
            size -= 1
          }
          emit(out, size)
          out += 1
        }
      }
    }
    self.size = size
    emitted = out
  }
}
