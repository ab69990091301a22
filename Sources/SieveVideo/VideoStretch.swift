import CVideo

/// A closed stretch of a video stream: the packets from one clean key frame up to the
/// next (see `sieve_video_next_gop`). Its frames need nothing from any other stretch, so
/// stretches are decoded apart, on several threads, and stretches holding no frame to
/// hash are not decoded at all.
///
/// Immutable once read, so it may be handed to another thread; freed with the object.
final class VideoStretch: @unchecked Sendable {
  let pointer: OpaquePointer
  /// The number of its first frame in the video (frames counted as a one-pass decode
  /// counts them).
  let firstFrame: Int
  /// Its frames.
  let frameCount: Int

  init(_ pointer: OpaquePointer) {
    self.pointer = pointer
    firstFrame = Int(sieve_video_gop_base(pointer))
    frameCount = Int(sieve_video_gop_count(pointer))
  }

  deinit { sieve_video_gop_free(pointer) }

  /// How many of its packets must be decoded for its frames numbered a multiple of `step`
  /// below `end`.
  func packetsNeeded(step: Int, end: Int) -> Int { Int(sieve_video_gop_packets_needed(pointer, Int64(step), Int64(end))) }

  /// Whether a frame numbered a multiple of `step` lies in it below `end`.
  func holdsSample(step: Int, below end: Int) -> Bool {
    let first = (firstFrame + step - 1) / step * step
    return first < min(firstFrame + frameCount, end)
  }
}
