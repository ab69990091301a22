/// CMYK → RGB the way Pillow's `convert("RGB")` does it (`cmyk2rgb`):
/// `R = K' − round(C · K' / 255)` with `K' = 255 − K`, on ink values.
enum CMYKConversion {
  /// Converts `pixels` CMYK quadruples to RGB triples.
  ///
  /// - Parameter adobeInverted: the file stores inverted ink values (Adobe APP14
  ///   convention, which Photoshop and Pillow write); they are inverted back first.
  static func toRGB(
    _ cmyk: UnsafePointer<UInt8>, _ rgb: UnsafeMutablePointer<UInt8>, pixels: Int, adobeInverted: Bool
  ) {
    @inline(__always) func mulDiv255(_ a: Int, _ b: Int) -> Int {
      let t = a * b + 128
      return ((t >> 8) + t) >> 8
    }
    for p in 0..<pixels {
      var c = Int(cmyk[4 * p]), m = Int(cmyk[4 * p + 1]), y = Int(cmyk[4 * p + 2]), k = Int(cmyk[4 * p + 3])
      if adobeInverted {
        c = 255 - c
        m = 255 - m
        y = 255 - y
        k = 255 - k
      }
      let nk = 255 - k
      rgb[3 * p] = UInt8(clamping: nk - mulDiv255(c, nk))
      rgb[3 * p + 1] = UInt8(clamping: nk - mulDiv255(m, nk))
      rgb[3 * p + 2] = UInt8(clamping: nk - mulDiv255(y, nk))
    }
  }
}
