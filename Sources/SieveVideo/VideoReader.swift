import CVideo

#if canImport(Glibc)
import Glibc
#endif

/// One video open in FFmpeg: its stream's header and its frames in decoding order, each
/// converted to RGB only when asked for. Reads through the shim's custom I/O (a read-only
/// descriptor or bytes in memory), so nothing named inside the file is ever opened.
///
/// Not thread-safe; one reader a thread. The bytes or descriptor given must outlive it.
final class VideoReader {
  /// A decoded frame: its size and presentation time, its RGB pixels when converted.
  struct Frame {
    var width: Int
    var height: Int
    /// Microseconds; nil when the stream gives none.
    var presentationTime: Int64?
    /// Packed RGB24 rows, or nil when not converted.
    var rgb: [UInt8]?
  }

  private var video: OpaquePointer?
  let info: VideoInfo
  private let limits: VideoLimits
  private var rgbBuffer: RGBFrameBuffer

  /// Opens bytes in memory; `bytes` must stay valid while the reader lives.
  convenience init(bytes: UnsafeRawBufferPointer, limits: VideoLimits, threads: Int, deadline: UInt64?) throws(VideoError) {
    let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
    try self.init(limits: limits) { out, message, length in
      sieve_video_open_memory(
        base, bytes.count, Self.nanoseconds(deadline), Int64(limits.maxFramePixels), Int32(clamping: threads), out, message, length)
    }
  }

  /// Opens the file read-only at `descriptor` (`length` bytes); the descriptor must stay
  /// open while the reader lives.
  convenience init(descriptor: Int32, length: Int64, limits: VideoLimits, threads: Int, deadline: UInt64?) throws(VideoError) {
    try self.init(limits: limits) { out, message, messageLength in
      sieve_video_open_fd(
        descriptor, length, Self.nanoseconds(deadline), Int64(limits.maxFramePixels), Int32(clamping: threads), out, message,
        messageLength)
    }
  }

  /// Opens a video read through `source` (`length` bytes), which the reader keeps.
  convenience init(source: ByteSource, length: Int64, limits: VideoLimits, threads: Int, deadline: UInt64?) throws(VideoError) {
    let context = Unmanaged.passUnretained(source).toOpaque()
    try self.init(limits: limits) { out, message, messageLength in
      sieve_video_open_reader(
        { context, offset, buffer, size in
          guard let context, let buffer else { return -1 }
          let source = Unmanaged<ByteSource>.fromOpaque(context).takeUnretainedValue()
          return Int64((try? source.readAt(offset, UnsafeMutableRawBufferPointer(start: buffer, count: Int(size)))) ?? -1)
        }, context, length, Self.nanoseconds(deadline), Int64(limits.maxFramePixels), Int32(clamping: threads), out, message,
        messageLength)
    }
    keptSource = source
  }

  /// Bytes read where they are needed: a closure the reader keeps while it lives.
  final class ByteSource {
    let readAt: (Int64, UnsafeMutableRawBufferPointer) throws -> Int
    init(_ readAt: @escaping (Int64, UnsafeMutableRawBufferPointer) throws -> Int) { self.readAt = readAt }
  }

  private var keptSource: ByteSource?

  private init(
    limits: VideoLimits,
    open: (UnsafeMutablePointer<OpaquePointer?>, UnsafeMutablePointer<CChar>, Int) -> Int32
  ) throws(VideoError) {
    self.limits = limits
    rgbBuffer = RGBFrameBuffer(maxFramePixels: limits.maxFramePixels)
    var message = [CChar](repeating: 0, count: 512)
    var opened: OpaquePointer?
    let status = Int(message.withUnsafeMutableBufferPointer { open(&opened, $0.baseAddress!, $0.count) })
    guard status == SIEVE_VIDEO_OK, let opened else {
      throw Self.error(status, message: Self.text(message), codec: "")
    }
    video = opened
    var raw = sieve_video_info()
    sieve_video_info_get(opened, &raw)
    func rate(_ num: Int32, _ den: Int32) -> Double? { num > 0 && den > 0 ? Double(num) / Double(den) : nil }
    let codec = withUnsafeBytes(of: raw.codec_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    let container = withUnsafeBytes(of: raw.format_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    info = VideoInfo(
      width: Int(raw.width), height: Int(raw.height),
      frameRate: rate(raw.avg_rate_num, raw.avg_rate_den) ?? rate(raw.real_rate_num, raw.real_rate_den) ?? 0,
      duration: raw.duration_us >= 0 ? Double(raw.duration_us) / 1_000_000 : nil,
      frameCount: raw.frame_count > 0 ? Int(raw.frame_count) : nil, container: container, codec: codec)
  }

  deinit { sieve_video_close(video) }

  /// Packets the decoder rejected so far.
  var badPackets: Int { Int(sieve_video_bad_packets(video)) }

  /// Why the data ended early (a damaged or unreadable stretch), if it did.
  var readError: String? {
    var message = [CChar](repeating: 0, count: 512)
    let failed = message.withUnsafeMutableBufferPointer { sieve_video_read_error(video, $0.baseAddress, $0.count) }
    return failed != 0 ? Self.text(message) : nil
  }

  /// The next frame in decoding order, converted to RGB when `convert`; nil after the last.
  func next(convert: Bool) throws(VideoError) -> Frame? {
    var message = [CChar](repeating: 0, count: 512)
    var pts: Int64 = 0
    let (status, width, height) = try rgbBuffer.fill { buffer, capacity, again in
      message.withUnsafeMutableBufferPointer { m in
        var (width, height): (Int32, Int32) = (0, 0)
        let status =
          again
          ? sieve_video_convert_last(video, buffer, capacity, m.baseAddress!, m.count)
          : sieve_video_next(video, convert ? buffer : nil, convert ? capacity : 0, &width, &height, &pts, m.baseAddress!, m.count)
        return (status, width, height)
      }
    }
    switch status {
    case SIEVE_VIDEO_OK:
      return Frame(
        width: width, height: height, presentationTime: pts == Int64.min ? nil : pts,
        rgb: convert ? rgbBuffer.pixels(width: width, height: height) : nil)
    case SIEVE_VIDEO_END: return nil
    default: throw Self.error(status, message: Self.text(message), codec: info.codec)
    }
  }

  /// Why the stream cannot be read in ``VideoStretch``es, or nil when it can. Asked before
  /// anything is read; a reader gives stretches or frames, never both.
  func whyNotInStretches() -> String? {
    var message = [CChar](repeating: 0, count: 512)
    let yes = message.withUnsafeMutableBufferPointer { sieve_video_segmentable(video, $0.baseAddress, $0.count) }
    return yes != 0 ? nil : Self.text(message)
  }

  /// What reading the next stretch gave.
  enum NextStretch {
    case stretch(VideoStretch)
    case end
    /// The stream is not cut cleanly after all: decode it in one pass from the start.
    case unsegmentable(String)
  }

  /// The next stretch of the stream.
  func nextStretch() throws(VideoError) -> NextStretch {
    var message = [CChar](repeating: 0, count: 512)
    var gop: OpaquePointer?
    let status = Int(message.withUnsafeMutableBufferPointer { sieve_video_next_gop(video, &gop, $0.baseAddress, $0.count) })
    switch status {
    case SIEVE_VIDEO_OK:
      guard let gop else { return .end }
      return .stretch(VideoStretch(gop))
    case SIEVE_VIDEO_END: return .end
    case SIEVE_VIDEO_UNSEGMENTABLE: return .unsegmentable(Self.text(message))
    default: throw Self.error(status, message: Self.text(message), codec: info.codec)
    }
  }

  /// A decoder of its own for this video's stretches.
  func makeStretchDecoder(threads: Int) throws(VideoError) -> StretchDecoder {
    var message = [CChar](repeating: 0, count: 512)
    var decoder: OpaquePointer?
    let status = Int(
      message.withUnsafeMutableBufferPointer {
        sieve_video_decoder_open(video, Int64(limits.maxFramePixels), Int32(clamping: threads), &decoder, $0.baseAddress, $0.count)
      })
    guard status == SIEVE_VIDEO_OK, let decoder else { throw Self.error(status, message: Self.text(message), codec: info.codec) }
    return StretchDecoder(decoder, maxFramePixels: limits.maxFramePixels)
  }

  static func text(_ message: [CChar]) -> String {
    String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  private static func nanoseconds(_ deadline: UInt64?) -> Int64 { deadline.map { Int64(clamping: $0) } ?? 0 }

  private static func error(_ status: Int, message: String, codec: String) -> VideoError {
    switch status {
    case SIEVE_VIDEO_NOT_VIDEO: return .notVideo(message)
    case SIEVE_VIDEO_NO_DECODER: return .noDecoder(codec: codec)
    case SIEVE_VIDEO_NO_MEMORY: return .outOfMemory
    case SIEVE_VIDEO_TIMEOUT: return .timedOut(seconds: 0)
    default: return .decoding(message)
    }
  }

  /// Now on CLOCK_MONOTONIC, in nanoseconds (the shim's clock for deadlines).
  static func monotonicNow() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
  }
}
