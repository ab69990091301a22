import Foundation
import SieveImaging

/// The picture edits the attack suite is made of, on 8-bit RGB images, each written out
/// as a plain loop over pixels so that anyone can reproduce it (and so that the turned
/// pictures are computed independently of the hashers' own orientation mapping).
extension PixelImage {
  /// An RGB image of `width × height` filled by `pixel(x, y)`.
  static func rgb(width: Int, height: Int, _ pixel: (Int, Int) -> (UInt8, UInt8, UInt8)) -> PixelImage {
    var out = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height {
      for x in 0..<width {
        let (r, g, b) = pixel(x, y)
        let i = (y * width + x) * 3
        out[i] = r
        out[i + 1] = g
        out[i + 2] = b
      }
    }
    return PixelImage(width: width, height: height, layout: .rgb, pixels: out)
  }

  /// The same picture with three channels (gray copied to R, G and B).
  public var asRGB: PixelImage {
    guard layout == .gray else { return self }
    var out = [UInt8](repeating: 0, count: pixels.count * 3)
    for (i, v) in pixels.enumerated() { out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v }
    return PixelImage(width: width, height: height, layout: .rgb, pixels: out)
  }

  /// Channel `c` of pixel (x, y) of an RGB image.
  @inline(__always) func sample(_ x: Int, _ y: Int, _ c: Int) -> UInt8 { pixels[(y * width + x) * 3 + c] }

  /// The mean Rec. 601 luma, 0…255.
  public var meanLuma: Double {
    var sum = 0.0
    for i in stride(from: 0, to: pixels.count, by: 3) {
      sum += 0.299 * Double(pixels[i]) + 0.587 * Double(pixels[i + 1]) + 0.114 * Double(pixels[i + 2])
    }
    return sum / Double(max(1, width * height))
  }

  /// A rectangle of the image.
  func cropped(x: Int, y: Int, width w: Int, height h: Int) -> PixelImage {
    .rgb(width: w, height: h) { (px, py) in (sample(x + px, y + py, 0), sample(x + px, y + py, 1), sample(x + px, y + py, 2)) }
  }

  /// The centre crop keeping `area` of the picture (each side × √area).
  func centreCrop(area: Double) -> PixelImage {
    let w = max(1, Int((Double(width) * area.squareRoot()).rounded()))
    let h = max(1, Int((Double(height) * area.squareRoot()).rounded()))
    return cropped(x: (width - w) / 2, y: (height - h) / 2, width: w, height: h)
  }

  /// The picture on a canvas of `colour`, with these margins.
  func padded(top: Int, bottom: Int, left: Int, right: Int, colour: (UInt8, UInt8, UInt8)) -> PixelImage {
    .rgb(width: width + left + right, height: height + top + bottom) { (x, y) in
      let sx = x - left, sy = y - top
      guard sx >= 0, sx < width, sy >= 0, sy < height else { return colour }
      return (sample(sx, sy, 0), sample(sx, sy, 1), sample(sx, sy, 2))
    }
  }

  /// Turned 90° counter-clockwise: the top row becomes the left column, read bottom up.
  func rotatedCounterClockwise() -> PixelImage {
    .rgb(width: height, height: width) { (x, y) in
      let sx = width - 1 - y, sy = x
      return (sample(sx, sy, 0), sample(sx, sy, 1), sample(sx, sy, 2))
    }
  }

  /// Turned 180°.
  func rotatedHalf() -> PixelImage {
    .rgb(width: width, height: height) { (x, y) in
      (sample(width - 1 - x, height - 1 - y, 0), sample(width - 1 - x, height - 1 - y, 1), sample(width - 1 - x, height - 1 - y, 2))
    }
  }

  /// Turned 90° clockwise.
  func rotatedClockwise() -> PixelImage {
    .rgb(width: height, height: width) { (x, y) in
      let sx = y, sy = height - 1 - x
      return (sample(sx, sy, 0), sample(sx, sy, 1), sample(sx, sy, 2))
    }
  }

  /// Mirrored left to right.
  func mirrored() -> PixelImage {
    .rgb(width: width, height: height) { (x, y) in (sample(width - 1 - x, y, 0), sample(width - 1 - x, y, 1), sample(width - 1 - x, y, 2)) }
  }

  /// Flipped top to bottom.
  func flipped() -> PixelImage {
    .rgb(width: width, height: height) { (x, y) in (sample(x, height - 1 - y, 0), sample(x, height - 1 - y, 1), sample(x, height - 1 - y, 2)) }
  }

  /// Resampled to `w × h` with a triangle (bilinear) filter whose support widens with the
  /// reduction, as Pillow's `resize(…, BILINEAR)` does: a reduction averages, never skips.
  func resized(width w: Int, height h: Int) -> PixelImage {
    // One pass per axis: for each output index, source indices and weights.
    func kernel(from n: Int, to m: Int) -> [(start: Int, weights: [Double])] {
      let scale = Double(n) / Double(m)
      let support = max(1.0, scale)
      return (0..<m).map { i in
        let centre = (Double(i) + 0.5) * scale
        let lo = max(0, Int((centre - support).rounded(.down)))
        let hi = min(n, Int((centre + support).rounded(.up)))
        var weights = (lo..<hi).map { j in max(0, 1 - abs((Double(j) + 0.5 - centre) / support)) }
        let total = weights.reduce(0, +)
        if total > 0 { weights = weights.map { $0 / total } } else { weights = [1] + weights.dropFirst().map { _ in 0 } }
        return (lo, weights)
      }
    }
    let kx = kernel(from: width, to: w), ky = kernel(from: height, to: h)
    // Horizontal pass into floats, then vertical.
    var mid = [Float](repeating: 0, count: w * height * 3)
    for y in 0..<height {
      for x in 0..<w {
        let (start, weights) = kx[x]
        for c in 0..<3 {
          var v = 0.0
          for (k, wt) in weights.enumerated() { v += wt * Double(sample(start + k, y, c)) }
          mid[(y * w + x) * 3 + c] = Float(v)
        }
      }
    }
    return .rgb(width: w, height: h) { (x, y) in
      let (start, weights) = ky[y]
      var v = (0.0, 0.0, 0.0)
      for (k, wt) in weights.enumerated() {
        let i = ((start + k) * w + x) * 3
        v.0 += wt * Double(mid[i])
        v.1 += wt * Double(mid[i + 1])
        v.2 += wt * Double(mid[i + 2])
      }
      return (Self.clamp(v.0), Self.clamp(v.1), Self.clamp(v.2))
    }
  }

  /// Turned by `degrees` (counter-clockwise) about the centre with bilinear sampling, then
  /// cropped to the largest upright rectangle of the same aspect inside the turned picture.
  func rotated(degrees: Double) -> PixelImage {
    let a = degrees * Double.pi / 180
    let (c, s) = (cos(a), sin(a))
    // The largest rectangle of the image's aspect inside the rotated one: scale factor.
    let (W, H) = (Double(width), Double(height))
    let factor = min(W / (W * abs(c) + H * abs(s)), H / (W * abs(s) + H * abs(c)))
    let w = max(1, Int(W * factor)), h = max(1, Int(H * factor))
    let (cx, cy) = (W / 2, H / 2)
    return .rgb(width: w, height: h) { (x, y) in
      // Output pixel centre relative to the centre, turned back into the source.
      let dx = Double(x) + 0.5 - Double(w) / 2, dy = Double(y) + 0.5 - Double(h) / 2
      let sx = c * dx - s * dy + cx - 0.5, sy = s * dx + c * dy + cy - 0.5
      return bilinear(sx, sy)
    }
  }

  /// The colour at a fractional position, edges clamped.
  private func bilinear(_ x: Double, _ y: Double) -> (UInt8, UInt8, UInt8) {
    let x0 = min(max(Int(x.rounded(.down)), 0), width - 1), y0 = min(max(Int(y.rounded(.down)), 0), height - 1)
    let x1 = min(x0 + 1, width - 1), y1 = min(y0 + 1, height - 1)
    let fx = min(max(x - Double(x0), 0), 1), fy = min(max(y - Double(y0), 0), 1)
    func channel(_ c: Int) -> UInt8 {
      let top = Double(sample(x0, y0, c)) * (1 - fx) + Double(sample(x1, y0, c)) * fx
      let bottom = Double(sample(x0, y1, c)) * (1 - fx) + Double(sample(x1, y1, c)) * fx
      return Self.clamp(top * (1 - fy) + bottom * fy)
    }
    return (channel(0), channel(1), channel(2))
  }

  /// Blurred by three passes of a box filter of radius `radius` on each axis (close to a
  /// Gaussian of σ = √(radius (radius + 1))), edges clamped.
  func blurred(radius: Int) -> PixelImage {
    var values = pixels.map(Float.init)
    let n = 2 * radius + 1
    for _ in 0..<3 {
      for horizontal in [true, false] {
        let (lines, length) = horizontal ? (height, width) : (width, height)
        var out = values
        for line in 0..<lines {
          for c in 0..<3 {
            func at(_ i: Int) -> Float {
              let j = min(max(i, 0), length - 1)
              return values[(horizontal ? line * width + j : j * width + line) * 3 + c]
            }
            var sum: Float = 0
            for i in -radius...radius { sum += at(i) }
            for i in 0..<length {
              out[(horizontal ? line * width + i : i * width + line) * 3 + c] = sum / Float(n)
              sum += at(i + radius + 1) - at(i - radius)
            }
          }
        }
        values = out
      }
    }
    return PixelImage(width: width, height: height, layout: .rgb, pixels: values.map { Self.clamp(Double($0)) })
  }

  /// Each channel of each pixel plus Gaussian noise of standard deviation `sigma`.
  func noised(sigma: Double, using generator: inout SeededGenerator) -> PixelImage {
    PixelImage(width: width, height: height, layout: .rgb, pixels: pixels.map { Self.clamp(Double($0) + sigma * generator.gaussian()) })
  }

  /// Every channel value mapped through `curve` (brightness, contrast, gamma).
  func mapped(_ curve: (Double) -> Double) -> PixelImage {
    let table = (0..<256).map { Self.clamp(curve(Double($0))) }
    return PixelImage(width: width, height: height, layout: .rgb, pixels: pixels.map { table[Int($0)] })
  }

  /// Gray (Rec. 601 luma, rounded) in all three channels.
  func grayscale() -> PixelImage {
    .rgb(width: width, height: height) { (x, y) in
      let v = Self.clamp(0.299 * Double(sample(x, y, 0)) + 0.587 * Double(sample(x, y, 1)) + 0.114 * Double(sample(x, y, 2)))
      return (v, v, v)
    }
  }

  /// The picture with the rectangle painted by `paint(x, y)` where it returns a colour.
  func painted(_ paint: (Int, Int) -> (UInt8, UInt8, UInt8)?) -> PixelImage {
    .rgb(width: width, height: height) { (x, y) in paint(x, y) ?? (sample(x, y, 0), sample(x, y, 1), sample(x, y, 2)) }
  }

  static func clamp(_ v: Double) -> UInt8 { UInt8(min(255, max(0, v.rounded()))) }
}
