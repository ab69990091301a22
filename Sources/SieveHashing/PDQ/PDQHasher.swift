import CHashKernels
import SieveCore

/// The result of hashing one luma plane with PDQ.
public struct PDQOutput: Sendable, Hashable {
  /// The 256-bit hash of the image as stored.
  public var hash: PDQHash
  /// The reference's quality score, 0…100; hashes under 50 are too unreliable to match.
  public var quality: Int
  /// The eight dihedral hashes (the DCT-domain trick), when they were asked for.
  public var dihedral: PDQDihedralHashes?
  /// The hashes of the picture really turned and flipped (``PDQOrientedHasher``), when
  /// they were asked for; the original's is ``hash``.
  public var orientations: PDQDihedralHashes?
  /// The hashes of variants cut from the same pixels (the picture inside its borders,
  /// an augmented set's crops), when they were asked for and apply.
  public var variants: [PDQVariantOutput] = []

  /// The variants of this kind computed (the picture inside its borders may have two
  /// candidates: every border found, and the trim kept even on each axis).
  public func variants(_ kind: PDQVariant) -> [PDQVariantOutput] {
    variants.filter { $0.variant == kind }
  }

  public init(hash: PDQHash, quality: Int, dihedral: PDQDihedralHashes? = nil) {
    self.hash = hash
    self.quality = quality
    self.dihedral = dihedral
  }
}

/// The PDQ hash of one variant of a picture (``PDQVariant``): the rectangle of the plane
/// it was cut from, its hash and quality, and the hashes of that rectangle turned and
/// flipped when orientations were asked for.
public struct PDQVariantOutput: Sendable, Hashable {
  /// Which variant.
  public var variant: PDQVariant
  /// The rectangle of the image hashed, in the plane's pixels.
  public var x: Int, y: Int, width: Int, height: Int
  /// Its PDQ hash.
  public var hash: PDQHash
  /// Its PDQ quality.
  public var quality: Int
  /// The rectangle turned and flipped, in ``PDQOrientation`` order (the first is ``hash``).
  public var orientations: PDQDihedralHashes?

  public init(
    variant: PDQVariant, x: Int, y: Int, width: Int, height: Int, hash: PDQHash, quality: Int,
    orientations: PDQDihedralHashes? = nil
  ) {
    self.variant = variant
    self.x = x
    self.y = y
    self.width = width
    self.height = height
    self.hash = hash
    self.quality = quality
    self.orientations = orientations
  }
}

/// Computes PDQ hashes from a float32 luma plane, bit-exact with Meta's C++
/// reference core (`pdqHash256FromFloatLuma`; facebook/ThreatExchange `pdq/cpp`).
///
/// Pipeline (spec §1): Jarosz blur, decimation to 64×64 by centre sampling, the
/// quality metric, a partial 16×16 DCT with the reference's float32 matrix, the
/// lower median of the 256 coefficients, and one bit per coefficient above it.
/// All arithmetic is float32 in the reference's order with no fused multiply-add.
///
/// A hasher keeps scratch buffers between calls: reuse one per thread.
public struct PDQHasher {
  /// The blurred plane where it is read: `height` rows of the columns sampled.
  private var blurred = BlurredColumns()
  private var buffer64 = [Float](repeating: 0, count: 64 * 64)
  private var dctRows = [Float](repeating: 0, count: 16 * 64)
  private var dctBlock = [Float](repeating: 0, count: 256)
  /// The DCT matrix transposed (64×16), for the second product.
  private static let transposedMatrix: [Float] = {
    var t = [Float](repeating: 0, count: 64 * 16)
    for i in 0..<16 { for k in 0..<64 { t[k * 16 + i] = PDQDCTMatrix.values[i * 64 + k] } }
    return t
  }()

  /// Also compute the hashes of the picture turned and flipped from the one blurred plane
  /// (``turnedHashes``): each orientation's 64×64 samples taken where the turned picture
  /// would take them, the box filters' one-sample lean on even windows corrected.
  public var turnedFromBlur = false
  /// After a ``hash(luma:width:height:dihedral:)`` with ``turnedFromBlur``: the eight
  /// orientations' hashes, in ``PDQOrientation`` order.
  public private(set) var turnedHashes: [PDQHash]?

  /// Also compute, from the one blurred plane, the hashes of the picture extended by
  /// reflection as if these shares of a larger picture's width and height had been cut
  /// at each side (``extendedHashes``): each extended picture's 64×64 samples are taken
  /// where it would take them, mapped back into the picture by mirroring at its edges.
  public var extendedMargins: [(left: Double, top: Double, right: Double, bottom: Double)] = []
  /// After a ``hash(luma:width:height:dihedral:)`` with ``extendedMargins``: each extended
  /// picture's hash and quality, in the same order.
  public private(set) var extendedHashes: [(hash: PDQHash, quality: Int)] = []

  /// Creates a hasher with empty scratch buffers.
  public init() {}

  /// Where each extended picture takes its 64×64 samples in the original's plane: rows
  /// and columns mirrored back into the picture at its edges.
  private static func extendedSamples(
    width: Int, height: Int, margins: [(left: Double, top: Double, right: Double, bottom: Double)]
  ) -> [(rows: [Int], columns: [Int])] {
    func reflect(_ i: Int, _ n: Int) -> Int {
      var i = i
      while i < 0 || i >= n { i = i < 0 ? -i - 1 : 2 * n - i - 1 }
      return i
    }
    return margins.map { m in
      let (ew, eh) = (Double(width) / (1 - m.left - m.right), Double(height) / (1 - m.top - m.bottom))
      let (ox, oy) = (ew * m.left, eh * m.top)
      let rows = (0..<64).map { r in reflect(Int(((Double(r) + 0.5) * eh / 64.0 - oy).rounded(.down)), height) }
      let columns = (0..<64).map { c in reflect(Int(((Double(c) + 0.5) * ew / 64.0 - ox).rounded(.down)), width) }
      return (rows, columns)
    }
  }

  /// The hashes of the extended pictures from the blurred plane of the original.
  private mutating func extendedHashes(
    _ samples: [(rows: [Int], columns: [Int])], from blurred: BlurredColumns
  ) -> [(hash: PDQHash, quality: Int)] {
    var out: [(hash: PDQHash, quality: Int)] = []
    let saved = buffer64
    for (rows, columns) in samples {
      blurred.sample(rows: rows, columns: columns, into: &buffer64)
      let quality = Self.quality(buffer64)
      computeDCT()
      out.append((Self.bits(dctBlock), quality))
    }
    buffer64 = saved
    return out
  }

  /// Where each of the eight orientations takes its 64×64 samples in the original's
  /// plane, as `y * width + x`.
  private static func turnedSamples(width: Int, height: Int) -> [[(y: Int, x: Int)]] {
    // A box filter of even window w leans one sample to the right (it covers
    // [i - w/2 + 1, i + w/2]); on a reversed axis that lean points the other way, so
    // the turned picture's blur at a place is the original's two samples (two passes)
    // before the mirrored place.
    let leanX = JaroszBlur.window(for: width) % 2 == 0 ? 2 : 0
    let leanY = JaroszBlur.window(for: height) % 2 == 0 ? 2 : 0
    return PDQOrientation.allCases.map { orientation in
      let (tw, th) = orientation.swapsSides ? (height, width) : (width, height)
      let reverses = orientation.reverses
      var positions: [(y: Int, x: Int)] = []
      positions.reserveCapacity(64 * 64)
      for r in 0..<64 {
        let y = Int((Double(r) + 0.5) * Double(th) / 64.0)
        for c in 0..<64 {
          let x = Int((Double(c) + 0.5) * Double(tw) / 64.0)
          var (sx, sy) = orientation.source(ofX: x, y: y, width: width, height: height)
          if reverses.x { sx -= leanX }
          if reverses.y { sy -= leanY }
          positions.append((min(max(sy, 0), height - 1), min(max(sx, 0), width - 1)))
        }
      }
      return positions
    }
  }

  /// The hashes of the eight orientations from the blurred plane of the original.
  private mutating func turnedHashes(_ samples: [[(y: Int, x: Int)]], from blurred: BlurredColumns) -> [PDQHash] {
    var hashes: [PDQHash] = []
    let saved = buffer64
    for positions in samples {
      blurred.sample(positions, into: &buffer64)
      computeDCT()
      hashes.append(Self.bits(dctBlock))
    }
    buffer64 = saved
    return hashes
  }

  /// Whether a plane of this size is hashed from its blurred plane (every size but the
  /// too small, under 5 pixels on a side, and exactly 64 × 64, which is used as is).
  static func blurs(width: Int, height: Int) -> Bool {
    width >= 5 && height >= 5 && !(width == 64 && height == 64)
  }

  private static func grid(_ length: Int) -> [Int] {
    (0..<64).map { Int((Double($0) + 0.5) * Double(length) / 64.0) }
  }

  /// The columns of the blurred plane read for a picture of this size: the 64 × 64
  /// grid's, and those of the turned and extended pictures when they are asked for
  /// (``turnedFromBlur``, ``extendedMargins``).
  static func sampledColumns(
    width: Int, height: Int, turned: Bool,
    extendedMargins: [(left: Double, top: Double, right: Double, bottom: Double)]
  ) -> [Int] {
    var columns = grid(width)
    if !extendedMargins.isEmpty {
      for e in extendedSamples(width: width, height: height, margins: extendedMargins) { columns += e.columns }
    }
    if turned {
      for positions in turnedSamples(width: width, height: height) { columns += positions.map(\.x) }
    }
    return columns
  }

  /// Hashes a luma plane, left unchanged.
  ///
  /// - Parameters:
  ///   - luma: `height` rows of `width` float32 luma values (0…255).
  ///   - width: plane width.
  ///   - height: plane height.
  ///   - dihedral: also compute the eight dihedral hashes.
  /// - Returns: the hash and quality; an image under 5 pixels on a side gets the
  ///   zero hash and quality 0, as in the reference.
  /// - Complexity: O(width × height).
  public mutating func hash(
    luma: UnsafeMutableBufferPointer<Float>, width: Int, height: Int, dihedral: Bool = false
  ) -> PDQOutput {
    precondition(luma.count >= width * height, "luma plane is smaller than width × height")
    guard Self.blurs(width: width, height: height) else {
      if width == 64 && height == 64 {
        // The reference's plain entry point uses a 64×64 input as is (spec §5.1).
        buffer64.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: luma.baseAddress!, count: 64 * 64) }
        extendedHashes = []
        turnedHashes = nil
        return finish(dihedral: dihedral)
      }
      return dihedral
        ? PDQOutput(hash: .zero, quality: 0, dihedral: PDQDihedralHashes(Array(repeating: .zero, count: 8)))
        : PDQOutput(hash: .zero, quality: 0)
    }
    if !isKnownUniquelyReferenced(&blurred) { blurred = BlurredColumns() }
    let columns = Self.sampledColumns(width: width, height: height, turned: turnedFromBlur, extendedMargins: extendedMargins)
    blurred.blur(luma.baseAddress!, width: width, height: height, columns: columns)
    return hashBlurred(blurred, dihedral: dihedral)
  }

  /// Hashes a plane already blurred, every row pushed, in the columns
  /// ``sampledColumns(width:height:turned:extendedMargins:)`` gave for its size with this
  /// hasher's settings (a size ``blurs(width:height:)`` is true of).
  mutating func hashBlurred(_ blurred: BlurredColumns, dihedral: Bool) -> PDQOutput {
    let (width, height) = (blurred.width, blurred.height)
    precondition(Self.blurs(width: width, height: height) && blurred.isComplete, "the plane is not blurred")
    blurred.sample(rows: Self.grid(height), columns: Self.grid(width), into: &buffer64)
    let extended = extendedMargins.isEmpty ? [] : Self.extendedSamples(width: width, height: height, margins: extendedMargins)
    let turned = turnedFromBlur ? Self.turnedSamples(width: width, height: height) : []
    extendedHashes = extended.isEmpty ? [] : extendedHashes(extended, from: blurred)
    turnedHashes = turned.isEmpty ? nil : turnedHashes(turned, from: blurred)
    return finish(dihedral: dihedral)
  }

  /// Quality, DCT, bits and the DCT-domain dihedral hashes of the 64 × 64 buffer.
  private mutating func finish(dihedral: Bool) -> PDQOutput {
    let quality = Self.quality(buffer64)
    computeDCT()
    let hash = Self.bits(dctBlock)
    guard dihedral else { return PDQOutput(hash: hash, quality: quality) }
    let hashes = PDQOrientation.allCases.map { orientation in
      orientation == .original ? hash : Self.bits(Self.transform(dctBlock, orientation))
    }
    return PDQOutput(hash: hash, quality: quality, dihedral: PDQDihedralHashes(hashes))
  }

  /// Hashes a luma array.
  public mutating func hash(luma: [Float], width: Int, height: Int, dihedral: Bool = false) -> PDQOutput {
    var copy = luma
    return copy.withUnsafeMutableBufferPointer { hash(luma: $0, width: width, height: height, dihedral: dihedral) }
  }

  /// The reference's quality metric on the 64×64 buffer (spec §6).
  static func quality(_ buffer: [Float]) -> Int {
    var gradientSum = 0
    for i in 0..<63 {
      for j in 0..<64 {
        let u = buffer[i * 64 + j]
        let v = buffer[(i + 1) * 64 + j]
        gradientSum += abs(Int(((u - v) * 100) / 255))
      }
    }
    for i in 0..<64 {
      for j in 0..<63 {
        let u = buffer[i * 64 + j]
        let v = buffer[i * 64 + j + 1]
        gradientSum += abs(Int(((u - v) * 100) / 255))
      }
    }
    return min(gradientSum / 90, 100)
  }

  /// B = D · A · Dᵀ, each sum in float32 with k ascending (vectorised across j only).
  private mutating func computeDCT() {
    let matrix = PDQDCTMatrix.values
    let transposed = Self.transposedMatrix
    buffer64.withUnsafeBufferPointer { a in
      dctRows.withUnsafeMutableBufferPointer { t in
        matrix.withUnsafeBufferPointer { d in
          for i in 0..<16 {
            let row = t.baseAddress! + i * 64
            for j in 0..<64 { row[j] = 0 }
            for k in 0..<64 {
              let dik = d[i * 64 + k]
              let ak = a.baseAddress! + k * 64
              for j in 0..<64 { row[j] = row[j] + dik * ak[j] }
            }
          }
        }
      }
    }
    dctRows.withUnsafeBufferPointer { t in
      dctBlock.withUnsafeMutableBufferPointer { b in
        transposed.withUnsafeBufferPointer { dt in
          for i in 0..<16 {
            let row = b.baseAddress! + i * 16
            for j in 0..<16 { row[j] = 0 }
            for k in 0..<64 {
              let tik = t[i * 64 + k]
              let dk = dt.baseAddress! + k * 16
              for j in 0..<16 { row[j] = row[j] + tik * dk[j] }
            }
          }
        }
      }
    }
  }

  /// One bit per coefficient strictly above the lower median (sorted[127]), bit
  /// `k = 16i + j` for `B[i][j]` (spec §7.2–7.4).
  static func bits(_ block: [Float]) -> PDQHash {
    let median = lowerMedian(block)
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    for k in 0..<256 where block[k] > median {
      let bit = UInt64(1) << UInt64(k & 63)
      switch k >> 6 {
      case 0: words.0 |= bit
      case 1: words.1 |= bit
      case 2: words.2 |= bit
      default: words.3 |= bit
      }
    }
    return PDQHash(w0: words.0, w1: words.1, w2: words.2, w3: words.3)
  }

  /// The 128th smallest of the 256 coefficients (`sorted()[127]`), by selection in a
  /// scratch copy instead of a full sort: the same value, without an allocation per hash
  /// (it runs for every turned and extended picture too).
  static func lowerMedian(_ block: [Float]) -> Float {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 256) { scratch in
      _ = scratch.initialize(from: block.prefix(256))
      var (lo, hi) = (0, 255)
      let k = 127
      while lo < hi {
        // Hoare partition around the middle element's value.
        let pivot = scratch[(lo + hi) / 2]
        var (i, j) = (lo, hi)
        while i <= j {
          while scratch[i] < pivot { i += 1 }
          while scratch[j] > pivot { j -= 1 }
          if i <= j {
            scratch.swapAt(i, j)
            i += 1
            j -= 1
          }
        }
        if k <= j { hi = j } else if k >= i { lo = i } else { break }
      }
      return scratch[k]
    }
  }

  /// The DCT-domain sign and transpose tricks for the dihedral variants (spec §8).
  static func transform(_ b: [Float], _ orientation: PDQOrientation) -> [Float] {
    var out = [Float](repeating: 0, count: 256)
    for a in 0..<16 {
      for c in 0..<16 {
        let value: Float
        switch orientation {
        case .original: value = b[a * 16 + c]
        case .rotate90: value = a & 1 == 1 ? b[c * 16 + a] : -b[c * 16 + a]
        case .rotate180: value = (a + c) & 1 == 0 ? b[a * 16 + c] : -b[a * 16 + c]
        case .rotate270: value = c & 1 == 1 ? b[c * 16 + a] : -b[c * 16 + a]
        case .flipX: value = a & 1 == 1 ? b[a * 16 + c] : -b[a * 16 + c]
        case .flipY: value = c & 1 == 1 ? b[a * 16 + c] : -b[a * 16 + c]
        case .flipPlus1: value = b[c * 16 + a]
        case .flipMinus1: value = (a + c) & 1 == 0 ? b[c * 16 + a] : -b[c * 16 + a]
        }
        out[a * 16 + c] = value
      }
    }
    return out
  }
}
