/// One format's decoder: what ``ImageDecoder`` dispatches to once it has recognised the
/// format from the bytes.
protocol FormatDecoder {
  init(limits: DecodingLimits)
  /// Reads only the header.
  func header(of data: UnsafeRawBufferPointer) throws(ImagingError) -> ImageHeader
  /// Decodes, checking the limits before any pixel buffer is allocated, and passes rows to `sink`.
  func decode<Sink: PixelRowSink>(_ data: UnsafeRawBufferPointer, into sink: inout Sink) throws -> ImageHeader
}

extension JPEGDecoder: FormatDecoder {
  func decode<Sink: PixelRowSink>(_ data: UnsafeRawBufferPointer, into sink: inout Sink) throws -> ImageHeader {
    try decode(data, scaleDenominator: 1, into: &sink)
  }
}

extension PNGDecoder: FormatDecoder {}
extension GIFDecoder: FormatDecoder {}
extension WebPDecoder: FormatDecoder {}
extension BMPDecoder: FormatDecoder {}
extension TIFFDecoder: FormatDecoder {}
extension HEIFDecoder: FormatDecoder {}

extension ImageFormat {
  /// The decoder of this format, or nil when this build does not decode it.
  var decoderType: (any FormatDecoder.Type)? {
    switch self {
    case .jpeg: return JPEGDecoder.self
    case .png: return PNGDecoder.self
    case .gif: return GIFDecoder.self
    case .webp: return WebPDecoder.self
    case .bmp: return BMPDecoder.self
    case .tiff: return TIFFDecoder.self
    case .heif: return HEIFDecoder.self
    default: return nil
    }
  }
}
