#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Long, bulk work (reading a set's file, copying its tables) done in short slices with
/// pauses between them, so that it takes the cores from latency-sensitive threads only
/// briefly at a time.
///
/// A service reloading a 1M-entry set spends about 0.1–0.3 s checking and copying it. Run
/// straight, that thread shares two cores with the event loops for as long, in slices of
/// several milliseconds: requests that wait behind it took up to 3 ms longer (p99 of
/// hash-only `/v1/match` rose by about 2 ms while reloading). With pacing, the work runs
/// at most ``slice`` at a time, then sleeps ``pause``: a request waits behind it for at
/// most that slice, and the reload takes about twice as long.
///
/// Pacing is set for the work one thread does inside ``run(_:)``; the loops that do bulk
/// work call ``step()`` between chunks, which costs a clock read when no pacing is set.
public struct Pacing: Sendable {
  /// The longest the work runs between pauses.
  public var slice: Duration
  /// How long each pause is.
  public var pause: Duration

  public init(slice: Duration, pause: Duration) {
    self.slice = slice
    self.pause = pause
  }

  /// Half a millisecond of work, then half a millisecond of rest.
  public static let background = Pacing(slice: .microseconds(500), pause: .microseconds(500))

  /// The bytes a bulk loop should handle between calls to ``step()``.
  public static let chunkBytes = 64 << 10

  /// Runs `body` on this thread with `pacing` in force for the ``step()`` calls it makes;
  /// nil: no pacing (even inside another run). The pacing before is restored after.
  public static func run<T, E: Error>(_ pacing: Pacing?, _ body: () throws(E) -> T) throws(E) -> T {
    let state = pacing.map { State(pacing: $0, sliceStart: now()) }
    let previous = pthread_getspecific(key)
    pthread_setspecific(key, state.map { UnsafeRawPointer(Unmanaged.passUnretained($0).toOpaque()) })
    defer {
      pthread_setspecific(key, previous)
      withExtendedLifetime(state) {}
    }
    return try body()
  }

  /// Called by bulk loops between chunks: pauses when this thread's pacing says so.
  @inline(__always)
  public static func step() {
    guard let raw = pthread_getspecific(key) else { return }
    Unmanaged<State>.fromOpaque(raw).takeUnretainedValue().step()
  }

  private final class State {
    let sliceNanoseconds: UInt64
    let pauseNanoseconds: UInt64
    var sliceStart: UInt64

    init(pacing: Pacing, sliceStart: UInt64) {
      sliceNanoseconds = Self.nanoseconds(pacing.slice)
      pauseNanoseconds = Self.nanoseconds(pacing.pause)
      self.sliceStart = sliceStart
    }

    func step() {
      guard Pacing.now() &- sliceStart >= sliceNanoseconds else { return }
      var wait = timespec(tv_sec: Int(pauseNanoseconds / 1_000_000_000), tv_nsec: Int(pauseNanoseconds % 1_000_000_000))
      var left = timespec()
      while nanosleep(&wait, &left) != 0 && errno == EINTR { wait = left }
      sliceStart = Pacing.now()
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
      let (seconds, attoseconds) = duration.components
      return UInt64(clamping: max(0, seconds)) &* 1_000_000_000 &+ UInt64(clamping: max(0, attoseconds / 1_000_000_000))
    }
  }

  private static func now() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
  }

  private static let key: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
  }()
}

extension UnsafeMutableRawPointer {
  /// Copies `byteCount` bytes from `source` in chunks, calling ``Pacing/step()`` between
  /// them.
  public func pacedCopyMemory(from source: UnsafeRawPointer, byteCount: Int) {
    var done = 0
    while done < byteCount {
      let n = min(Pacing.chunkBytes, byteCount - done)
      (self + done).copyMemory(from: source + done, byteCount: n)
      done += n
      Pacing.step()
    }
  }
}
