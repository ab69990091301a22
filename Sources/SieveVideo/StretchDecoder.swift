import CVideo

/// A single-threaded decoder of its own for ``VideoStretch``es of one video: one a
/// worker, used by one thread at a time.
final class StretchDecoder: @unchecked Sendable {
  /// What decoding a stretch gave next.
  enum Next {
    /// A wanted frame, converted to RGB, and its number in the video.
    case frame(number: Int, VideoReader.Frame)
    case end
    /// A frame came out damaged or other than the stretch's timing says: the video must be
    /// decoded in one pass instead.
    case unsegmentable(String)
  }

  private let pointer: OpaquePointer
  private var rgbBuffer: RGBFrameBuffer

  init(_ pointer: OpaquePointer, maxFramePixels: Int) {
    self.pointer = pointer
    rgbBuffer = RGBFrameBuffer(maxFramePixels: maxFramePixels)
  }

  deinit { sieve_video_decoder_close(pointer) }

  /// Starts on `stretch` for frames numbered a multiple of `step` below `end`; false when
  /// it holds none.
  func begin(_ stretch: VideoStretch, step: Int, end: Int) throws(VideoError) -> Bool {
    let status = sieve_video_decoder_begin(pointer, stretch.pointer, Int64(step), Int64(end))
    if status == SIEVE_VIDEO_NO_MEMORY { throw .outOfMemory }
    return status > 0
  }

  /// The next wanted frame of the stretch begun.
  func next() throws(VideoError) -> Next {
    var message = [CChar](repeating: 0, count: 512)
    var number: Int64 = 0
    let (status, width, height) = try rgbBuffer.fill { buffer, capacity, again in
      message.withUnsafeMutableBufferPointer { m in
        var (width, height): (Int32, Int32) = (0, 0)
        let status =
          again
          ? sieve_video_decoder_convert_last(pointer, buffer, capacity, m.baseAddress!, m.count)
          : sieve_video_decoder_next(pointer, buffer, capacity, &number, &width, &height, m.baseAddress!, m.count)
        return (status, width, height)
      }
    }
    switch status {
    case SIEVE_VIDEO_OK:
      return .frame(
        number: Int(number),
        VideoReader.Frame(width: width, height: height, presentationTime: nil, rgb: rgbBuffer.pixels(width: width, height: height)))
    case SIEVE_VIDEO_END: return .end
    case SIEVE_VIDEO_UNSEGMENTABLE: return .unsegmentable(VideoReader.text(message))
    case SIEVE_VIDEO_TIMEOUT: throw .timedOut(seconds: 0)
    case SIEVE_VIDEO_NO_MEMORY: throw .outOfMemory
    default: return .unsegmentable(VideoReader.text(message))
    }
  }
}
