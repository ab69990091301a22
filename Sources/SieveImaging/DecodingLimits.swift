/// The limits a decode must stay within; anything larger is refused with an error
/// before a large allocation is made.
public struct DecodingLimits: Sendable, Equatable {
  /// The most pixels (`width × height`) an image may have. Default 250 million.
  public var maxPixels: Int
  /// The most bytes an encoded file may have. Default 512 MiB.
  public var maxBytes: Int
  /// The longest either side may be, in pixels. Default 1,000,000 (libpng's own default
  /// limit; JPEG cannot exceed 65,535).
  public var maxDimension: Int
  /// The longest one decode may take, in seconds; `nil` for no limit. Default 60.
  public var maxSeconds: Double?
  /// The most scans a progressive JPEG may have (libjpeg-turbo's advice against
  /// scan-flooding files is a few hundred). Default 500.
  public var maxProgressiveScans: Int
  /// The most pixels a large image (over ``largeImagePixels``, 4096 × 4096) may declare
  /// per byte of its encoded file; a mid-sized one (over ``pixelsFreeOfRatio``, 2048 ×
  /// 2048) may declare 64 times as many; smaller ones are exempt. Default 512 (so 32,768
  /// for mid-sized images). `Int.max` turns the check off.
  ///
  /// A file cannot make more pixels than its bytes encode: one that declares millions of
  /// pixels per byte is a header-only bomb (a 35-byte GIF declaring a 15000×15000 screen:
  /// 6.4 million a byte) whose pixel buffers would be allocated before its data runs out;
  /// and a large image that compresses hundreds of times better than a photo is nearly one
  /// colour, yet costs as much memory as a photo of its size (a 218 KB PNG of 15000×15000
  /// costs 900 MB to hash, for a hash of quality 0). Measured (`Scripts/measure_pixels_per_byte.py`):
  /// photos stay under 20 pixels a byte, screenshots under 2,200, blank scanned pages
  /// (8.4 M pixels) reach 21,143 as lossless WebP; a 50 M pixel one-colour lossy WebP is 562.
  public var maxPixelsPerByte: Int

  /// Images of at most this many pixels (2048 × 2048) are never refused for their ratio
  /// of pixels to bytes: their decoding is cheap whatever the file holds.
  public static let pixelsFreeOfRatio = 2048 * 2048

  /// Above this many pixels (4096 × 4096), ``maxPixelsPerByte`` applies as it is; below,
  /// 64 times it.
  public static let largeImagePixels = 4096 * 4096

  /// The pixels-per-byte limit for an image of `pixels` pixels; nil when none applies.
  public func pixelsPerByteLimit(forPixels pixels: Int) -> Int? {
    guard pixels > Self.pixelsFreeOfRatio, maxPixelsPerByte != .max else { return nil }
    if pixels > Self.largeImagePixels { return maxPixelsPerByte }
    let (scaled, overflow) = maxPixelsPerByte.multipliedReportingOverflow(by: 64)
    return overflow ? nil : scaled
  }

  public init(
    maxPixels: Int = 250_000_000, maxBytes: Int = 512 << 20, maxDimension: Int = 1_000_000,
    maxSeconds: Double? = 60, maxProgressiveScans: Int = 500, maxPixelsPerByte: Int = 512
  ) {
    self.maxPixels = maxPixels
    self.maxBytes = maxBytes
    self.maxDimension = maxDimension
    self.maxSeconds = maxSeconds
    self.maxProgressiveScans = maxProgressiveScans
    self.maxPixelsPerByte = maxPixelsPerByte
  }

  /// The defaults described on each property.
  public static let `default` = DecodingLimits()

  /// The monotonic-clock deadline for a decode starting at `now` (nanoseconds), or 0
  /// for none. Saturates instead of overflowing; a negative or NaN limit means "now".
  func deadline(fromNanoseconds now: UInt64) -> UInt64 {
    guard let seconds = maxSeconds else { return 0 }
    guard seconds.isFinite else { return seconds > 0 ? 0 : now }
    let nanoseconds = seconds * 1e9
    guard nanoseconds > 0 else { return now }
    guard nanoseconds < Double(UInt64.max / 2) else { return 0 }
    let (sum, overflow) = now.addingReportingOverflow(UInt64(nanoseconds))
    return overflow ? 0 : max(sum, 1)
  }

  /// Throws when `header` is over the pixel or dimension limits, or declares more pixels
  /// than its encoded bytes can plausibly hold (``maxPixelsPerByte``).
  public func check(_ header: ImageHeader) throws(ImagingError) {
    guard header.width > 0, header.height > 0 else {
      throw .corrupt("the header gives an empty size (\(header.width)×\(header.height))")
    }
    if header.width > maxDimension || header.height > maxDimension {
      throw .tooLarge(width: header.width, height: header.height, limit: "\(maxDimension) pixels a side")
    }
    let (pixels, overflow) = header.width.multipliedReportingOverflow(by: header.height)
    if overflow || pixels > maxPixels {
      throw .tooLarge(width: header.width, height: header.height, limit: "\(maxPixels) pixels")
    }
    if header.encodedBytes > 0, let limit = pixelsPerByteLimit(forPixels: pixels), pixels / header.encodedBytes > limit {
      throw .implausibleSize(width: header.width, height: header.height, bytes: header.encodedBytes, limit: limit)
    }
  }
}
