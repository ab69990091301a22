import Foundation
import NIOCore
import SieveHashing
import SieveImaging
import SievePipeline

/// The bounded pool that decodes and hashes uploads: one thread per worker (by default
/// one per core), off the event loops, each with its own reusable ``ImageHasher``.
///
/// At most `queueDepth` jobs wait; one more is refused at once with
/// ``HashingPool/Busy`` (the service answers 503 with Retry-After) instead of piling up
/// request bodies in memory. Decoding memory is reserved from a ``MemoryBudget`` before
/// each image is decoded, from its header, so a few huge images run one at a time.
final class HashingPool: Sendable {
  /// The queue is full.
  struct Busy: Error {}

  /// What a worker thread owns.
  struct Worker {
    var hasher: ImageHasher
  }

  private struct State {
    var queue: [@Sendable (inout Worker) -> Void] = []
    var head = 0
    var running = 0
    var waiting: Int { queue.count - head }
  }

  let workers: Int
  let queueDepth: Int
  let limits: DecodingLimits
  let budget: MemoryBudget
  private let state = LockedValue(State())
  private let condition = NSCondition()

  init(workers: Int, queueDepth: Int, limits: DecodingLimits, memoryBudget: Int) {
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

  /// Runs `job` on a worker and returns its result.
  ///
  /// - Throws: ``Busy`` at once when `queueDepth` jobs are already waiting; else what
  ///   `job` throws.
  func run<T: Sendable>(_ job: @escaping @Sendable (inout Worker) throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
      let accepted = state.withLock { state -> Bool in
        guard state.waiting < queueDepth || (state.waiting == 0 && state.running < workers) else { return false }
        state.queue.append { worker in continuation.resume(with: Result { try job(&worker) }) }
        return true
      }
      if accepted {
        condition.lock()
        condition.signal()
        condition.unlock()
      } else {
        continuation.resume(throwing: Busy())
      }
    }
  }

  /// Decodes and hashes `bytes` (PDQ with its 8 orientations, pHash, and the MD5, SHA-1 and
  /// SHA-256 of the bytes), within the limits and the memory budget.
  func hash(_ bytes: ByteBuffer) async throws -> UploadHashes {
    let budget = budget
    let limits = limits
    return try await run { worker in
      try bytes.withUnsafeReadableBytes { raw in
        let header = try worker.hasher.decoder.header(of: raw)
        try limits.check(header)
        let reservation = BatchHasher.estimatedBytes(for: header, options: worker.hasher.options)
        budget.reserve(reservation)
        defer { budget.release(reservation) }
        let hashes = try worker.hasher.hash(raw).hashes
        if header.width * header.height > 16_000_000 {
          // Do not keep a huge scratch buffer alive between requests.
          worker.hasher = Self.makeHasher(limits)
        }
        return UploadHashes(image: hashes, digests: FileDigests(of: raw))
      }
    }
  }

  static func makeHasher(_ limits: DecodingLimits) -> ImageHasher {
    ImageHasher(decoder: ImageDecoder(limits: limits), options: HashOptions(dihedral: true))
  }

  private func work() {
    var worker = Worker(hasher: Self.makeHasher(limits))
    while true {
      condition.lock()
      var job: (@Sendable (inout Worker) -> Void)?
      while job == nil {
        job = state.withLock { state -> (@Sendable (inout Worker) -> Void)? in
          guard state.waiting > 0 else { return nil }
          let next = state.queue[state.head]
          state.head += 1
          if state.head > 64 && state.head * 2 > state.queue.count {
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
  var image: ImageHashes
  var digests: FileDigests
}
