import SieveCore
import SieveHashing
import SieveImaging

#if canImport(Glibc)
import Glibc
#endif

/// Hashes videos as vPDQ does (Meta's video PDQ, `vpdq` 0.2.x): every frame decoded in
/// order, frame *n* hashed when *n* is a multiple of ⌊``secondsPerHash`` × frame rate⌋
/// (the stream's average rate, else its base rate), each converted to RGB at its own size
/// and hashed with PDQ at full resolution from its RGB luma.
///
/// Where the decoded pixels agree with vPDQ's (the same FFmpeg), the features are the
/// same, bit for bit. Unlike vPDQ, a corrupt packet is skipped rather than ending the
/// video, the decoder is always drained at the end, and a frame whose size changes
/// mid-stream is converted at its own size.
public struct VideoHasher: Sendable {
  /// What may be decoded.
  public var limits: VideoLimits
  /// Seconds between hashed frames (vPDQ's `seconds_per_hash`, default 1); 0 hashes
  /// every frame.
  public var secondsPerHash: Double
  /// Decoder threads a video: 1 by default, as batches decode several videos at once; 0
  /// takes one a core. Stretches of a video (see ``inStretches``) are decoded that many at
  /// once; a video decoded in one pass uses FFmpeg's frame and slice threading.
  public var decoderThreads: Int
  /// Whether a video whose stream is cut by clean key frames (MP4/MOV or Matroska/WebM
  /// holding H.264, HEVC or VP9) is decoded stretch by stretch: stretches
  /// holding no frame to hash are skipped, each is decoded only as far as its last frame to
  /// hash, and stretches are decoded on ``decoderThreads`` threads at once. The features
  /// are the same as decoding every frame in one pass gives: every frame decoded is checked
  /// against the stream's timing, and a video that does not pass is decoded in one pass.
  public var inStretches: Bool
  /// Variants of each hashed frame to hash too (a known video's, for an augmented set:
  /// ``SieveCore/PDQVariant`` crops), given in ``VideoHashes/variants``.
  public var variants: [PDQVariant] = []

  public init(limits: VideoLimits = .default, secondsPerHash: Double = 1.0, decoderThreads: Int = 1, inStretches: Bool = true) {
    self.limits = limits
    self.secondsPerHash = secondsPerHash
    self.decoderThreads = decoderThreads
    self.inStretches = inStretches
  }

  /// Hashes the video in `bytes`.
  public func hash(bytes: [UInt8]) throws(VideoError) -> VideoHashes {
    do {
      return try bytes.withUnsafeBytes { raw throws(VideoError) in try hash(raw, beforeDecoding: nil) }
    } catch let error as VideoError {
      throw error
    } catch {
      throw .decoding("\(error)")
    }
  }

  /// Hashes the video in `data` (read only while this runs). `beforeDecoding` is called
  /// once the header is read and within the limits, before any frame is decoded (to
  /// reserve the memory ``estimatedBytes(width:height:threads:)`` says).
  public func hash(_ data: UnsafeRawBufferPointer, beforeDecoding: ((VideoInfo) -> Void)? = nil) throws(VideoError) -> VideoHashes {
    if AnimatedWebP.isAnimated(data) { return try hashAnimatedWebP(data, beforeDecoding: beforeDecoding) }
    return try hash(beforeDecoding: beforeDecoding) { (deadline) throws(VideoError) in
      try VideoReader(bytes: data, limits: limits, threads: decoderThreads, deadline: deadline)
    }
  }

  /// The working memory decoding and hashing a video of frames `width` × `height` takes,
  /// the larger of its two ways. In one pass: per pixel, the RGB frame three times
  /// (FFmpeg's, the shim's buffer, the hashed copy), PDQ's float planes (12 bytes), and the
  /// decoder's reference and threading frames in 4:2:0 (1.5 bytes each, 16 references and
  /// a frame a thread). In stretches: as much for each thread's own decoder (16 references
  /// and its frame threads, at most 4), and the compressed stretches held, one a thread and
  /// the one being read, each at most 32 MiB.
  public static func estimatedBytes(width: Int, height: Int, threads: Int) -> Int {
    let pixels = max(0, width) * max(0, height)
    let threads = max(1, threads)
    let onePass = pixels * 21 + pixels * 3 / 2 * (16 + threads)
    let stretches = threads * (pixels * 21 + pixels * 3 / 2 * (16 + frameThreads(threads))) + (threads + 1) * (32 << 20)
    return max(onePass, stretches)
  }

  /// Hashes the video in the file open read-only at `descriptor`, `length` bytes long (the
  /// descriptor stays the caller's; the file is read with pread and never written).
  public func hash(descriptor: Int32, length: Int64, beforeDecoding: ((VideoInfo) -> Void)? = nil) throws(VideoError) -> VideoHashes {
    try refuseAnimatedWebP { buffer in
      var total = 0
      while total < buffer.count {
        let got = pread(descriptor, buffer.baseAddress! + total, buffer.count - total, off_t(total))
        guard got > 0 else { break }
        total += got
      }
      return total
    }
    return try hash(beforeDecoding: beforeDecoding) { (deadline) throws(VideoError) in
      try VideoReader(descriptor: descriptor, length: length, limits: limits, threads: decoderThreads, deadline: deadline)
    }
  }

  /// Hashes a video `length` bytes long read through `readAt` (up to the buffer's size at an
  /// offset; 0 at the end): a file inside a disk image, read through its file system where
  /// FFmpeg needs, never held whole. An animated WebP (which libwebp reads whole) is refused
  /// this way, as from a descriptor.
  public func hash(
    length: Int64, readAt: @escaping (Int64, UnsafeMutableRawBufferPointer) throws -> Int,
    beforeDecoding: ((VideoInfo) -> Void)? = nil
  ) throws(VideoError) -> VideoHashes {
    try refuseAnimatedWebP { try readAt(0, $0) }
    let source = VideoReader.ByteSource(readAt)
    return try hash(beforeDecoding: beforeDecoding) { (deadline) throws(VideoError) in
      try VideoReader(source: source, length: length, limits: limits, threads: decoderThreads, deadline: deadline)
    }
  }

  /// Refuses an animated WebP read in place (over the byte limit): libwebp reads an
  /// animation whole from memory, and a file mapped instead could shrink under it.
  private func refuseAnimatedWebP(_ readHead: (UnsafeMutableRawBufferPointer) throws -> Int) throws(VideoError) {
    var head = [UInt8](repeating: 0, count: 32)
    let got = (try? head.withUnsafeMutableBytes { try readHead($0) }) ?? 0
    if head.prefix(max(0, got)).withUnsafeBytes({ AnimatedWebP.isAnimated($0) }) {
      throw .decoding("an animated WebP over the byte limit is not decoded (libwebp reads an animation whole)")
    }
  }

  /// The frame step vPDQ uses: ⌊seconds × rate⌋, at least 1.
  public static func frameStep(secondsPerHash: Double, frameRate: Double) -> Int {
    let step = secondsPerHash * frameRate
    guard step.isFinite, step >= 1 else { return 1 }
    return step >= Double(Int32.max) ? Int(Int32.max) : Int(step)
  }

  func deadline() -> UInt64? {
    // Clamped: a limit of a century or "inf" is no limit, never a trap.
    limits.maxSeconds.map { VideoReader.monotonicNow() &+ UInt64(min(max(0, $0), 3e9) * 1e9) }
  }

  private func timedOut(_ error: VideoError) -> VideoError {
    if case .timedOut = error { return .timedOut(seconds: limits.maxSeconds ?? 0) }
    return error
  }

  /// Hashes the video `open` opens (given the deadline), the deadline's passing reported
  /// with the limit.
  private func hash(
    beforeDecoding: ((VideoInfo) -> Void)?, open: (UInt64?) throws(VideoError) -> VideoReader
  ) throws(VideoError) -> VideoHashes {
    let deadline = deadline()
    do {
      return try hashOpened(beforeDecoding: beforeDecoding) { () throws(VideoError) in try open(deadline) }
    } catch {
      throw timedOut(error)
    }
  }

  private func hashOpened(
    beforeDecoding: ((VideoInfo) -> Void)?, open: () throws(VideoError) -> VideoReader
  ) throws(VideoError) -> VideoHashes {
    var reader = try open()
    let info = reader.info
    if let duration = info.duration, duration > limits.maxDurationSeconds {
      throw .tooLong(seconds: duration, limit: limits.maxDurationSeconds)
    }
    if info.width * info.height > limits.maxFramePixels {
      throw .frameTooLarge(width: info.width, height: info.height, limit: limits.maxFramePixels)
    }
    guard info.frameRate > 0, info.frameRate.isFinite else { throw .noFrameRate }
    beforeDecoding?(info)
    let step = Self.frameStep(secondsPerHash: secondsPerHash, frameRate: info.frameRate)
    if inStretches, reader.whyNotInStretches() == nil {
      let workers = decoderThreads > 0 ? decoderThreads : max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
      if let hashes = try hashInStretches(reader, step: step, workers: workers) { return hashes }
      // Not cut cleanly after all: decoded again, in one pass.
      reader = try open()
    }
    return try hashInOnePass(reader, step: step)
  }

  /// Decodes every frame in order, as vPDQ does, and hashes every `step`th.
  private func hashInOnePass(_ reader: VideoReader, step: Int) throws(VideoError) -> VideoHashes {
    let info = reader.info
    var hasher = frameHasher()
    var features: [VPDQFeature] = []
    var frameVariants: [VPDQVariant] = []
    var decoded = 0
    var stopped: String?
    while true {
      let sampled = decoded % step == 0
      if let limit = limitReached(decoded: decoded, hashed: features.count, sampled: sampled) {
        stopped = limit
        break
      }
      let frame: VideoReader.Frame?
      do {
        frame = try reader.next(convert: sampled)
      } catch {
        switch error {
        case .frameTooLarge, .outOfMemory: throw error
        case .timedOut:
          // Features so far are kept; a scan records the video as stopped by the limit.
          guard !features.isEmpty else { throw error }
          stopped = timedOut(error).description
        default:
          guard decoded > 0 else { throw error }
          stopped = error.description
        }
        break
      }
      guard let frame else {
        if let damage = reader.readError { stopped = "\(damage) after \(decoded) frames" }
        break
      }
      if sampled, let rgb = frame.rgb {
        let image = PixelImage(width: frame.width, height: frame.height, layout: .rgb, pixels: rgb)
        if let (feature, variants) = Self.feature(of: image, number: decoded, frameRate: info.frameRate, hasher: &hasher) {
          features.append(feature)
          frameVariants += variants
        }
      }
      decoded += 1
    }
    var hashes = try finished(info: info, features: features, decoded: decoded, badPackets: reader.badPackets, stopped: stopped)
    hashes.variants = frameVariants
    return hashes
  }

  /// The hasher of sampled frames: PDQ from RGB luma (as vPDQ takes it, gray frames too),
  /// with ``variants``.
  func frameHasher() -> ImageHasher {
    var options = HashOptions(pdq: true, phash: false)
    options.grayFromRGB = true
    options.variants = variants
    return ImageHasher(options: options)
  }

  /// Frame `number`'s feature and its variants' hashes.
  static func feature(
    of image: PixelImage, number: Int, frameRate: Double, hasher: inout ImageHasher
  ) -> (VPDQFeature, [VPDQVariant])? {
    guard let pdq = hasher.hash(image).pdq else { return nil }
    let feature = VPDQFeature(
      frameNumber: number, hash: pdq.hash, quality: pdq.quality, timestamp: VPDQFeature.timestamp(frameNumber: number, frameRate: frameRate))
    return (feature, pdq.variants.map { VPDQVariant(frameNumber: number, variant: $0.variant, hash: $0.hash, quality: $0.quality) })
  }

  /// Why a video stops before frame number `decoded` (`sampled` when it is to be hashed)
  /// with `hashed` frames hashed: a limit reached; nil when it goes on.
  func limitReached(decoded: Int, hashed: Int, sampled: Bool) -> String? {
    if decoded >= limits.maxDecodedFrames { return "stopped after \(decoded) frames, the most decoded from one video" }
    if sampled, hashed >= limits.maxHashedFrames {
      return "stopped after \(hashed) hashed frames, the limit a video (--max-hashed-frames)"
    }
    return nil
  }

  /// The hashes of a video `decoded` frames long, checked for frames missing.
  func finished(
    info: VideoInfo, features: [VPDQFeature], decoded: Int, badPackets: Int, stopped: String?, inStretches: Bool = false
  ) throws(VideoError) -> VideoHashes {
    var stopped = stopped
    // A stream of which not one frame decodes is a failure, not a video without frames.
    guard decoded > 0 else { throw .decoding(stopped ?? "not one frame could be decoded") }
    // Frames missing without an error (a stretch of garbage the demuxer resynchronised
    // past, a file cut short): fewer frames than the header's duration holds.
    let decodedSeconds = Double(decoded) / info.frameRate
    if stopped == nil, let duration = info.duration, decodedSeconds + 1 < 0.9 * duration {
      stopped = "only \(decoded) frames (\(Int(decodedSeconds.rounded())) s) decoded of the \(Int(duration.rounded())) s "
        + "the header gives: the rest is missing or damaged"
    }
    return VideoHashes(
      info: info, features: features, framesDecoded: decoded, badPackets: badPackets, stoppedEarly: stopped,
      decodedInStretches: inStretches)
  }
}
