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
  /// The most pixels an image may declare per byte of its encoded file, once it declares
  /// more than ``pixelsFreeOfRatio``: a file cannot make more pixels than its bytes encode,
  /// so one that declares millions of pixels per byte is a header-only bomb (a 35-byte GIF
  /// declaring a 15000×15000 screen: 6.4 million a byte) whose pixel buffers would be
  /// allocated before its data runs out. Photos stay under 20 a byte; blank scanned pages
  /// reach 21,143 as lossless WebP and 7,513 as 1-bit PNG (`Scripts/measure_pixels_per_byte.py`),
  /// under the default of 32,768. Only one-colour images with nothing to match on go over
  /// it. `Int.max` turns the check off.
  public var maxPixelsPerByte: Int

  /// Images of at most this many pixels (2048 × 2048) are never refused for their ratio
  /// of pixels to bytes: their decoding is cheap whatever the file holds.
  public static let pixelsFreeOfRatio = 2048 * 2048

  public init(
    maxPixels: Int = 250_000_000, maxBytes: Int = 512 << 20, maxDimension: Int = 1_000_000,
    maxSeconds: Double? = 60, maxProgressiveScans: Int = 500, maxPixelsPerByte: Int = 32_768
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
    if header.encodedBytes > 0, pixels > Self.pixelsFreeOfRatio,
      pixels / header.encodedBytes > maxPixelsPerByte
    {
      throw .implausibleSize(width: header.width, height: header.height, bytes: header.encodedBytes, limit: maxPixelsPerByte)
    }
  }
}
