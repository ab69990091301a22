import SieveCore
import SieveImaging

/// A ``PixelRowSink`` that turns decoded rows straight into PDQ luma and pHash
/// input, so no RGB frame is ever held: the only full-size buffer is the float32
/// luma plane (4 bytes a pixel; 512×512 at most in reference-CLI mode).
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
  private var grayRow: [UInt8] = []

  public init(options: HashOptions) {
    self.options = options
  }

  /// Bytes this sink will hold for an image of the given size (for memory budgets).
  public static func estimatedBytes(width: Int, height: Int, options: HashOptions) -> Int {
    var bytes = 0
    if options.pdq {
      let squash = options.pdqMode == .referenceCLI && (width > 512 || height > 512)
      let pixels = squash ? 512 * 512 : width * height
      bytes += pixels * 4 + (squash ? 0 : ((width + 127) / 128) * width * 4)
    }
    if options.phash { bytes += height * 32 + width }
    return bytes + 64 * 1024
  }

  public mutating func begin(width: Int, height: Int, layout: PixelLayout) throws {
    self.width = width
    self.height = height
    self.layout = layout
    allGray = true
    if options.pdq {
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
      luma = [Float](repeating: 0, count: planeWidth * planeHeight)
    }
    if options.phash {
      phasher.begin(width: width, height: height)
      grayRow = [UInt8](repeating: 0, count: width)
    }
  }

  @inline(__always)
  private static func luma(_ p: UnsafePointer<UInt8>) -> Float {
    // Each product and sum rounded to float32, left to right (spec §3).
    let r = Float(p[0]) * 0.299 as Float
    let g = Float(p[1]) * 0.587 as Float
    let b = Float(p[2]) * 0.114 as Float
    return (r + g) + b
  }

  public mutating func consume(rows: UnsafePointer<UInt8>, stride: Int, firstRow: Int, count: Int) {
    for i in 0..<count {
      let row = rows + i * stride
      let y = firstRow + i
      if layout == .rgb && allGray {
        for x in 0..<width where row[3 * x] != row[3 * x + 1] || row[3 * x] != row[3 * x + 2] {
          allGray = false
          break
        }
      }
      if options.pdq { lumaRow(row, y) }
      if options.phash {
        if layout == .gray {
          phasher.consume(grayRow: row, row: y)
        } else {
          grayRow.withUnsafeMutableBufferPointer { PHasher.grayFromRGB(row, into: $0.baseAddress!, count: width) }
          grayRow.withUnsafeBufferPointer { phasher.consume(grayRow: $0.baseAddress!, row: y) }
        }
      }
    }
  }

  private mutating func lumaRow(_ row: UnsafePointer<UInt8>, _ y: Int) {
    let channels = layout.channels
    let planeWidth = planeWidth
    let rgb = layout == .rgb
    if sourceColumns.isEmpty {
      luma.withUnsafeMutableBufferPointer { plane in
        let out = plane.baseAddress! + y * planeWidth
        if rgb {
          for x in 0..<planeWidth { out[x] = Self.luma(row + 3 * x) }
        } else {
          for x in 0..<planeWidth { out[x] = Float(row[x]) }
        }
      }
      return
    }
    // Nearest-neighbour squash: every destination row that samples source row y.
    while nextSquashRow < 512 && sourceRowOf[nextSquashRow] == y {
      let dy = nextSquashRow
      sourceColumns.withUnsafeBufferPointer { columns in
        luma.withUnsafeMutableBufferPointer { plane in
          let out = plane.baseAddress! + dy * planeWidth
          for x in 0..<planeWidth {
            let p = row + columns[x] * channels
            out[x] = rgb ? Self.luma(p) : Float(p[0])
          }
        }
      }
      nextSquashRow += 1
    }
  }

  /// Computes the hashes from everything consumed.
  ///
  /// - Parameter pdqHasher: a hasher whose scratch buffers are reused.
  public mutating func finish(using pdqHasher: inout PDQHasher) -> ImageHashes {
    var pdq: PDQOutput?
    if options.pdq {
      if layout == .rgb && allGray {
        // Every pixel was gray: luma is the gray value (float32 luma of (v,v,v) is
        // within 2e-5 of v, so rounding recovers v exactly).
        luma.withUnsafeMutableBufferPointer { plane in
          for i in 0..<plane.count { plane[i] = plane[i].rounded() }
        }
      }
      let w = planeWidth, h = planeHeight, dihedral = options.dihedral
      pdq = luma.withUnsafeMutableBufferPointer { pdqHasher.hash(luma: $0, width: w, height: h, dihedral: dihedral) }
      luma = []
    }
    let phash = options.phash ? phasher.finish() : nil
    return ImageHashes(pdq: pdq, pdqMode: options.pdqMode, phash: phash, width: width, height: height)
  }
}
