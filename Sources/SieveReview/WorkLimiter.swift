/// At most `width` pieces of heavy work (decoding a picture for a thumbnail or a search) at
/// once, so that a page of 200 thumbnails cannot decode 200 pictures in memory together;
/// the others wait their turn, in order.
actor WorkLimiter {
  private let width: Int
  private var running = 0
  private var waiting: [CheckedContinuation<Void, Never>] = []

  init(width: Int) {
    self.width = max(1, width)
  }

  /// Runs `work` off the cooperative threads when a place is free.
  nonisolated func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    await acquire()
    do {
      let value = try await Task.detached(priority: .userInitiated) { try work() }.value
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
