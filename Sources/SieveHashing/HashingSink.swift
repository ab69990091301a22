import CHashKernels
import SieveCore
import SieveImaging

/// A ``PixelRowSink`` that turns decoded rows straight into PDQ luma and pHash
/// input, so no RGB frame is ever held.
///
/// When PDQ needs nothing but its blurred plane (no borders or variants cut from the
/// picture, turned pictures if any taken from the blurred plane), luma rows go straight
/// into the blur as they are decoded (``BlurredColumns``) and no full-size buffer is
/// held at all. Otherwise the one full-size buffer is the float32 luma plane (4 bytes a
/// pixel; 512×512 at most in reference-CLI mode).
///
/// Luma is the reference's float32 `((0.299 R + 0.587 G) + 0.114 B)`. When every
/// pixel of an RGB image is gray (R = G = B), luma is the gray value itself, as the
/// reference CLI (which then receives a PGM) and Pillow's pipeline both give.
public struct HashingSink: PixelRowSink {
  public let options: HashOptions
  private var width = 0
  private var height = 0
  private var layout = PixelLayout.gray
  private var planeWidth = 0
  private var planeHeight = 0
  private var luma: [Float] = []
  private var allGray = true
  /// Reference-CLI squash: source column of each destination column, and the
  /// destination rows each source row feeds.
  private var sourceColumns: [Int] = []
  private var sourceRowOf: [Int] = []
  private var nextSquashRow = 0
  private var phasher = PHasher()
  /// Pillow's gray of the row being consumed, in 16 bits (see ``PHasher/consume(grayRow:row:)``).
  private var grayRow: [UInt16] = []
  /// The blur fed as rows are decoded, when the picture is hashed that way.
  private var stream: BlurredColumns?
  /// While every row of an RGB picture has been gray, the same blur fed the gray values
  /// (luma is then the gray value: see ``finish(using:oriented:)``); dropped at the first
  /// row that is not.
  private var grayStream: BlurredColumns?
  /// Blurs kept from earlier images, to reuse.
  private var spareStreams: [BlurredColumns]
  /// The orientations are taken from the blurred plane.
  private var turnsFromBlur = false

  /// Creates a sink.
  ///
  /// - Parameter lumaStorage: a buffer from an earlier image (``takeLumaStorage()``) to
  ///   reuse for the luma plane when it is large enough, saving an allocation and the
  ///   page faults of fresh memory.
  public init(options: HashOptions, lumaStorage: [Float] = []) {
    self.init(options: options, lumaStorage: lumaStorage, streams: [])
  }

  /// Creates a sink that reuses the blurs of an earlier one (``takeStreams()``).
  init(options: HashOptions, lumaStorage: [Float], streams: [BlurredColumns]) {
    self.options = options
    self.luma = lumaStorage
    self.spareStreams = streams
  }

  /// Hands the blurs back for reuse by the next sink.
  mutating func takeStreams() -> [BlurredColumns] {
    defer { stream = nil; grayStream = nil; spareStreams = [] }
    return spareStreams + [stream, grayStream].compactMap { $0 }
  }

  /// Whether PDQ is computed from the blurred plane alone, fed as rows arrive.
  static func streams(width: Int, height: Int, options: HashOptions) -> Bool {
    guard options.pdq, PDQHasher.blurs(width: width, height: height) else { return false }
    if options.pdqMode == .referenceCLI && (width > 512 || height > 512) { return false }
    if options.borders || !options.variants.isEmpty { return false }
    return !options.orientations || turnsFromBlur(width: width, height: height, options: options)
  }

  /// Whether the orientations asked for are taken from the blurred plane: a small plane
  /// is turned and hashed whole instead (see `hashPlane`).
  static func turnsFromBlur(width: Int, height: Int, options: HashOptions) -> Bool {
    options.orientations && options.orientationMethod == .blurredPlane && width * height > smallPlane
  }

  private mutating func makeStream() -> BlurredColumns {
    spareStreams.popLast() ?? BlurredColumns()
  }

  /// The most luma storage worth keeping for the next image: 64 MiB (a 16 MP plane).
  /// Larger planes are freed at once, so that the memory budget stays honest.
  static let reusableLumaBytes = 64 << 20

  /// Hands the luma buffer back for reuse by the next sink, or an empty array when it
  /// is larger than ``reusableLumaBytes``.
  public mutating func takeLumaStorage() -> [Float] {
    defer { luma = [] }
    return luma.count * MemoryLayout<Float>.size <= Self.reusableLumaBytes ? luma : []
  }

  /// Bytes this sink will hold for an image of the given size (for memory budgets).
  public static func estimatedBytes(width: Int, height: Int, options: HashOptions) -> Int {
    var bytes = 0
    if streams(width: width, height: height, options: options) {
      // Two blurs (the second while every row is gray), no plane.
      let columns = PDQHasher.sampledColumns(
        width: width, height: height, turned: turnsFromBlur(width: width, height: height, options: options),
        extendedMargins: options.extensions ? PDQVariant.extensions.map(\.margins) : []
      ).count
      bytes += 2 * BlurredColumns.bytes(width: width, height: height, columns: min(columns, width))
    } else if options.pdq {
      let squash = options.pdqMode == .referenceCLI && (width > 512 || height > 512)
      let (w, h) = squash ? (512, 512) : (width, height)
      // The luma plane, the blur's two rings of ceil(h/128) rows, its SIMD lanes.
      bytes += w * h * 4 + 2 * ((h + 127) / 128) * w * 4 + w * 64
      // The turned pictures' reduced plane and its turned copy.
      if options.orientations, case .turnedPlane(let side) = options.orientationMethod {
        let factor = side.map { max(1, (max(w, h) + $0 - 1) / $0) } ?? 1
        bytes += 2 * (w / factor) * (h / factor) * 4
      }
      // A variant's rectangle, copied out before the blur.
      if options.borders || !options.variants.isEmpty { bytes += w * h * 4 }
    }
    if options.phash { bytes += height * 32 + width * 2 }
    return bytes + 64 * 1024
  }

  public mutating func begin(width: Int, height: Int, layout: PixelLayout) throws {
    self.width = width
    self.height = height
    self.layout = layout
    allGray = true
    stream = nil
    grayStream = nil
    turnsFromBlur = Self.turnsFromBlur(width: width, height: height, options: options)
    if Self.streams(width: width, height: height, options: options) {
      planeWidth = width
      planeHeight = height
      sourceColumns = []
      sourceRowOf = []
      let columns = PDQHasher.sampledColumns(
        width: width, height: height, turned: turnsFromBlur,
        extendedMargins: options.extensions ? PDQVariant.extensions.map(\.margins) : [])
      let main = makeStream()
      // Rows come from sieve_luma_from_rgb / _from_gray on 8-bit pixels.
      main.begin(width: width, height: height, columns: columns, lumaOf8BitSamples: true)
      stream = main
      if layout == .rgb && !options.grayFromRGB {
        let gray = makeStream()
        gray.begin(width: width, height: height, columns: columns, lumaOf8BitSamples: true)
        grayStream = gray
      }
    } else if options.pdq {
      if options.pdqMode == .referenceCLI && (width > 512 || height > 512) {
        planeWidth = 512
        planeHeight = 512
        sourceColumns = (0..<512).map { Int(Double($0) * Double(width) / 512.0) }
        sourceRowOf = (0..<512).map { Int(Double($0) * Double(height) / 512.0) }
        nextSquashRow = 0
      } else {
        planeWidth = width
        planeHeight = height
        sourceColumns = []
        sourceRowOf = []
      }
      // Every cell is written by consume() before it is read, so a reused buffer's
      // old contents do not matter.
      if luma.count < planeWidth * planeHeight {
        luma = []
        luma = [Float](repeating: 0, count: planeWidth * planeHeight)
      }
    }
    if options.phash {
      phasher.begin(width: width, height: height)
      grayRow = [UInt16](repeating: 0, count: width)
    }
  }

  /// The reference's per-channel products, `Float(v) * 0.299f` etc., each rounded to
  /// float32 exactly as the C++ core computes them; luma is `(R + G) + B` of these.
  private static let lumaR: [Float] = (0..<256).map { Float($0) * (0.299 as Float) }
  private static let lumaG: [Float] = (0..<256).map { Float($0) * (0.587 as Float) }
  private static let lumaB: [Float] = (0..<256).map { Float($0) * (0.114 as Float) }

  @inline(__always)
  private static func luma(
    _ p: UnsafePointer<UInt8>, _ r: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ b: UnsafePointer<Float>
  ) -> Float {
    (r[Int(p[0])] + g[Int(p[1])]) + b[Int(p[2])]
  }

  /// Pillow's `convert("L")` of one pixel.
  @inline(__always)
  private static func pillowGray(_ p: UnsafePointer<UInt8>) -> UInt8 {
    let r = UInt32(p[0]), g = UInt32(p[1]), b = UInt32(p[2])
    return UInt8(truncatingIfNeeded: (r &* 19595 &+ g &* 38470 &+ b &* 7471 &+ 0x8000) >> 16)
  }

  public mutating func consume(rows: UnsafePointer<UInt8>, stride: Int, firstRow: Int, count: Int) {
    precondition(firstRow >= 0 && count >= 0 && firstRow + count <= height, "rows outside the image")
    precondition(stride >= width * layout.channels, "row stride shorter than a row")
    let width = width
    let fullPlane = options.pdq && sourceColumns.isEmpty && stream == nil
    // Take the gray scratch row out of self, so that it and self can be used together.
    var grayScratch = grayRow
    grayRow = []
    defer { grayRow = grayScratch }
    Self.lumaR.withUnsafeBufferPointer { lr in
      Self.lumaG.withUnsafeBufferPointer { lg in
        Self.lumaB.withUnsafeBufferPointer { lb in
          let (tr, tg, tb) = (lr.baseAddress!, lg.baseAddress!, lb.baseAddress!)
          for i in 0..<count {
            let row = rows + i * stride
            let y = firstRow + i
            if layout == .gray {
              if let stream {
                sieve_luma_from_gray(row, stream.nextRow(), width)
                stream.push()
              } else if fullPlane {
                luma.withUnsafeMutableBufferPointer { plane in
                  sieve_luma_from_gray(row, plane.baseAddress! + y * width, width)
                }
              } else if options.pdq {
                squashRow(row, y, tr, tg, tb)
              }
              if options.phash { phasher.consume(grayBytes: row, row: y) }
              continue
            }
            // RGB: one pass computes luma, Pillow's gray and the all-gray check (until a row
            // is not gray: then the answer is known, and the check is left out).
            var difference: UInt8 = 0
            grayScratch.withUnsafeMutableBufferPointer { grayBuffer in
              let gray = options.phash ? grayBuffer.baseAddress : nil
              if let stream {
                let out = stream.nextRow()
                difference = sieve_luma_from_rgb(row, out, gray, width, allGray ? 1 : 0)
                if let grayStream {
                  if difference == 0 {
                    // A gray row's luma rounds back to its gray value (see finish). Taken
                    // before the push, which may filter `out` in place.
                    let grayOut = grayStream.nextRow()
                    for x in 0..<width { grayOut[x] = out[x].rounded() }
                    grayStream.push()
                  } else {
                    spareStreams.append(grayStream)
                    self.grayStream = nil
                  }
                }
                stream.push()
              } else if fullPlane {
                luma.withUnsafeMutableBufferPointer { plane in
                  difference = sieve_luma_from_rgb(row, plane.baseAddress! + y * width, gray, width, allGray ? 1 : 0)
                }
              } else {
                for x in 0..<width {
                  let p = row + 3 * x
                  difference |= (p[0] ^ p[1]) | (p[0] ^ p[2])
                  if let gray { gray[x] = UInt16(Self.pillowGray(p)) }
                }
                if options.pdq { squashRow(row, y, tr, tg, tb) }
              }
            }
            if difference != 0 { allGray = false }
            if options.phash {
              grayScratch.withUnsafeBufferPointer { phasher.consume(grayRow: $0.baseAddress!, row: y) }
            }
          }
        }
      }
    }
  }

  /// Reference-CLI squash: fills every destination row that samples source row `y`.
  private mutating func squashRow(
    _ row: UnsafePointer<UInt8>, _ y: Int,
    _ tr: UnsafePointer<Float>, _ tg: UnsafePointer<Float>, _ tb: UnsafePointer<Float>
  ) {
    let channels = layout.channels
    let planeWidth = planeWidth
    let rgb = layout == .rgb
    while nextSquashRow < 512 && sourceRowOf[nextSquashRow] == y {
      let dy = nextSquashRow
      sourceColumns.withUnsafeBufferPointer { columns in
        luma.withUnsafeMutableBufferPointer { plane in
          let out = plane.baseAddress! + dy * planeWidth
          for x in 0..<planeWidth {
            let p = row + columns[x] * channels
            out[x] = rgb ? Self.luma(p, tr, tg, tb) : Float(p[0])
          }
        }
      }
      nextSquashRow += 1
    }
  }

  /// The most pixels of a plane whose turned pictures are hashed whole when they could be
  /// taken from the blurred plane (``HashOptions/OrientationMethod/blurredPlane``).
  static let smallPlane = 256 * 256

  /// Computes the hashes from everything consumed.
  ///
  /// - Parameter pdqHasher: a hasher whose scratch buffers are reused.
  public mutating func finish(using pdqHasher: inout PDQHasher) -> ImageHashes {
    var oriented = PDQOrientedHasher()
    return finish(using: &pdqHasher, oriented: &oriented)
  }

  /// The same, with the hasher of the turned pictures' hashes to reuse.
  /// Hashes one plane (left unchanged): PDQ, its DCT-domain variants when `dihedral`,
  /// and the picture turned and flipped when `orientations`, by the options' method.
  /// With `sampled`, the turned pictures come from the blurred plane however small the
  /// plane (a trimmed candidate: within a few bits of the exact turned hashes, for an
  /// eighth of the cost on small pictures).
  private static func hashPlane(
    _ plane: UnsafeMutableBufferPointer<Float>, width w: Int, height h: Int, dihedral: Bool, orientations: Bool,
    options: HashOptions, using pdqHasher: inout PDQHasher, oriented: inout PDQOrientedHasher, sampled: Bool = false
  ) -> PDQOutput {
    // From the blurred plane, the samples nearest the edges can be several bits off
    // (the box filters clip differently there when turned); a small plane is turned and
    // hashed whole instead, for little more than the blurred plane costs. The turned
    // pictures come first: PDQ blurs the plane in place.
    var turned: [PDQHash]?
    let small = w * h <= smallPlane && !sampled
    let fromBlur = orientations && options.orientationMethod == .blurredPlane && !small
    if orientations, !fromBlur {
      if case .turnedPlane(let side) = options.orientationMethod { oriented.reducedSide = side } else { oriented.reducedSide = nil }
      turned = oriented.hashes(of: UnsafeBufferPointer(plane), width: w, height: h).hashes
    }
    pdqHasher.turnedFromBlur = fromBlur
    var out = pdqHasher.hash(luma: plane, width: w, height: h, dihedral: dihedral)
    if let turned = turned ?? (fromBlur ? pdqHasher.turnedHashes : nil) {
      out.orientations = PDQDihedralHashes([out.hash] + turned.dropFirst())
    }
    pdqHasher.turnedFromBlur = false
    return out
  }

  /// The hashes of the variants asked for: the picture inside its borders (with
  /// ``HashOptions/borders`` in the image's orientations too), and fixed crops.
  private mutating func variantHashes(
    width w: Int, height h: Int, using pdqHasher: inout PDQHasher, oriented: inout PDQOrientedHasher
  ) -> [PDQVariantOutput] {
    var rectangles: [(PDQVariant, (x: Int, y: Int, width: Int, height: Int))] = []
    if options.borders || options.variants.contains(.trimmed) {
      let inside = luma.withUnsafeBufferPointer { options.borderDetector.contentRectangles(luma: $0, width: w, height: h) }
      rectangles += inside.map { (.trimmed, $0) }
    }
    for variant in options.variants where variant != .trimmed {
      if let r = variant.cropRectangle(width: w, height: h), r.width >= 5, r.height >= 5 { rectangles.append((variant, r)) }
    }
    guard !rectangles.isEmpty else { return [] }
    var scratch = [Float](repeating: 0, count: rectangles.map { $0.1.width * $0.1.height }.max()!)
    var out: [PDQVariantOutput] = []
    for (variant, r) in rectangles {
      luma.withUnsafeBufferPointer { plane in
        scratch.withUnsafeMutableBufferPointer { cut in
          for row in 0..<r.height {
            (cut.baseAddress! + row * r.width).update(from: plane.baseAddress! + (r.y + row) * w + r.x, count: r.width)
          }
        }
      }
      let turn = variant == .trimmed && options.borders && options.orientations
      let hashed = scratch.withUnsafeMutableBufferPointer {
        Self.hashPlane(
          UnsafeMutableBufferPointer(rebasing: $0[0..<(r.width * r.height)]), width: r.width, height: r.height,
          dihedral: false, orientations: turn, options: options, using: &pdqHasher, oriented: &oriented, sampled: true)
      }
      out.append(PDQVariantOutput(
        variant: variant, x: r.x, y: r.y, width: r.width, height: r.height, hash: hashed.hash, quality: hashed.quality,
        orientations: hashed.orientations))
    }
    return out
  }

  public mutating func finish(using pdqHasher: inout PDQHasher, oriented: inout PDQOrientedHasher) -> ImageHashes {
    var pdq: PDQOutput?
    if let main = stream {
      // Every pixel was gray: luma is the gray value, as in the plane's case below.
      let blurred = allGray && grayStream != nil ? grayStream! : main
      // A decoder that stopped short leaves rows unwritten: they count as black.
      while !blurred.isComplete {
        blurred.nextRow().update(repeating: 0, count: planeWidth)
        blurred.push()
      }
      pdqHasher.turnedFromBlur = turnsFromBlur
      pdqHasher.extendedMargins = options.extensions ? PDQVariant.extensions.map(\.margins) : []
      var out = pdqHasher.hashBlurred(blurred, dihedral: options.dihedral)
      if turnsFromBlur, let turned = pdqHasher.turnedHashes {
        out.orientations = PDQDihedralHashes([out.hash] + turned.dropFirst())
      }
      out.variants = zip(PDQVariant.extensions, pdqHasher.extendedHashes).map { kind, result in
        PDQVariantOutput(
          variant: kind.variant, x: 0, y: 0, width: planeWidth, height: planeHeight, hash: result.hash,
          quality: result.quality)
      }
      pdqHasher.turnedFromBlur = false
      pdqHasher.extendedMargins = []
      pdq = out
    } else if options.pdq {
      if layout == .rgb && allGray && !options.grayFromRGB {
        // Every pixel was gray: luma is the gray value (float32 luma of (v,v,v) is
        // within 2e-5 of v, so rounding recovers v exactly).
        let count = planeWidth * planeHeight
        luma.withUnsafeMutableBufferPointer { plane in
          for i in 0..<count { plane[i] = plane[i].rounded() }
        }
      }
      let w = planeWidth, h = planeHeight
      // Variants first, cut from the plane.
      let variants = variantHashes(width: w, height: h, using: &pdqHasher, oriented: &oriented)
      // The picture extended as if cropped: sampled from the same blurred plane.
      pdqHasher.extendedMargins = options.extensions ? PDQVariant.extensions.map(\.margins) : []
      pdq = luma.withUnsafeMutableBufferPointer {
        Self.hashPlane($0, width: w, height: h, dihedral: options.dihedral, orientations: options.orientations,
          options: options, using: &pdqHasher, oriented: &oriented)
      }
      let extended = zip(PDQVariant.extensions, pdqHasher.extendedHashes).map { kind, result in
        PDQVariantOutput(variant: kind.variant, x: 0, y: 0, width: w, height: h, hash: result.hash, quality: result.quality)
      }
      pdqHasher.extendedMargins = []
      pdq?.variants = variants + extended
    }
    let phash = options.phash ? phasher.finish() : nil
    return ImageHashes(pdq: pdq, pdqMode: options.pdqMode, phash: phash, width: width, height: height)
  }
}
