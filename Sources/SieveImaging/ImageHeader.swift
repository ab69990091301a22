/// What an image's header says, read before any pixel is decoded.
public struct ImageHeader: Sendable, Equatable, Codable {
  /// The recognised format.
  public var format: ImageFormat
  /// Width in pixels.
  public var width: Int
  /// Height in pixels.
  public var height: Int
  /// The colour model stored in the file, e.g. `"YCbCr"`, `"gray"`, `"CMYK"`, `"palette"`.
  public var colorModel: String
  /// Bits per sample as stored (8 for JPEG).
  public var bitDepth: Int
  /// Whether the decoder must hold the whole image before the first row: a
  /// progressive or other multi-scan JPEG, or an interlaced PNG.
  public var isProgressive: Bool
  /// How the decoder delivers pixels for this image.
  public var layout: PixelLayout
  /// The size of the encoded file the header was read from, in bytes (0: unknown). The
  /// limits compare it with the pixels declared (``DecodingLimits/maxPixelsPerByte``).
  public var encodedBytes: Int
  /// The working memory the decoder itself will allocate for this image, in bytes:
  /// frames, canvases, coefficient buffers, tiles or strips (not the pixel rows it hands
  /// on). Memory budgets reserve this before decoding.
  public var decoderBytes: Int

  /// The number of pixels, `width × height`.
  public var pixelCount: Int { ImageHeader.bytes(width, height) }

  public init(
    format: ImageFormat, width: Int, height: Int, colorModel: String, bitDepth: Int,
    isProgressive: Bool, layout: PixelLayout, encodedBytes: Int = 0, decoderBytes: Int = 0
  ) {
    self.format = format
    self.width = width
    self.height = height
    self.colorModel = colorModel
    self.bitDepth = bitDepth
    self.isProgressive = isProgressive
    self.layout = layout
    self.encodedBytes = encodedBytes
    self.decoderBytes = decoderBytes
  }
}

extension ImageHeader {
  /// `factors` multiplied, saturating at `Int.max` instead of trapping: header sizes come
  /// from the file (a TIFF may declare 2³¹ × 2³¹), and are checked against the limits only
  /// after the header is built.
  static func bytes(_ factors: Int...) -> Int {
    var product = 1
    for factor in factors {
      let (next, overflow) = product.multipliedReportingOverflow(by: max(factor, 0))
      if overflow { return .max }
      product = next
    }
    return product
  }

  /// `a + b`, saturating.
  static func sum(_ terms: Int...) -> Int {
    terms.reduce(0) { total, term in
      let (next, overflow) = total.addingReportingOverflow(term)
      return overflow ? .max : next
    }
  }
}
