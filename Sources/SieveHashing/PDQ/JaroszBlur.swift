import CHashKernels

/// The PDQ reference's Jarosz filter: two rounds of a horizontal then a vertical
/// running-sum box filter (`box1DFloat`), which together approximate a tent filter
/// (spec §4). The pixel loops are in `CHashKernels` (`sieve_pdq_stream_*`).
enum JaroszBlur {
  /// The reference window for downsampling `length` samples to 64: `ceil(length / 128)`.
  static func window(for length: Int) -> Int {
    (length + 127) / 128
  }
}

/// A plane blurred by ``JaroszBlur`` where PDQ reads it: every row of the columns its
/// samples fall in, fed row by row.
///
/// PDQ reads 64 × 64 samples of the blurred plane (the turned and extended pictures a
/// few thousand more), so the second round of the blur divides and stores only in those
/// columns, and its vertical pass runs down those columns alone; the first round runs
/// over every pixel as rows arrive, in a ring of about `height / 128 + 32` rows, so no
/// whole plane is needed. Each value is bit-identical to the reference's at that place:
/// the running sums still run over every sample in the reference's order.
///
/// ```swift
/// blurred.begin(width: w, height: h, columns: [10, 20])
/// for y in 0..<h { fill(blurred.nextRow(), y); blurred.push() }
/// blurred.value(y: 5, x: 20)
/// ```
///
/// A class, because the C stream keeps pointers to its buffers; keep one per thread.
final class BlurredColumns {
  private var stream = sieve_pdq_stream()
  private var scratch = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
  /// `height` rows of ``columns``'s values.
  private var values = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
  /// The plane's columns held, ascending.
  private(set) var columns: [Int32] = []
  private var columnStorage = UnsafeMutableBufferPointer<Int32>(start: nil, count: 0)
  /// For every column of the plane, its index in ``columns``, or -1.
  private var slot: [Int32] = []
  private(set) var width = 0
  private(set) var height = 0
  private(set) var pushed = 0

  /// Buffers above this many floats (64 MiB) are freed after the next ``begin`` rather
  /// than kept for the image after.
  private static let keptFloats = 16 << 20

  init() {}

  deinit {
    scratch.deallocate()
    values.deallocate()
    columnStorage.deallocate()
  }

  /// Bytes the buffers take for a plane of this size and this many columns.
  static func bytes(width: Int, height: Int, columns: Int) -> Int {
    (sieve_pdq_stream_scratch_count(Int32(width), Int32(height), Int32(columns)) + height * columns) * 4 + width * 4
  }

  private static func reserve<T>(_ buffer: inout UnsafeMutableBufferPointer<T>, _ count: Int) {
    if buffer.count < count || (buffer.count > keptFloats && count < buffer.count) {
      buffer.deallocate()
      buffer = .allocate(capacity: count)
    }
  }

  /// Starts a plane of `height` rows of `width` floats whose blurred values are kept in the
  /// `wanted` columns (any order, repeats allowed; each in 0..<width). `lumaOf8BitSamples`:
  /// every value will be 0 or between 2^-20 and 2^40 in magnitude, as luma and gray of 8-bit
  /// pixels are, so that the blur may divide through exact reciprocal pairs
  /// (`sieve_pdq_stream_assume_8bit_luma`); other planes are divided.
  func begin(width: Int, height: Int, columns wanted: [Int], lumaOf8BitSamples: Bool = false) {
    precondition(width >= 1 && height >= 1, "an empty plane has nothing to blur")
    // The C kernels compute windows as (side + 127) / 128 in int: sides stay 128 under 2^31.
    precondition(width <= Int(Int32.max) - 128 && height <= Int(Int32.max) - 128, "a plane of 2^31 - 128 pixels or more on a side")
    self.width = width
    self.height = height
    pushed = 0
    slot = [Int32](repeating: -1, count: width)
    for x in wanted {
      precondition(x >= 0 && x < width, "column \(x) outside the plane")
      slot[x] = 0
    }
    columns = []
    for x in 0..<width where slot[x] == 0 {
      slot[x] = Int32(columns.count)
      columns.append(Int32(x))
    }
    let count = columns.count
    Self.reserve(&columnStorage, count)
    _ = columnStorage.initialize(from: columns)
    Self.reserve(&values, height * count)
    Self.reserve(&scratch, sieve_pdq_stream_scratch_count(Int32(width), Int32(height), Int32(count)))
    sieve_pdq_stream_begin(
      &stream, Int32(width), Int32(height), columnStorage.baseAddress, Int32(count), values.baseAddress,
      scratch.baseAddress)
    if lumaOf8BitSamples { sieve_pdq_stream_assume_8bit_luma(&stream) }
  }

  /// Where the next row's `width` values go.
  func nextRow() -> UnsafeMutablePointer<Float> {
    precondition(pushed < height, "every row was pushed")
    return sieve_pdq_stream_row(&stream)
  }

  /// Takes the row written at ``nextRow()``.
  func push() {
    precondition(pushed < height, "every row was pushed")
    sieve_pdq_stream_push(&stream)
    pushed += 1
  }

  /// Whether every row was pushed: the values are ready.
  var isComplete: Bool { height > 0 && pushed == height }

  /// Blurs a whole plane (`height` rows of `width` floats, left unchanged) and keeps the
  /// values of the `wanted` columns.
  func blur(_ plane: UnsafePointer<Float>, width: Int, height: Int, columns wanted: [Int]) {
    let lumaLike = sieve_floats_are_luma_like(plane, width * height) != 0
    begin(width: width, height: height, columns: wanted, lumaOf8BitSamples: lumaLike)
    for y in 0..<height {
      nextRow().update(from: plane + y * width, count: width)
      push()
    }
  }

  /// The blurred value at row `y`, column `x` (a column asked for).
  @inline(__always)
  func value(y: Int, x: Int) -> Float {
    values[y * columns.count + Int(slot[x])]
  }

  /// The 64 × 64 samples at the crossings of `rows` and `columns`, row by row.
  func sample(rows: [Int], columns sampled: [Int], into out: inout [Float]) {
    precondition(isComplete, "the plane is not all pushed")
    let count = columns.count
    let slots = sampled.map { Int(slot[$0]) }
    out.withUnsafeMutableBufferPointer { out in
      for (r, y) in rows.enumerated() {
        let row = values.baseAddress! + y * count
        for (c, s) in slots.enumerated() { out[r * 64 + c] = row[s] }
      }
    }
  }

  /// The samples at `positions`, in order.
  func sample(_ positions: [(y: Int, x: Int)], into out: inout [Float]) {
    precondition(isComplete, "the plane is not all pushed")
    for (i, p) in positions.enumerated() { out[i] = value(y: p.y, x: p.x) }
  }
}
