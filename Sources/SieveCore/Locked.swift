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
  // Inlinable, so that callers in other modules get a copy specialized for their value:
  // called through the generic entry point, each use looked up the type's metadata at
  // run time (about 1 % of the service's CPU).
  @usableFromInline let mutex: Mutex<Value>

  public init(_ value: sending Value) {
    mutex = Mutex(value)
  }

  /// Runs `body` with the value locked.
  @inlinable
  public func withLock<T, E: Error>(_ body: (inout sending Value) throws(E) -> sending T) throws(E) -> sending T {
    try mutex.withLock(body)
  }
}

extension Locked where Value: Sendable {
  /// A copy of the value.
  @inlinable
  public var current: Value { withLock { $0 } }
}
