/// Receives decoded pixels a band of rows at a time, so that no caller has to
/// hold a whole RGB frame unless it wants one.
public protocol PixelRowSink {
  /// Called once, before any rows, with the size and layout of what follows.
  mutating func begin(width: Int, height: Int, layout: PixelLayout) throws
  /// Called with `count` consecutive rows starting at row `firstRow`; row `r` starts at
  /// `rows + r * stride` and holds `width * layout.channels` bytes.
  mutating func consume(rows: UnsafePointer<UInt8>, stride: Int, firstRow: Int, count: Int)
}
