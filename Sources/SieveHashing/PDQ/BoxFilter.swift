/// Values the running-sum box filter can work on: one `Float`, or several lanes
/// (independent rows) at once.
protocol BoxFilterLanes {
  static var zero: Self { get }
  static func + (lhs: Self, rhs: Self) -> Self
  static func - (lhs: Self, rhs: Self) -> Self
  /// Each lane divided by `count`, as a separate float32 division.
  func divided(by count: Float) -> Self
}

extension Float: BoxFilterLanes {
  @inline(__always)
  func divided(by count: Float) -> Float { self / count }
}

extension SIMD8: BoxFilterLanes where Scalar == Float {
  @inline(__always)
  func divided(by count: Float) -> SIMD8<Float> { self / SIMD8(repeating: count) }
}

/// The PDQ reference's one-dimensional box filter (`box1DFloat`), in its exact
/// float32 operation order (spec §4.3).
///
/// A running sum with four phases: accumulate, grow, full window, shrink. The
/// window for `window` = w covers `[i − (w − h), i + h − 1]` with `h = (w + 2) / 2`,
/// clipped to the vector and divided by the number of samples inside it. Every add,
/// subtract and divide is a separate float32 operation, even for w = 1, where the
/// filter is not an identity.
///
/// - Parameters:
///   - count: the vector length n (n ≥ window).
///   - window: the window w ≥ 1.
///   - load: reads input `k`.
///   - store: writes output `i`; outputs are written in ascending order, and output
///     `i` is written after input `i + h − 1` was last read.
/// - Complexity: O(n).
@inline(__always)
func boxFilter<V: BoxFilterLanes>(
  count n: Int, window w: Int, load: (Int) -> V, store: (Int, V) -> Void
) {
  let half = (w + 2) / 2
  var sum = V.zero
  var size = 0
  var right = 0
  var left = 0
  var out = 0
  for _ in 0..<(half - 1) {
    sum = sum + load(right)
    size += 1
    right += 1
  }
  for _ in 0..<(w - half + 1) {
    sum = sum + load(right)
    size += 1
    right += 1
    store(out, sum.divided(by: Float(size)))
    out += 1
  }
  for _ in 0..<max(n - w, 0) {
    sum = sum + load(right)
    sum = sum - load(left)
    right += 1
    left += 1
    store(out, sum.divided(by: Float(size)))
    out += 1
  }
  for _ in 0..<(half - 1) {
    sum = sum - load(left)
    size -= 1
    left += 1
    store(out, sum.divided(by: Float(size)))
    out += 1
  }
}
