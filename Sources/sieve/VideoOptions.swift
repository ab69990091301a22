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

  @Flag(help: "Do not decode videos (they are skipped, as files that are not images).")
  var noVideo = false

  /// The hasher these options describe, or nil with --no-video.
  var hasher: VideoHasher? {
    guard !noVideo else { return nil }
    let limits = VideoLimits(
      maxDurationSeconds: maxVideoSeconds, maxFramePixels: maxFramePixels, maxHashedFrames: maxHashedFrames,
      maxSeconds: maxVideoTime)
    return VideoHasher(limits: limits, secondsPerHash: secondsPerHash)
  }

  func validate() throws {
    guard secondsPerHash >= 0, secondsPerHash.isFinite else { throw ValidationError("--seconds-per-hash must be 0 or more") }
    guard maxVideoSeconds > 0, maxFramePixels > 0, maxHashedFrames > 0, maxVideoTime > 0 else {
      throw ValidationError("video limits must be greater than 0")
    }
  }
}
