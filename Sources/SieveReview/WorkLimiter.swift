import Dispatch

/// At most `width` pieces of heavy work (decoding a picture for a thumbnail or a search) at
/// once, so that a page of 200 thumbnails cannot decode 200 pictures in memory together;
/// the others wait their turn, in order. The work runs on Dispatch's threads, never on the
/// Swift concurrency threads that answer requests, and work whose request went away before
/// its turn is not started.
actor WorkLimiter {
  private let width: Int
  private var running = 0
  private var waiting: [CheckedContinuation<Void, Never>] = []

  init(width: Int) {
    self.width = max(1, width)
  }

  /// Runs `work` on a Dispatch thread when a place is free.
  nonisolated func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    await acquire()
    do {
      try Task.checkCancellation()
      let value = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        DispatchQueue.global(qos: .userInitiated).async { continuation.resume(with: Result { try work() }) }
      }
      await release()
      return value
    } catch {
      await release()
      throw error
    }
  }

  private func acquire() async {
    if running < width {
      running += 1
      return
    }
    await withCheckedContinuation { waiting.append($0) }
  }

  private func release() {
    if waiting.isEmpty {
      running -= 1
    } else {
      waiting.removeFirst().resume()
    }
  }
}
