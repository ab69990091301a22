import SieveCore
import SieveHashing
import SieveImaging

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
  /// Decoder threads a video (FFmpeg's frame and slice threading): 1 by default, as
  /// batches decode several videos at once; 0 lets FFmpeg take one a core.
  public var decoderThreads: Int

  public init(limits: VideoLimits = .default, secondsPerHash: Double = 1.0, decoderThreads: Int = 1) {
    self.limits = limits
    self.secondsPerHash = secondsPerHash
    self.decoderThreads = decoderThreads
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
    do {
      let reader = try VideoReader(bytes: data, limits: limits, threads: decoderThreads, deadline: deadline())
      return try hash(reader, beforeDecoding: beforeDecoding)
    } catch {
      throw timedOut(error)
    }
  }

  /// The working memory decoding and hashing a video of frames `width` × `height` takes:
  /// per pixel, the RGB frame three times (FFmpeg's, the shim's buffer, the hashed copy),
  /// PDQ's float planes (12 bytes), and the decoder's reference and threading frames in
  /// 4:2:0 (1.5 bytes each, 16 references and a frame a thread).
  public static func estimatedBytes(width: Int, height: Int, threads: Int) -> Int {
    let pixels = max(0, width) * max(0, height)
    return pixels * 21 + pixels * 3 / 2 * (16 + max(1, threads))
  }

  /// Hashes the video in the file open read-only at `descriptor`, `length` bytes long (the
  /// descriptor stays the caller's; the file is read with pread and never written).
  public func hash(descriptor: Int32, length: Int64, beforeDecoding: ((VideoInfo) -> Void)? = nil) throws(VideoError) -> VideoHashes {
    do {
      let reader = try VideoReader(descriptor: descriptor, length: length, limits: limits, threads: decoderThreads, deadline: deadline())
      return try hash(reader, beforeDecoding: beforeDecoding)
    } catch {
      throw timedOut(error)
    }
  }

  /// The frame step vPDQ uses: ⌊seconds × rate⌋, at least 1.
  public static func frameStep(secondsPerHash: Double, frameRate: Double) -> Int {
    let step = secondsPerHash * frameRate
    guard step.isFinite, step >= 1 else { return 1 }
    return step >= Double(Int32.max) ? Int(Int32.max) : Int(step)
  }

  private func deadline() -> UInt64? {
    // Clamped: a limit of a century or "inf" is no limit, never a trap.
    limits.maxSeconds.map { VideoReader.monotonicNow() &+ UInt64(min(max(0, $0), 3e9) * 1e9) }
  }

  private func timedOut(_ error: VideoError) -> VideoError {
    if case .timedOut = error { return .timedOut(seconds: limits.maxSeconds ?? 0) }
    return error
  }

  private func hash(_ reader: VideoReader, beforeDecoding: ((VideoInfo) -> Void)?) throws(VideoError) -> VideoHashes {
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
    var options = HashOptions(pdq: true, phash: false)
    // vPDQ takes luma from RGB for every frame, gray ones too.
    options.grayFromRGB = true
    var hasher = ImageHasher(options: options)
    var features: [VPDQFeature] = []
    var decoded = 0
    var stopped: String?
    while true {
      guard decoded < limits.maxDecodedFrames else {
        stopped = "stopped after \(decoded) frames, the limit a video (--max-video-frames)"
        break
      }
      let sampled = decoded % step == 0
      if sampled, features.count >= limits.maxHashedFrames {
        stopped = "stopped after \(features.count) hashed frames, the limit a video (--max-hashed-frames)"
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
        if let pdq = hasher.hash(image).pdq {
          features.append(VPDQFeature(
            frameNumber: decoded, hash: pdq.hash, quality: pdq.quality,
            timestamp: VPDQFeature.timestamp(frameNumber: decoded, frameRate: info.frameRate)))
        }
      }
      decoded += 1
    }
    // A stream of which not one frame decodes is a failure, not a video without frames.
    guard decoded > 0 else { throw .decoding(stopped ?? "not one frame could be decoded") }
    // Frames missing without an error (a stretch of garbage the demuxer resynchronised
    // past, a file cut short): fewer frames than the header's duration holds.
    let decodedSeconds = Double(decoded) / info.frameRate
    if stopped == nil, let duration = info.duration, decodedSeconds + 1 < 0.9 * duration {
      stopped = "only \(decoded) frames (\(Int(decodedSeconds.rounded())) s) decoded of the \(Int(duration.rounded())) s "
        + "the header gives: the rest is missing or damaged"
    }
    return VideoHashes(info: info, features: features, framesDecoded: decoded, badPackets: reader.badPackets, stoppedEarly: stopped)
  }
}
