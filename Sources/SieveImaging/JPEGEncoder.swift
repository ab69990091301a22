import CJPEG

/// Encodes pixels as JPEG through libjpeg(-turbo) (`sieve_jpeg_encode` in the shim):
/// for thumbnails in reports, test images and benchmarks.
public enum JPEGEncoder {
  /// Encodes `image` (gray or RGB).
  ///
  /// - Parameters:
  ///   - quality: libjpeg quality, 1…100.
  ///   - progressive: write a progressive (multi-scan) file.
  ///   - restartRows: put a restart marker every this many MCU rows (0: none).
  /// - Returns: the JPEG file bytes.
  /// - Throws: ``ImagingError/corrupt(_:)`` with libjpeg's message when encoding fails.
  public static func encode(
    _ image: PixelImage, quality: Int = 90, progressive: Bool = false, restartRows: Int = 0
  ) throws(ImagingError) -> [UInt8] {
    var output: UnsafeMutablePointer<UInt8>?
    var length = 0
    var message = [CChar](repeating: 0, count: 200)
    let status = image.pixels.withUnsafeBufferPointer { pixels in
      sieve_jpeg_encode(
        pixels.baseAddress, UInt32(image.width), UInt32(image.height), Int32(image.layout.channels),
        Int32(quality), progressive ? 1 : 0, Int32(restartRows), &output, &length, &message, message.count)
    }
    guard status == SIEVE_JPEG_OK, let output else {
      throw .corrupt(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    defer { sieve_jpeg_free(output) }
    return Array(UnsafeBufferPointer(start: output, count: length))
  }
}
