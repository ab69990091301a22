import Dispatch
import SieveCore
import SieveHashing
import SieveImaging

#if canImport(Glibc)
import Glibc
#endif

extension VideoHasher {
  /// Hashes `reader`'s video stretch by stretch (see ``VideoStretch``): a stretch holding no
  /// frame to hash is skipped undecoded, a stretch is decoded only as far as its last frame to
  /// hash, and stretches are decoded on `workers` threads at once, each with a decoder of its
  /// own. Every frame decoded is checked against the stretch's timing; nil when the video
  /// turns out not to be cut cleanly (hash it in one pass instead, from the start).
  func hashInStretches(_ reader: VideoReader, step: Int, workers: Int) throws(VideoError) -> VideoHashes? {
    let info = reader.info
    // Frames numbered from `end` on are not hashed: the limits on frames decoded and hashed.
    let hashedEnd = limits.maxHashedFrames.multipliedReportingOverflow(by: step)
    let end = min(limits.maxDecodedFrames, hashedEnd.overflow ? Int.max : hashedEnd.partialValue)
    let run = StretchRun(workers: max(1, workers), makeHasher: frameHasher)
    var frames = 0
    var stopped: String?
    reading: while !run.hasFailed {
      let next: VideoReader.NextStretch
      do {
        next = try reader.nextStretch()
      } catch {
        run.fail(error)
        break
      }
      switch next {
      case .end:
        break reading
      case .unsegmentable(let why):
        run.fallBack(why)
        break reading
      case .stretch(let stretch):
        frames = stretch.firstFrame + stretch.frameCount
        if stretch.holdsSample(step: step, below: end) {
          // A stretch decoded far is decoded with frame threads too (a stretch
          // can be most of a video); a frame or two without (threads only add delay).
          let threads = workers > 1 && stretch.packetsNeeded(step: step, end: end) > 2 * workers ? Self.frameThreads(workers) : 1
          run.submit(threads: threads) { (decoder, hasher) throws(VideoError) in
            try Self.hash(stretch, step: step, end: end, frameRate: info.frameRate, decoder: decoder, hasher: &hasher)
          } makeDecoder: { () throws(VideoError) in
            try reader.makeStretchDecoder(threads: threads)
          }
        }
        if frames >= end {
          frames = end
          stopped = limitReached(decoded: end, hashed: limits.maxHashedFrames, sampled: true)
          break reading
        }
      }
    }
    let outcome = run.finish()
    switch outcome.failure {
    case .fallBack?:
      return nil
    case .error(let error)?:
      if case .timedOut = error {
        // As in one pass: the frames hashed before the limit are kept.
        guard !outcome.features.isEmpty else { throw error }
        stopped = error.description
      } else {
        throw error
      }
    case nil:
      break
    }
    if stopped == nil, let damage = reader.readError { stopped = "\(damage) after \(frames) frames" }
    var hashes = try finished(info: info, features: outcome.features, decoded: frames, badPackets: 0, stopped: stopped, inStretches: true)
    hashes.variants = outcome.variants
    return hashes
  }

  /// The frame threads of a stretch decoder decoding far, beside `workers` decoders: as
  /// many as the workers, at most 4.
  static func frameThreads(_ workers: Int) -> Int { min(max(1, workers), 4) }

  /// Hashes the wanted frames of one stretch.
  private static func hash(
    _ stretch: VideoStretch, step: Int, end: Int, frameRate: Double, decoder: StretchDecoder, hasher: inout ImageHasher
  ) throws(VideoError) -> StretchRun.Result {
    guard try decoder.begin(stretch, step: step, end: end) else { return .features([], []) }
    var features: [VPDQFeature] = []
    var variants: [VPDQVariant] = []
    while true {
      switch try decoder.next() {
      case .end:
        return .features(features, variants)
      case .unsegmentable(let why):
        return .unsegmentable(why)
      case .frame(let number, let frame):
        guard number < end, let rgb = frame.rgb else { continue }
        let image = PixelImage(width: frame.width, height: frame.height, layout: .rgb, pixels: rgb)
        if let (feature, frameVariants) = feature(of: image, number: number, frameRate: frameRate, hasher: &hasher) {
          features.append(feature)
          variants += frameVariants
        }
      }
    }
  }
}

/// The stretches of one video in flight: at most `workers` decoded at once, each by a
/// worker's own decoder and hasher, their features gathered back in the video's order.
/// One worker runs everything on the calling thread.
private final class StretchRun: @unchecked Sendable {
  enum Result {
    case features([VPDQFeature], [VPDQVariant])
    case unsegmentable(String)
  }

  enum Failure {
    case fallBack(String)
    case error(VideoError)
  }

  /// A decoder (remade when a stretch wants other threads) and a hasher, used by one
  /// stretch at a time.
  final class Worker: @unchecked Sendable {
    var decoder: StretchDecoder?
    var threads = 0
    var hasher: ImageHasher

    init(hasher: ImageHasher) { self.hasher = hasher }
  }

  private struct State {
    var idle: [Worker] = []
    var results: [Int: ([VPDQFeature], [VPDQVariant])] = [:]
    var failure: Failure?
    var nextIndex = 0
  }

  private let workers: Int
  private let makeHasher: () -> ImageHasher
  private let state = Locked(State())
  private let slots: DispatchSemaphore
  private let group = DispatchGroup()

  init(workers: Int, makeHasher: @escaping () -> ImageHasher) {
    self.workers = workers
    self.makeHasher = makeHasher
    slots = DispatchSemaphore(value: workers)
  }

  var hasFailed: Bool { state.withLock { $0.failure != nil } }

  func fail(_ error: VideoError) { state.withLock { if $0.failure == nil { $0.failure = .error(error) } } }

  func fallBack(_ why: String) { state.withLock { if $0.failure == nil { $0.failure = .fallBack(why) } } }

  /// Hashes the next stretch with `work` on a worker (made by `makeDecoder` the first time
  /// it is needed); waits for a free worker first.
  func submit(
    threads: Int,
    _ work: @escaping @Sendable (StretchDecoder, inout ImageHasher) throws(VideoError) -> Result,
    makeDecoder: () throws(VideoError) -> StretchDecoder
  ) {
    let index = state.withLock { s -> Int in
      defer { s.nextIndex += 1 }
      return s.nextIndex
    }
    slots.wait()
    let worker = state.withLock { $0.idle.popLast() } ?? Worker(hasher: makeHasher())
    let decoder: StretchDecoder
    do throws(VideoError) {
      if let made = worker.decoder, worker.threads == threads {
        decoder = made
      } else {
        worker.decoder = nil
        decoder = try makeDecoder()
        worker.decoder = decoder
        worker.threads = threads
      }
    } catch {
      // A decoder that will not open strictly (damage in the stream's own parameters,
      // which a lenient decoder passes over) is one more reason for one pass.
      state.withLock { $0.idle.append(worker) }
      slots.signal()
      if case .outOfMemory = error { fail(error) } else { fallBack("\(error)") }
      return
    }
    let body: @Sendable () -> Void = { [self] in
      let result: Result
      do throws(VideoError) {
        result = try work(decoder, &worker.hasher)
      } catch {
        fail(error)
        state.withLock { $0.idle.append(worker) }
        slots.signal()
        return
      }
      state.withLock {
        switch result {
        case .features(let features, let variants): $0.results[index] = (features, variants)
        case .unsegmentable(let why): if $0.failure == nil { $0.failure = .fallBack(why) }
        }
        $0.idle.append(worker)
      }
      slots.signal()
    }
    if workers == 1 {
      body()
    } else {
      DispatchQueue.global().async(group: group, execute: body)
    }
  }

  /// Waits for every stretch; the features of the stretches hashed, in order, up to the
  /// first that was not.
  func finish() -> (features: [VPDQFeature], variants: [VPDQVariant], failure: Failure?) {
    group.wait()
    return state.withLock { s in
      var features: [VPDQFeature] = []
      var variants: [VPDQVariant] = []
      var index = 0
      while let some = s.results[index] {
        features += some.0
        variants += some.1
        index += 1
      }
      let complete = index == s.nextIndex
      let failure = s.failure ?? (complete ? nil : .fallBack("a stretch was not hashed"))
      return (features, variants, failure)
    }
  }
}
