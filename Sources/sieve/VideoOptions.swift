import ArgumentParser
import SieveVideo

/// Video options shared by hash, match and scan.
struct VideoOptions: ParsableArguments {
  @Option(help: "Seconds between hashed frames (vPDQ's seconds_per_hash); 0 hashes every frame.")
  var secondsPerHash: Double = 1.0

  @Option(help: "The longest video decoded, by its header (seconds).")
  var maxVideoSeconds: Double = VideoLimits.default.maxDurationSeconds

  @Option(help: "The largest video frame decoded (width x height pixels; default 4096x2304).")
  var maxFramePixels: Int = VideoLimits.default.maxFramePixels

  @Option(help: "The most frames hashed from one video; the video stops there with what it has.")
  var maxHashedFrames: Int = VideoLimits.default.maxHashedFrames

  @Option(help: "The most wall-clock seconds one video may take to decode and hash.")
  var maxVideoTime: Double = VideoLimits.default.maxSeconds ?? 600

  @Option(help: "Decoder threads a video (0: one a core). Default: 1 when several files are hashed at once, else one a core.")
  var videoThreads: Int?

  @Flag(
    help: """
      Decode every frame of every video in one pass, as vPDQ does. By default a video cut by \
      clean key frames is decoded stretch by stretch, only as far as its hashed frames need \
      (the same features on undamaged videos, several times faster); one pass also notices \
      damage anywhere in a video.
      """)
  var onePass = false

  @Flag(help: "Do not decode videos (they are skipped, as files that are not images).")
  var noVideo = false

  /// The hasher these options describe, or nil with --no-video.
  var hasher: VideoHasher? {
    guard !noVideo else { return nil }
    let limits = VideoLimits(
      maxDurationSeconds: maxVideoSeconds, maxFramePixels: maxFramePixels, maxHashedFrames: maxHashedFrames,
      maxSeconds: maxVideoTime)
    return VideoHasher(limits: limits, secondsPerHash: secondsPerHash, decoderThreads: videoThreads ?? 1, inStretches: !onePass)
  }

  /// The hasher for a batch of `files` on `workers`: a lone file (one video) gets every core.
  func hasher(files: Int, workers: Int) -> VideoHasher? {
    guard var hasher else { return nil }
    if videoThreads == nil, files == 1 || workers == 1 { hasher.decoderThreads = 0 }
    return hasher
  }

  func validate() throws {
    guard secondsPerHash >= 0, secondsPerHash.isFinite else { throw ValidationError("--seconds-per-hash must be 0 or more") }
    guard (videoThreads ?? 0) >= 0, (videoThreads ?? 0) <= 64 else { throw ValidationError("--video-threads must be 0...64") }
    guard maxVideoTime.isFinite, maxVideoTime <= 1e9, maxVideoSeconds.isFinite, maxVideoSeconds <= 1e9 else {
      throw ValidationError("video time limits must be at most 1e9 seconds")
    }
    guard maxVideoSeconds > 0, maxFramePixels > 0, maxHashedFrames > 0, maxVideoTime > 0 else {
      throw ValidationError("video limits must be greater than 0")
    }
  }
}
