import Foundation
import SieveCore
import SieveHashing
import SieveImaging
import SieveTestSupport
import SieveVideo
import Testing

/// The small benign videos made by Scripts/make_video_fixtures.sh (FFmpeg's synthetic
/// sources and a slideshow of two dev-corpus photographs), with the features Meta's
/// `vpdq` 0.2.5 computed for each.
enum VideoFixtures {
  static let folder = TestData.repoRoot.appendingPathComponent("Tests/Fixtures/video")
  static let names = [
    "testsrc2-h264.mp4", "mandelbrot-vp9.webm", "life-mpeg4.avi", "testsrc2-2997.ts", "testsrc2-flv1.flv", "testsrc2.gif",
    "slideshow-h264.mp4", "testsrc2-h264-g12.mp4", "testsrc2-hevc-g15.mkv", "testsrc2-hevc-open.mp4", "mandelbrot-vp9-g8.webm",
    "testsrc2-mjpeg.mov",
  ]
  /// The fixtures whose streams are cut into stretches (MP4/MOV or Matroska/WebM holding
  /// H.264, HEVC or VP9).
  static let inStretches: Set<String> = [
    "testsrc2-h264.mp4", "mandelbrot-vp9.webm", "slideshow-h264.mp4", "testsrc2-h264-g12.mp4", "testsrc2-hevc-g15.mkv",
    "testsrc2-hevc-open.mp4", "mandelbrot-vp9-g8.webm",
  ]
  static func bytes(_ name: String) throws -> [UInt8] { try TestData.bytes(folder.appendingPathComponent(name)) }

  /// vpdq's lines: frame,quality,hash,timestamp.
  static func expected(_ name: String) throws -> [String] {
    try String(contentsOf: folder.appendingPathComponent(name + ".vpdq"), encoding: .utf8).split(separator: "\n").map(String.init)
  }

  static func line(_ f: VPDQFeature) -> String {
    "\(f.frameNumber),\(f.quality),\(f.hash.hexString),\(String(format: "%.3f", f.timestamp))"
  }
}

@Suite struct VideoHasherTests {
  /// Every fixture gives vpdq's features exactly: the same frames, hashes, qualities and
  /// times, from bytes in memory and from a read-only descriptor alike.
  @Test(arguments: VideoFixtures.names)
  func featuresEqualVPDQs(name: String) throws {
    let expected = try VideoFixtures.expected(name)
    let fromBytes = try VideoHasher().hash(bytes: VideoFixtures.bytes(name))
    #expect(fromBytes.features.map(VideoFixtures.line) == expected)
    #expect(fromBytes.stoppedEarly == nil && fromBytes.badPackets == 0)
    let path = VideoFixtures.folder.appendingPathComponent(name).path
    let fd = open(path, O_RDONLY)
    try #require(fd >= 0)
    defer { close(fd) }
    let length = lseek(fd, 0, SEEK_END)
    let fromFile = try VideoHasher().hash(descriptor: fd, length: Int64(length))
    #expect(fromFile == fromBytes)
  }

  /// Decoded stretch by stretch (stretches without a frame to hash skipped, non-reference
  /// pictures not wanted skipped, stretches on several threads), every fixture gives what
  /// decoding every frame in one pass gives: the same frames, hashes and times, the same
  /// count and the same reasons for stopping at each limit, at every sampling rate.
  @Test(arguments: VideoFixtures.names)
  func stretchesGiveWhatOnePassGives(name: String) throws {
    let bytes = try VideoFixtures.bytes(name)
    let runs: [(Double, VideoLimits)] = [
      (0, .default), (0.25, .default), (1, .default), (2.5, .default), (1, VideoLimits(maxHashedFrames: 3)),
      (0.25, VideoLimits(maxDecodedFrames: 50)),
    ]
    for (seconds, limit) in runs {
      do {
        let onePass = try VideoHasher(limits: limit, secondsPerHash: seconds, inStretches: false).hash(bytes: bytes)
        #expect(!onePass.decodedInStretches)
        for threads in [1, 2] {
          let cut = try VideoHasher(limits: limit, secondsPerHash: seconds, decoderThreads: threads).hash(bytes: bytes)
          #expect(cut.decodedInStretches == VideoFixtures.inStretches.contains(name), "\(name)")
          #expect(cut.features == onePass.features, "\(name) at \(seconds) s, \(threads) threads")
          #expect(cut.framesDecoded == onePass.framesDecoded && cut.stoppedEarly == onePass.stoppedEarly, "\(name) at \(seconds) s")
        }
      }
    }
  }

  /// Frames' variants (an augmented set's crops) come out alike whichever way a video is
  /// decoded: one pass, stretches on one or two threads.
  @Test(arguments: ["testsrc2-h264-g12.mp4", "testsrc2-anim.webp"])
  func frameVariantsAlikeEitherWay(name: String) throws {
    let bytes = try VideoFixtures.bytes(name)
    var hasher = VideoHasher(inStretches: false)
    hasher.variants = [.crop90, .crop75]
    let onePass = try hasher.hash(bytes: bytes)
    #expect(onePass.variants.count == 2 * onePass.features.count)
    #expect(onePass.variants.map(\.frameNumber) == onePass.features.flatMap { [$0.frameNumber, $0.frameNumber] })
    for threads in [1, 2] {
      var cut = VideoHasher(decoderThreads: threads)
      cut.variants = hasher.variants
      let hashes = try cut.hash(bytes: bytes)
      #expect(hashes.variants == onePass.variants && hashes.features == onePass.features)
    }
  }

  /// Legal but unusual streams (Tests/Fixtures/video-crafted/README.md) give what one pass
  /// gives: an IDR dropping the pictures waiting to be shown, times out of the pictures'
  /// order, frames reordered deeper than the stream declares, and a decoder that will not
  /// open strictly are each refused for stretches; an hvcC record FFmpeg reads by its own
  /// test is cut where FFmpeg would.
  @Test(arguments: [
    ("h5-noout.mp4", false), ("hc-swap.mkv", false), ("hp-fd-v0.mp4", true), ("np.mkv", false), ("hr.mkv", false),
    ("hp-sei.mp4", false),
  ])
  func craftedStreamsGiveWhatOnePassGives(name: String, inStretches: Bool) throws {
    let bytes = try TestData.bytes(TestData.repoRoot.appendingPathComponent("Tests/Fixtures/video-crafted/\(name)"))
    for seconds in [0, 0.2, 1.0] {
      let onePass = try VideoHasher(secondsPerHash: seconds, inStretches: false).hash(bytes: bytes)
      let cut = try VideoHasher(secondsPerHash: seconds, decoderThreads: 2).hash(bytes: bytes)
      #expect(cut.decodedInStretches == inStretches, "\(name)")
      #expect(cut.features == onePass.features && cut.framesDecoded == onePass.framesDecoded, "\(name) at \(seconds) s")
    }
  }

  /// Damage a decoder sees ends the stretches: the video is decoded again in one pass and
  /// gives what one pass gives. The stretch decoders are strict (FFmpeg's "explode"), so
  /// damage a lenient decoder would conceal from whatever its buffers held counts too.
  /// Damage no decoder notices can change the frames decoded from it (as FFmpeg's own
  /// output then changes with its threads), never the frames' numbers and times. Every
  /// frame is wanted here, so every stretch is decoded.
  @Test(arguments: ["testsrc2-h264-g12.mp4", "testsrc2-hevc-g15.mkv", "mandelbrot-vp9-g8.webm"])
  func damagedStretchesFallBackToOnePass(name: String) throws {
    let bytes = try VideoFixtures.bytes(name)
    var rng = SplitMix64(seed: UInt64(bytes.count) &+ 12)
    var fellBack = 0
    for _ in 0..<6 {
      var damaged = bytes
      for _ in 0..<16 {
        let at = bytes.count / 10 + Int(rng.next() % UInt64(bytes.count * 9 / 10))
        damaged[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
      }
      // One decoder thread: FFmpeg's frame threads conceal damage differently from run to
      // run when the machine is busy (six concurrent one-pass decodes of the same damaged
      // bytes gave up to four different results with two threads, one with one thread),
      // and the fallback must be compared with what one pass gives.
      let onePass = Result { try VideoHasher(secondsPerHash: 0, decoderThreads: 1, inStretches: false).hash(bytes: damaged) }
      let cut = Result { try VideoHasher(secondsPerHash: 0, decoderThreads: 1).hash(bytes: damaged) }
      switch (onePass, cut) {
      case (.success(let a), .success(let b)):
        if a.badPackets > 0 || a.stoppedEarly != nil { #expect(!b.decodedInStretches, "\(name): damage seen must end the stretches") }
        if b.decodedInStretches {
          #expect(a.features.map(\.frameNumber) == b.features.map(\.frameNumber) && a.framesDecoded == b.framesDecoded)
        } else {
          fellBack += 1
          #expect(a.features == b.features && a.stoppedEarly == b.stoppedEarly && a.badPackets == b.badPackets, "\(name)")
        }
      case (.failure, .failure): break
      default: Issue.record("\(name): one pass \(onePass), in stretches \(cut)")
      }
    }
    #expect(fellBack > 0, "\(name): no damage was met")
  }

  /// An animated WebP (frames stored as changed rectangles blended onto the canvas, of
  /// 100, 50 and 150 ms) is hashed as a video through libwebp: 30 frames over 3 s are 10 a
  /// second, so frames 0, 10 and 20 are hashed, at 0, 1 and 2 s, each exactly as the
  /// picture it composes to (the lossless source frames, as PNG) hashes.
  @Test func animatedWebPIsAVideo() throws {
    let bytes = try VideoFixtures.bytes("testsrc2-anim.webp")
    #expect(bytes.withUnsafeBytes { VideoContainer.video($0) } == .webp)
    #expect(bytes.withUnsafeBytes { AnimatedWebP.read($0) } == AnimatedWebP(width: 128, height: 96, frameCount: 30, milliseconds: 3000))
    let video = try VideoHasher().hash(bytes: bytes)
    #expect(video.info.frameRate == 10 && video.info.container == "webp" && video.framesDecoded == 30 && video.stoppedEarly == nil)
    #expect(video.features.map(\.frameNumber) == [0, 10, 20] && video.features.map(\.timestamp) == [0, 1, 2])
    var options = HashOptions(pdq: true, phash: false)
    options.grayFromRGB = true
    for feature in video.features {
      let picture = try ImageDecoder().decodeImage(VideoFixtures.bytes("testsrc2-anim.frame\(feature.frameNumber).png"))
      var hasher = ImageHasher(options: options)
      let pdq = try #require(hasher.hash(picture).pdq)
      #expect(pdq.hash == feature.hash && pdq.quality == feature.quality, "frame \(feature.frameNumber)")
    }
    // Every frame; read in place (over the byte limit) it is refused, as libwebp reads an
    // animation whole.
    #expect(try VideoHasher(secondsPerHash: 0).hash(bytes: bytes).features.count == 30)
    let fd = open(VideoFixtures.folder.appendingPathComponent("testsrc2-anim.webp").path, O_RDONLY)
    try #require(fd >= 0)
    defer { close(fd) }
    #expect(throws: VideoError.self) { try VideoHasher().hash(descriptor: fd, length: Int64(bytes.count)) }
    // Limits, each with its reason, checked before libwebp allocates its canvases.
    #expect(throws: VideoError.self) { try VideoHasher(limits: VideoLimits(maxFramePixels: 1000)).hash(bytes: bytes) }
    #expect(throws: VideoError.self) { try VideoHasher(limits: VideoLimits(maxDurationSeconds: 2)).hash(bytes: bytes) }
    // More frames than may be decoded: refused before libwebp reads them all.
    #expect(throws: VideoError.self) { try VideoHasher(limits: VideoLimits(maxDecodedFrames: 15)).hash(bytes: bytes) }
    // Cut or damaged: a reason or the frames before the damage, never a crash.
    for cut in [21, 40, 100, bytes.count / 3, bytes.count - 10] {
      if let cutVideo = try? VideoHasher().hash(bytes: Array(bytes.prefix(cut))) { #expect(cutVideo.features.count <= 3) }
    }
    var rng = SplitMix64(seed: 31)
    for _ in 0..<8 {
      var damaged = bytes
      for _ in 0..<16 { damaged[30 + Int(rng.next() % UInt64(bytes.count - 30))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
      _ = try? VideoHasher().hash(bytes: damaged)
    }
  }

  /// The frames a report shows for matches are those hashed: read back by number, each
  /// hashes to its feature's hash.
  @Test(arguments: ["testsrc2-h264-g12.mp4", "testsrc2-2997.ts", "testsrc2-anim.webp", "testsrc2-hevc-open.mp4"])
  func framesReadBackAreThoseHashed(name: String) throws {
    let bytes = try VideoFixtures.bytes(name)
    let video = try VideoHasher().hash(bytes: bytes)
    let numbers = Set(video.features.map(\.frameNumber))
    let frames = try VideoHasher().frames(numbers.union([1_000_000]), of: bytes)
    #expect(Set(frames.keys) == numbers)
    var options = HashOptions(pdq: true, phash: false)
    options.grayFromRGB = true
    for feature in video.features {
      var hasher = ImageHasher(options: options)
      let frame = try #require(frames[feature.frameNumber])
      #expect(hasher.hash(frame).pdq?.hash == feature.hash, "\(name) frame \(feature.frameNumber)")
    }
  }

  /// vPDQ's step is ⌊seconds × rate⌋: 29 frames at 29.97 fps, 23 at 23.976, every frame at 0 s.
  @Test func frameStepTruncatesAsVPDQ() throws {
    #expect(VideoHasher.frameStep(secondsPerHash: 1, frameRate: 30000.0 / 1001) == 29)
    #expect(VideoHasher.frameStep(secondsPerHash: 1, frameRate: 24000.0 / 1001) == 23)
    #expect(VideoHasher.frameStep(secondsPerHash: 0, frameRate: 30) == 1)
    #expect(VideoHasher.frameStep(secondsPerHash: 2.5, frameRate: 10) == 25)
    #expect(VideoHasher.frameStep(secondsPerHash: .infinity, frameRate: 10) == 1)
    let ts = try VideoHasher().hash(bytes: VideoFixtures.bytes("testsrc2-2997.ts"))
    #expect(ts.features.map(\.frameNumber) == [0, 29, 58, 87, 116])
    #expect(String(format: "%.3f", ts.features[1].timestamp) == "0.968")
  }

  /// Every frame hashed with seconds-per-hash 0.
  @Test func everyFrame() throws {
    let video = try VideoHasher(secondsPerHash: 0).hash(bytes: VideoFixtures.bytes("testsrc2.gif"))
    #expect(video.features.count == video.framesDecoded && video.framesDecoded == 30)
  }
}

@Suite struct VideoLimitsTests {
  @Test func eachLimitGivesItsReason() throws {
    let bytes = try VideoFixtures.bytes("testsrc2-h264.mp4")
    var limits = VideoLimits()
    limits.maxDurationSeconds = 2
    #expect(throws: VideoError.tooLong(seconds: 5, limit: 2)) { try VideoHasher(limits: limits).hash(bytes: bytes) }
    limits = VideoLimits()
    limits.maxFramePixels = 320 * 239
    #expect(throws: VideoError.frameTooLarge(width: 320, height: 240, limit: 320 * 239)) {
      try VideoHasher(limits: limits).hash(bytes: bytes)
    }
    limits = VideoLimits()
    limits.maxHashedFrames = 2
    let two = try VideoHasher(limits: limits).hash(bytes: bytes)
    #expect(two.features.count == 2 && two.stoppedEarly?.contains("--max-hashed-frames") == true)
    limits = VideoLimits()
    limits.maxSeconds = 1e-9
    #expect(throws: VideoError.timedOut(seconds: 1e-9)) { try VideoHasher(limits: limits).hash(bytes: bytes) }
  }
}

@Suite struct HostileVideoTests {
  /// Nothing that is not a video container is opened as one: empty data, random bytes,
  /// an image, and text formats FFmpeg would follow to other files (a playlist, a concat
  /// list naming /etc/passwd).
  @Test func notVideosAreRefused() throws {
    var rng = SplitMix64(seed: 12)
    let inputs: [(String, [UInt8])] = [
      ("empty", []),
      ("random", (0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) }),
      ("playlist", Array("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n".utf8)),
      ("concat", Array("ffconcat version 1.0\nfile /etc/passwd\n".utf8)),
      ("png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 0, count: 64)),
    ]
    for (name, bytes) in inputs {
      do {
        let video = try VideoHasher().hash(bytes: bytes)
        Issue.record("\(name) opened as a video: \(video.info)")
      } catch {
        guard case .notVideo = error else { Issue.record("\(name): \(error)"); continue }
      }
    }
  }

  /// Truncated anywhere, or with bytes flipped, a video never crashes: it is refused with
  /// a reason or decoded as far as it goes.
  @Test(arguments: ["testsrc2-h264.mp4", "mandelbrot-vp9.webm", "testsrc2-2997.ts", "life-mpeg4.avi"])
  func damagedVideosNeverCrash(name: String) throws {
    let bytes = try VideoFixtures.bytes(name)
    let whole = try VideoHasher().hash(bytes: bytes)
    var rng = SplitMix64(seed: UInt64(bytes.count))
    for cut in [16, 100, 1000, bytes.count / 3, bytes.count / 2, bytes.count - 100] {
      if let video = try? VideoHasher().hash(bytes: Array(bytes.prefix(cut))) {
        #expect(video.features.count <= whole.features.count)
      }
    }
    for _ in 0..<8 {
      var damaged = bytes
      for _ in 0..<32 { damaged[Int(rng.next() % UInt64(damaged.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
      _ = try? VideoHasher().hash(bytes: damaged)
    }
  }

  /// A stretch of garbage the demuxer resynchronises past ends no read with an error, but
  /// the frames it held are missing: the video is marked as stopped early, with why.
  @Test func missingFramesAreNoticed() throws {
    var bytes = try VideoFixtures.bytes("testsrc2-2997.ts")
    var rng = SplitMix64(seed: 70)
    for i in (bytes.count * 2 / 5)..<(bytes.count * 4 / 5) { bytes[i] = UInt8(truncatingIfNeeded: rng.next()) & 0x3F }
    let video = try VideoHasher().hash(bytes: bytes)
    #expect(video.framesDecoded < 120 && video.stoppedEarly?.contains("missing or damaged") == true, "\(video.stoppedEarly ?? "")")
    let whole = try VideoHasher().hash(bytes: VideoFixtures.bytes("testsrc2-2997.ts"))
    #expect(whole.stoppedEarly == nil && whole.framesDecoded == 120)
  }

  /// GIF pictures are counted by their blocks: the animated fixture has several, a
  /// damaged or cut GIF is counted where it breaks, never read past its end.
  @Test func animatedGIFsAreCounted() throws {
    let bytes = try VideoFixtures.bytes("testsrc2.gif")
    #expect(bytes.withUnsafeBytes { AnimatedGIF.imageCount($0, upTo: 100) } == 30)
    #expect(bytes.withUnsafeBytes { AnimatedGIF.imageCount($0) } == 2)
    #expect(bytes.withUnsafeBytes { VideoContainer.video($0) } == .gif)
    for cut in [0, 6, 13, 20, 100, 800, bytes.count / 2] {
      _ = Array(bytes.prefix(cut)).withUnsafeBytes { AnimatedGIF.imageCount($0, upTo: 100) }
    }
    let first = Array(bytes.prefix(bytes.count / 20))
    #expect(first.withUnsafeBytes { AnimatedGIF.imageCount($0, upTo: 100) } <= 2)
    #expect(Array("not a gif".utf8).withUnsafeBytes { AnimatedGIF.imageCount($0) } == 0)
  }
}
