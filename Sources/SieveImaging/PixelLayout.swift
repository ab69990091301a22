/// How decoded pixels are laid out in a row: one gray byte or three RGB bytes each.
public enum PixelLayout: Int, Sendable, Codable {
  /// One 8-bit gray sample per pixel.
  case gray = 1
  /// Three 8-bit samples per pixel, red, green, blue.
  case rgb = 3

  /// Bytes per pixel.
  @inlinable
  public var channels: Int { rawValue }
}
