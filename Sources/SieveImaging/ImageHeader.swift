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
  public var pixelCount: Int { width * height }

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
