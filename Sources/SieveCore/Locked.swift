import Synchronization

/// A value shared between threads behind a `Synchronization.Mutex`: Sieve's one lock type.
/// A class, so that the workers, the event loops and the handlers that share a value all
/// hold the same one.
///
/// ```swift
/// let count = Locked(0)
/// count.withLock { $0 += 1 }
/// ```
public final class Locked<Value>: Sendable {
  private let mutex: Mutex<Value>

  public init(_ value: sending Value) {
    mutex = Mutex(value)
  }

  /// Runs `body` with the value locked.
  public func withLock<T, E: Error>(_ body: (inout sending Value) throws(E) -> sending T) throws(E) -> sending T {
    try mutex.withLock(body)
  }
}

extension Locked where Value: Sendable {
  /// A copy of the value.
  public var current: Value { withLock { $0 } }
}
