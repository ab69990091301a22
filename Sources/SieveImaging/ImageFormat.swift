/// An image file format, recognised from the file's first bytes (never its name).
public enum ImageFormat: String, Sendable, Codable, CaseIterable {
  case jpeg
  case png
  case gif
  case bmp
  case webp
  case tiff
  case heif
  case jpeg2000
  case jpegXL = "jxl"

  /// The usual file-name extension (`jpg`, `png`, …).
  public var fileExtension: String {
    switch self {
    case .jpeg: return "jpg"
    case .heif: return "heic"
    case .jpeg2000: return "jp2"
    default: return rawValue
    }
  }

  /// Whether this build of Sieve can decode the format.
  public var isDecodable: Bool {
    switch self {
    case .jpeg, .png, .gif, .webp, .bmp, .tiff, .heif: return true
    default: return false
    }
  }

  /// Recognises a format from the signature at the start of `bytes`.
  ///
  /// - Parameter bytes: the first bytes of a file; 16 are enough.
  /// - Returns: the format, or `nil` when the signature is not an image's.
  public static func detect(_ bytes: some Collection<UInt8>) -> ImageFormat? {
    let b = Array(bytes.prefix(16))
    func starts(_ signature: [UInt8], at offset: Int = 0) -> Bool {
      b.count >= offset + signature.count && Array(b[offset..<offset + signature.count]) == signature
    }
    if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
    if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
    if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .gif }
    // "BM" alone is too weak (any text starting "BM…"): also require a known DIB header size.
    if starts(Array("BM".utf8)) && bytes.count >= 18 {
      let dib = Array(bytes.dropFirst(14).prefix(4))
      let size = Int(dib[0]) | Int(dib[1]) << 8 | Int(dib[2]) << 16 | Int(dib[3]) << 24
      if [12, 40, 52, 56, 64, 108, 124].contains(size) { return .bmp }
    }
    if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return .webp }
    if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
    if starts(Array("ftyp".utf8), at: 4) {
      let brand = b.count >= 12 ? String(decoding: b[8..<12], as: UTF8.self) : ""
      if ["heic", "heix", "hevc", "hevx", "mif1", "msf1", "avif", "avis"].contains(brand) {
        return .heif
      }
    }
    if starts([0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]) || starts([0xFF, 0x4F, 0xFF, 0x51]) {
      return .jpeg2000
    }
    if starts([0xFF, 0x0A]) || starts([0x00, 0x00, 0x00, 0x0C, 0x4A, 0x58, 0x4C, 0x20]) {
      return .jpegXL
    }
    return nil
  }
}
