/// Decodes image bytes into 8-bit gray or RGB pixel rows, within explicit limits.
///
/// The format is recognised from the bytes, never from a file name. JPEG goes
/// through libjpeg(-turbo) and PNG through libpng, each behind a C shim that turns
/// the library's fatal errors into ``ImagingError`` values: a corrupt, truncated or
/// hostile file never traps or exits. The header is read and checked against
/// ``limits`` before any pixel buffer is allocated.
///
/// ```swift
/// let decoder = ImageDecoder()
/// let image = try decoder.decodeImage(bytes)   // PixelImage
/// ```
public struct ImageDecoder: Sendable {
  /// The limits every decode is checked against.
  public var limits: DecodingLimits

  /// Creates a decoder with the given limits.
  public init(limits: DecodingLimits = .default) {
    self.limits = limits
  }

  /// The codec libraries in use, e.g. `["libjpeg-turbo 2.1.5 (API 62)", "libpng 1.6.39"]`.
  /// Golden hash values depend on the JPEG decoder: record this beside results.
  public static var codecVersions: [String] {
    [JPEGDecoder.version, PNGDecoder.version, GIFDecoder.version, WebPDecoder.version, TIFFDecoder.version, HEIFDecoder.version]
  }

  /// Recognises the format, checks the byte limit and picks the format's decoder.
  private func decoder(for data: UnsafeRawBufferPointer) throws(ImagingError) -> (ImageFormat, any FormatDecoder) {
    guard data.count > 0 else { throw .empty }
    guard data.count <= limits.maxBytes else { throw .fileTooLarge(bytes: data.count, limit: limits.maxBytes) }
    guard let format = ImageFormat.detect(data) else {
      throw .unrecognizedFormat(signature: Array(data.prefix(8)))
    }
    guard let type = format.decoderType else { throw .unsupportedFormat(format) }
    return (format, type.init(limits: limits))
  }

  /// Reads only the header: format, size, colour model.
  ///
  /// - Throws: ``ImagingError``.
  public func header(of data: UnsafeRawBufferPointer) throws(ImagingError) -> ImageHeader {
    try decoder(for: data).1.header(of: data)
  }

  /// Reads only the header of `bytes`.
  public func header(of bytes: [UInt8]) throws(ImagingError) -> ImageHeader {
    do {
      return try bytes.withUnsafeBytes { try header(of: $0) }
    } catch let error as ImagingError {
      throw error
    } catch {
      preconditionFailure("unexpected error \(error)")
    }
  }

  /// Decodes `data`, passing rows to `sink` in order, a band at a time.
  ///
  /// - Parameters:
  ///   - data: the encoded file.
  ///   - jpegScaleDenominator: 1 (exact), 2, 4 or 8: JPEG DCT-domain downscaling,
  ///     much faster for large images but not bit-exact with full decoding. PNG ignores it.
  ///   - sink: receives ``PixelRowSink/begin(width:height:layout:)`` then every row.
  /// - Returns: the header, with `layout` as delivered.
  /// - Throws: ``ImagingError``, or whatever `sink.begin` throws.
  public func decode<Sink: PixelRowSink>(
    _ data: UnsafeRawBufferPointer, jpegScaleDenominator: Int = 1, into sink: inout Sink
  ) throws -> ImageHeader {
    let (format, decoder) = try decoder(for: data)
    if format == .jpeg, jpegScaleDenominator != 1 {
      return try JPEGDecoder(limits: limits).decode(data, scaleDenominator: jpegScaleDenominator, into: &sink)
    }
    return try decoder.decode(data, into: &sink)
  }

  /// Decodes `bytes` into one ``PixelImage``.
  ///
  /// - Throws: ``ImagingError``.
  public func decodeImage(_ bytes: [UInt8]) throws -> PixelImage {
    var collector = PixelImage.Collector()
    _ = try bytes.withUnsafeBytes { try decode($0, into: &collector) }
    return collector.image
  }
}
