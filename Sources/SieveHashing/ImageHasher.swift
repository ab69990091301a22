import SieveCore
import SieveImaging

/// Decodes image bytes and computes their perceptual hashes in one pass over the
/// decoded rows.
///
/// ```swift
/// var hasher = ImageHasher()
/// let hashes = try hasher.hash(bytes)
/// print(hashes.pdq!.hash, hashes.pdq!.quality, hashes.phash!)
/// ```
///
/// A hasher reuses its scratch buffers between images: keep one per thread.
public struct ImageHasher {
  /// The decoder, with its limits.
  public var decoder: ImageDecoder
  /// What to compute.
  public var options: HashOptions
  private var pdqHasher = PDQHasher()
  private var orientedHasher = PDQOrientedHasher()
  private var lumaStorage: [Float] = []
  private var streams: [BlurredColumns] = []

  public init(decoder: ImageDecoder = ImageDecoder(), options: HashOptions = HashOptions()) {
    self.decoder = decoder
    self.options = options
  }

  /// Decodes and hashes `data`.
  ///
  /// - Returns: the hashes, and the header as decoded.
  /// - Throws: ``ImagingError`` when the bytes are not a decodable image within the limits.
  public mutating func hash(_ data: UnsafeRawBufferPointer) throws -> (hashes: ImageHashes, header: ImageHeader) {
    var denominator = 1
    if options.fastJPEG, ImageFormat.detect(data) == .jpeg {
      let header = try decoder.header(of: data)
      denominator = HashOptions.fastScaleDenominator(width: header.width, height: header.height)
    }
    var sink = HashingSink(options: options, lumaStorage: lumaStorage, streams: streams)
    lumaStorage = []
    streams = []
    defer {
      lumaStorage = sink.takeLumaStorage()
      streams = sink.takeStreams()
    }
    let header = try decoder.decode(data, jpegScaleDenominator: denominator, into: &sink)
    var hashes = sink.finish(using: &pdqHasher, oriented: &orientedHasher)
    if denominator > 1 {
      hashes.width = header.width
      hashes.height = header.height
      hashes.scaleDenominator = denominator
    }
    return (hashes, header)
  }

  /// Decodes and hashes `bytes`.
  public mutating func hash(_ bytes: [UInt8]) throws -> ImageHashes {
    try bytes.withUnsafeBytes { try hash($0).hashes }
  }

  /// Hashes an already decoded image.
  public mutating func hash(_ image: PixelImage) -> ImageHashes {
    var sink = HashingSink(options: options, lumaStorage: lumaStorage, streams: streams)
    lumaStorage = []
    streams = []
    defer {
      lumaStorage = sink.takeLumaStorage()
      streams = sink.takeStreams()
    }
    try? sink.begin(width: image.width, height: image.height, layout: image.layout)
    image.pixels.withUnsafeBufferPointer {
      sink.consume(rows: $0.baseAddress!, stride: image.rowBytes, firstRow: 0, count: image.height)
    }
    return sink.finish(using: &pdqHasher, oriented: &orientedHasher)
  }
}
