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

  public init(
    maxPixels: Int = 250_000_000, maxBytes: Int = 512 << 20, maxDimension: Int = 1_000_000,
    maxSeconds: Double? = 60, maxProgressiveScans: Int = 500
  ) {
    self.maxPixels = maxPixels
    self.maxBytes = maxBytes
    self.maxDimension = maxDimension
    self.maxSeconds = maxSeconds
    self.maxProgressiveScans = maxProgressiveScans
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

  /// Throws when `header` is over the pixel or dimension limits.
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
  }
}
