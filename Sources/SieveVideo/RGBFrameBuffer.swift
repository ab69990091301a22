import CVideo

/// The buffer the shim converts a decoded frame into, as packed RGB rows: grown to fit a
/// frame within the frame-size limit. Never empty (the shim reads a NULL buffer as "do not
/// convert").
struct RGBFrameBuffer {
  private var bytes: [UInt8] = [0, 0, 0]
  let maxFramePixels: Int

  init(maxFramePixels: Int) { self.maxFramePixels = maxFramePixels }

  /// Calls `decode` with the buffer and its size. When it answers
  /// `SIEVE_VIDEO_FRAME_TOO_LARGE` (the first frame converted, or a larger one mid-stream),
  /// grows the buffer to the frame's size and calls it again with `again` set, to convert
  /// the frame last decoded. Returns the last status and the frame's size.
  mutating func fill(
    _ decode: (_ buffer: UnsafeMutablePointer<UInt8>, _ capacity: Int, _ again: Bool) -> (status: Int32, width: Int32, height: Int32)
  ) throws(VideoError) -> (status: Int, width: Int, height: Int) {
    var result = bytes.withUnsafeMutableBufferPointer { decode($0.baseAddress!, $0.count, false) }
    if result.status == SIEVE_VIDEO_FRAME_TOO_LARGE {
      let (width, height) = (Int(result.width), Int(result.height))
      guard width * height <= maxFramePixels else { throw .frameTooLarge(width: width, height: height, limit: maxFramePixels) }
      bytes = [UInt8](repeating: 0, count: width * height * 3)
      result.status = bytes.withUnsafeMutableBufferPointer { decode($0.baseAddress!, $0.count, true) }.status
    }
    return (Int(result.status), Int(result.width), Int(result.height))
  }

  /// A copy of the frame's pixels.
  func pixels(width: Int, height: Int) -> [UInt8] { Array(bytes.prefix(width * height * 3)) }
}
