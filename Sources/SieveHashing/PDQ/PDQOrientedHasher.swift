import SieveCore

/// The PDQ hashes of a picture in its eight orientations, each the PDQ of the picture
/// really rotated or flipped — not ``PDQHasher``'s DCT-domain sign trick, whose variants
/// can be several bits (up to about 30) off the hash of the turned picture.
///
/// A turned picture's luma is the turned luma plane, so no second decode is needed: the
/// plane is turned and hashed. To keep that cheap, the turns are hashed from a plane
/// reduced by box averaging (by a whole factor) to at most ``reducedSide`` pixels on its
/// long side; `nil` hashes them at full resolution, bit-exact with hashing a turned file.
///
/// ```swift
/// var oriented = PDQOrientedHasher(reducedSide: nil)
/// let hashes = oriented.hashes(of: luma, width: w, height: h)
/// hashes[.rotate90]   // the PDQ of the picture turned 90° counter-clockwise
/// ```
///
/// Keep one per thread: it reuses its buffers.
public struct PDQOrientedHasher {
  /// The long side, in pixels, of the plane the orientations are hashed from; nil: the
  /// full plane.
  public var reducedSide: Int?
  private var hasher = PDQHasher()
  private var reduced: [Float] = []
  private var turned: [Float] = []

  public init(reducedSide: Int? = 512) {
    precondition(reducedSide.map { $0 >= 64 } ?? true, "a reduced plane under 64 pixels cannot give a PDQ hash")
    self.reducedSide = reducedSide
  }

  /// The PDQ hash of each of the eight orientations of a luma plane (left unchanged),
  /// in ``PDQOrientation`` order: `hashes[o]` is the PDQ of the picture transformed by `o`.
  ///
  /// - Parameter original: the original's hash when the caller has it (the bit-exact
  ///   full-resolution one), to use as is rather than hash the reduced plane again.
  public mutating func hashes(
    of luma: UnsafeBufferPointer<Float>, width: Int, height: Int, original: PDQHash? = nil
  ) -> PDQDihedralHashes {
    precondition(luma.count >= width * height, "luma plane is smaller than width × height")
    let factor = reducedSide.map { side in max(1, (max(width, height) + side - 1) / side) } ?? 1
    let (w, h) = (width / factor, height / factor)
    if reduced.count < w * h { reduced = [Float](repeating: 0, count: w * h) }
    if turned.count < w * h { turned = [Float](repeating: 0, count: w * h) }
    reduced.withUnsafeMutableBufferPointer { Self.reduce(luma, width: width, factor: factor, into: $0, width: w, height: h) }
    var hashes: [PDQHash] = []
    for orientation in PDQOrientation.allCases {
      if orientation == .original, let original {
        hashes.append(original)
        continue
      }
      let (tw, th) = reduced.withUnsafeBufferPointer { source in
        turned.withUnsafeMutableBufferPointer { Self.turn(source, width: w, height: h, by: orientation, into: $0) }
      }
      hashes.append(turned.withUnsafeMutableBufferPointer { hasher.hash(luma: $0, width: tw, height: th).hash })
    }
    return PDQDihedralHashes(hashes)
  }

  /// The mean of each `factor` × `factor` block (the rightmost columns and bottom rows
  /// that do not fill a block are left out); a copy when `factor` is 1.
  static func reduce(
    _ source: UnsafeBufferPointer<Float>, width: Int, factor: Int, into out: UnsafeMutableBufferPointer<Float>, width w: Int,
    height h: Int
  ) {
    let scale = 1 / Float(factor * factor)
    for y in 0..<h {
      for x in 0..<w {
        var sum: Float = 0
        for dy in 0..<factor {
          let row = (y * factor + dy) * width + x * factor
          for dx in 0..<factor { sum += source[row + dx] }
        }
        out[y * w + x] = factor == 1 ? sum : sum * scale
      }
    }
  }

  /// Writes `source` (`width` × `height`) transformed by `orientation` into `out`; returns
  /// the result's width and height (swapped by the quarter turns and transposes).
  ///
  /// Each case is the transform ``PDQOrientation`` names: `rotate90` turns the picture 90°
  /// counter-clockwise, `flipX` flips it top to bottom, `flipY` mirrors it left to right,
  /// `flipPlus1` transposes it about the main diagonal.
  @discardableResult
  static func turn(
    _ source: UnsafeBufferPointer<Float>, width: Int, height: Int, by orientation: PDQOrientation,
    into out: UnsafeMutableBufferPointer<Float>
  ) -> (width: Int, height: Int) {
    let (ow, oh) = orientation.swapsSides ? (height, width) : (width, height)
    for y in 0..<oh {
      for x in 0..<ow {
        let (sx, sy) = orientation.source(ofX: x, y: y, width: width, height: height)
        out[y * ow + x] = source[sy * width + sx]
      }
    }
    return (ow, oh)
  }
}

extension PDQOrientation {
  /// Whether the transform turns a picture a quarter (or transposes it): width and
  /// height swap.
  var swapsSides: Bool { [.rotate90, .rotate270, .flipPlus1, .flipMinus1].contains(self) }

  /// Whether the transform reverses the picture's own x axis, and its y axis.
  var reverses: (x: Bool, y: Bool) {
    switch self {
    case .original, .flipPlus1: (false, false)
    case .rotate90, .flipY: (true, false)
    case .rotate270, .flipX: (false, true)
    case .rotate180, .flipMinus1: (true, true)
    }
  }

  /// Where (`x`, `y`) of the transformed picture comes from in the picture of `width` ×
  /// `height`: `rotate90` turns it 90° counter-clockwise, `flipX` flips it top to bottom,
  /// `flipY` mirrors it left to right, `flipPlus1` transposes it about the main diagonal.
  func source(ofX x: Int, y: Int, width: Int, height: Int) -> (x: Int, y: Int) {
    switch self {
    case .original: (x, y)
    case .rotate90: (width - 1 - y, x)
    case .rotate180: (width - 1 - x, height - 1 - y)
    case .rotate270: (y, height - 1 - x)
    case .flipX: (x, height - 1 - y)
    case .flipY: (width - 1 - x, y)
    case .flipPlus1: (y, x)
    case .flipMinus1: (width - 1 - y, height - 1 - x)
    }
  }
}
