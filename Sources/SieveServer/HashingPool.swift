import Foundation
import SieveCore
import NIOCore
import SieveHashing
import SieveImaging
import SievePipeline
import SieveVideo

/// The bounded pool that decodes and hashes uploads: one thread per worker (by default
/// one per core), off the event loops, each with its own reusable ``ImageHasher``.
///
/// A request takes an ``Admission`` before it reads its body: at most `workers +
/// queueDepth` are admitted at once (running, waiting, or reading their bodies), and one more
/// is refused at once with ``HashingPool/Busy`` (the service answers 503 with Retry-After),
/// so request bodies never pile up in memory. Decoding memory is reserved from a
/// ``MemoryBudget`` before each image is decoded, from its header, so a few huge images
/// run one at a time.
final class HashingPool: Sendable {
  /// The pool is full: `workers` are running and `queueDepth` more are waiting.
  struct Busy: Error {
    var workers: Int
    var queueDepth: Int
  }

  /// What a worker thread owns.
  struct Worker {
    /// The shared way from bytes to hashes, within the pool's memory budget.
    var pipeline: ImagePipeline
  }

  typealias Job = @Sendable (inout Worker) -> Void

  private struct State {
    /// Jobs not yet taken; a taken slot is set to nil at once, so nothing a finished job
    /// captured (a request body, a snapshot of the sets) outlives it.
    var queue: [Job?] = []
    var head = 0
    var running = 0
    var admitted = 0
    var waiting: Int { queue.count - head }
  }

  /// A place in the pool, taken before the body is read and given back when the job ends
  /// (or when the request fails before it runs one).
  final class Admission: Sendable {
    private let pool: HashingPool
    private let released = Locked(false)

    fileprivate init(pool: HashingPool) {
      self.pool = pool
    }

    /// Gives the place back; later calls do nothing.
    func release() {
      let first = released.withLock { value -> Bool in
        defer { value = true }
        return !value
      }
      if first { pool.state.withLock { $0.admitted -= 1 } }
    }

    deinit { release() }
  }

  let workers: Int
  let queueDepth: Int
  let limits: DecodingLimits
  let budget: MemoryBudget
  private let state = Locked(State())
  private let condition = NSCondition()

  /// What of each upload is hashed for PDQ matching.
  let strategy: MatchStrategy
  /// How uploaded videos are hashed; nil: videos are refused.
  let video: VideoHasher?

  /// A video upload that could not be hashed (the service answers 422 with the reason).
  struct VideoRefused: Error {
    var reason: String
  }

  init(
    workers: Int, queueDepth: Int, limits: DecodingLimits, memoryBudget: Int, strategy: MatchStrategy = .default,
    video: VideoHasher? = nil
  ) {
    self.strategy = strategy
    self.video = video
    self.workers = max(1, workers)
    self.queueDepth = max(0, queueDepth)
    self.limits = limits
    self.budget = MemoryBudget(capacity: max(1, memoryBudget))
    for n in 0..<self.workers {
      let thread = Thread { [self] in self.work() }
      thread.name = "sieve-hash-\(n)"
      thread.stackSize = 8 << 20
      thread.start()
    }
  }

  /// Jobs waiting and running now.
  var load: (waiting: Int, running: Int) {
    state.withLock { ($0.waiting, $0.running) }
  }

  /// Takes a place, or throws ``Busy`` at once when `workers + queueDepth` are taken.
  func admit() throws(Busy) -> Admission {
    let capacity = workers + queueDepth
    let admitted = state.withLock { state -> Bool in
      guard state.admitted < capacity else { return false }
      state.admitted += 1
      return true
    }
    guard admitted else { throw Busy(workers: workers, queueDepth: queueDepth) }
    return Admission(pool: self)
  }

  /// Runs `job` on a worker and returns its result, taking a place first.
  ///
  /// - Throws: ``Busy`` at once when the pool is full; else what `job` throws.
  func run<T: Sendable>(_ job: @escaping @Sendable (inout Worker) throws -> T) async throws -> T {
    try await run(admission: try admit(), job)
  }

  /// Runs `job` on a worker in the place `admission` holds, and gives the place back.
  func run<T: Sendable>(admission: Admission, _ job: @escaping @Sendable (inout Worker) throws -> T) async throws -> T {
    defer { admission.release() }
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
      state.withLock { state in
        state.queue.append { worker in continuation.resume(with: Result { try job(&worker) }) }
      }
      condition.lock()
      condition.signal()
      condition.unlock()
    }
  }

  /// Decodes and hashes `bytes` (PDQ with its 8 orientations, pHash, and the MD5, SHA-1 and
  /// SHA-256 of the bytes), within the limits and the memory budget, then runs `then` on
  /// the hashes on the same worker (matching an upload is CPU work too: eight PDQ queries).
  func hash<T: Sendable>(
    _ bytes: ByteBuffer, admission: Admission, then: @escaping @Sendable (UploadHashes) -> T
  ) async throws -> (UploadHashes, T) {
    try await run(admission: admission) { worker in
      let upload = try bytes.withUnsafeReadableBytes { raw in
        // A video by its first bytes (never a picture's): hashed as vPDQ does, within the
        // video limits.
        if let container = VideoContainer.video(raw), container != .gif || self.video != nil {
          guard let video = self.video else { throw VideoRefused(reason: "this service does not take videos") }
          do {
            let hashes = try video.hash(raw)
            let size = ImageHashes(pdq: nil, pdqMode: .fullResolution, phash: nil, width: hashes.info.width, height: hashes.info.height)
            return UploadHashes(image: size, digests: FileDigests(of: raw), video: hashes)
          } catch {
            // An animated GIF FFmpeg cannot take is still a picture.
            if container != .gif { throw VideoRefused(reason: "\(error)") }
          }
        }
        return UploadHashes(image: try worker.pipeline.hash(raw).hashes, digests: FileDigests(of: raw))
      }
      return (upload, then(upload))
    }
  }

  static func makeHasher(_ limits: DecodingLimits, strategy: MatchStrategy) -> ImageHasher {
    ImageHasher(decoder: ImageDecoder(limits: limits), options: strategy.applied(to: HashOptions()))
  }

  private func work() {
    var worker = Worker(pipeline: ImagePipeline(hasher: Self.makeHasher(limits, strategy: strategy), budget: budget))
    while true {
      condition.lock()
      var job: Job?
      while job == nil {
        job = state.withLock { state -> Job? in
          guard state.waiting > 0 else { return nil }
          let next = state.queue[state.head]
          state.queue[state.head] = nil
          state.head += 1
          if state.head == state.queue.count {
            state.queue.removeAll(keepingCapacity: true)
            state.head = 0
          } else if state.head > 64 && state.head * 2 > state.queue.count {
            state.queue.removeFirst(state.head)
            state.head = 0
          }
          state.running += 1
          return next
        }
        if job == nil { condition.wait() }
      }
      condition.unlock()
      job!(&worker)
      state.withLock { $0.running -= 1 }
    }
  }
}

/// The hashes of one upload.
struct UploadHashes: Sendable {
  /// A picture's hashes (a video's: none, its size only).
  var image: ImageHashes
  var digests: FileDigests
  /// A video's features, when the upload was a video.
  var video: VideoHashes?
}
