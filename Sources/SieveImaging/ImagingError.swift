/// Why an image could not be decoded. Every case says what a person can check.
public enum ImagingError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file has no bytes.
  case empty
  /// The first bytes are not any image signature Sieve knows.
  case unrecognizedFormat(signature: [UInt8])
  /// The format was recognised but this build cannot decode it.
  case unsupportedFormat(ImageFormat)
  /// The file is larger than the byte limit.
  case fileTooLarge(bytes: Int, limit: Int)
  /// The header claims more pixels than the limit allows (a decompression bomb is
  /// refused here, before any pixel buffer is allocated).
  case tooLarge(width: Int, height: Int, limit: String)
  /// The header declares far more pixels than the file's bytes can plausibly encode
  /// (over ``DecodingLimits/maxPixelsPerByte``): a decompression bomb, or an image of
  /// one flat colour, which has nothing to match on.
  case implausibleSize(width: Int, height: Int, bytes: Int, limit: Int)
  /// The data ends before the image does.
  case truncated(String)
  /// The data is damaged or not what the header promised.
  case corrupt(String)
  /// The image uses a feature the decoder does not support.
  case unsupported(String)
  /// Decoding ran past the time limit.
  case timedOut(seconds: Double)
  /// The decoder could not get memory.
  case outOfMemory

  public var description: String {
    switch self {
    case .empty:
      return "empty file (0 bytes)"
    case .unrecognizedFormat(let signature):
      let hex = signature.prefix(8).map { byte in
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
      }.joined(separator: " ")
      return "not a recognised image (first bytes: \(hex))"
    case .unsupportedFormat(let format):
      return "\(format.rawValue.uppercased()) images are recognised but not decoded by this build"
    case .fileTooLarge(let bytes, let limit):
      return "file is \(bytes) bytes, over the \(limit)-byte limit (see --max-bytes)"
    case .tooLarge(let width, let height, let limit):
      return "image is \(width)×\(height), over the limit of \(limit) (see --max-pixels)"
    case .implausibleSize(let width, let height, let bytes, let limit):
      return "image declares \(width)×\(height) pixels in only \(bytes) bytes, over \(limit) pixels per byte: "
        + "a decompression bomb, or an image of one colour with nothing to match on"
    case .truncated(let reason):
      return "truncated: \(reason)"
    case .corrupt(let reason):
      return "corrupt: \(reason)"
    case .unsupported(let reason):
      return "unsupported: \(reason)"
    case .timedOut(let seconds):
      return "decoding took longer than \(seconds) s (see --max-seconds)"
    case .outOfMemory:
      return "out of memory while decoding"
    }
  }
}
