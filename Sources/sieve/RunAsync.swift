import Dispatch
import SieveCore

/// Runs an async server (`serve`, `review`) from a synchronous command until it stops,
/// and returns the error it stopped with, if any.
func runUntilStopped(_ body: @escaping @Sendable () async throws -> Void) -> (any Error)? {
  let done = DispatchSemaphore(value: 0)
  let failure = Locked<(any Error)?>(nil)
  Task {
    do {
      try await body()
    } catch {
      failure.withLock { $0 = error }
    }
    done.signal()
  }
  done.wait()
  return failure.withLock { $0 }
}
