#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SieveSystem
import SieveTestSupport
import Testing

/// Blocking calls interrupted by a signal (as the service's are by SIGHUP) go on instead
/// of failing with EINTR: a thread blocked in `open` of a FIFO and in `flock` is sent
/// SIGUSR1, whose handler is installed without SA_RESTART, twenty times.
@Suite(.serialized) struct InterruptedCallTests {
  /// Installs a do-nothing SIGUSR1 handler without SA_RESTART, so that a blocked call
  /// returns EINTR when the signal arrives.
  static let handlerInstalled: Bool = {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    return sigaction(SIGUSR1, &action, nil) == 0
  }()

  /// Runs `blocking` on a thread of its own, signals that thread 20 times, then calls
  /// `release` (which lets the blocking call finish) and returns what the call threw.
  static func interrupt(_ blocking: @escaping @Sendable () throws -> Void, release: () throws -> Void) throws -> (any Error)? {
    #expect(handlerInstalled)
    let thread = Locked<pthread_t?>(nil)
    let outcome = Locked<Result<Void, any Error>?>(nil)
    let worker = Thread {
      // Threads made from the test runner's (Dispatch) threads start with every signal
      // blocked: this one takes SIGUSR1.
      var signals = sigset_t()
      sigemptyset(&signals)
      sigaddset(&signals, SIGUSR1)
      pthread_sigmask(SIG_UNBLOCK, &signals, nil)
      thread.set(pthread_self())
      outcome.set(Result { try blocking() })
    }
    worker.start()
    while thread.get() == nil { usleep(1000) }
    usleep(20_000)  // into the blocking call
    for _ in 0..<20 {
      if outcome.get() != nil { break }
      pthread_kill(thread.get()!, SIGUSR1)
      usleep(5_000)
    }
    try release()
    let deadline = Date().addingTimeInterval(10)
    while outcome.get() == nil && Date() < deadline { usleep(1000) }
    switch try #require(outcome.get()) {
    case .success: return nil
    case .failure(let error): return error
    }
  }

  @Test func openOfAFIFOGoesOnAfterSignals() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let fifo = dir.path + "/fifo"
    #expect(mkfifo(fifo, 0o600) == 0)
    // open(O_RDONLY) of a FIFO blocks until a writer opens it.
    let error = try Self.interrupt({ _ = try OpenFile(fifo) }) {
      let writer = open(fifo, O_WRONLY | O_NONBLOCK)
      #expect(writer >= 0)
      close(writer)
    }
    #expect(error == nil, "\(String(describing: error))")
  }

  @Test func flockGoesOnAfterSignals() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("lock", [])
    let holder = try OpenFile(path)
    try holder.lockExclusively()
    let waiter = try OpenFile(path)
    let error = try Self.interrupt({ try waiter.lockExclusively() }) {
      #expect(flock(holder.descriptor, LOCK_UN) == 0)
    }
    #expect(error == nil, "\(String(describing: error))")
  }
}

/// A value behind a lock, for the test threads.
final class Locked<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var value: Value
  init(_ value: Value) { self.value = value }
  func get() -> Value { lock.lock(); defer { lock.unlock() }; return value }
  func set(_ newValue: Value) { lock.lock(); value = newValue; lock.unlock() }
}
