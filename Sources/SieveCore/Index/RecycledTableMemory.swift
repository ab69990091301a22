import Dispatch

/// Large index-table buffers kept after their tables are freed, for the next tables of
/// about the same size.
///
/// A service that reloads a set copies its prebuilt tables into fresh memory each time
/// (``MultiIndexTables/init(copying:)``). Fresh memory costs far more than the copy: the
/// kernel zeroes every page on first touch, and under a hypervisor that reclaims freed
/// guest memory, each page is faulted in by the host as well. Profiling a reload of a
/// 1M-entry PDQ set on an idle service, two thirds of its time went to zeroing new huge
/// pages. The set being replaced frees tables of the same size a moment later; kept here,
/// they take the next reload's copy instead.
///
/// Only buffers of at least ``minimumBytes`` are kept, at most ``limit`` bytes in all and
/// each for about ``keptFor`` (a timer frees it then, whether or not the pool is used
/// again); a buffer is reused for a request between its size and a quarter less.
/// Thread-safe.
final class RecycledTableMemory: Sendable {
  /// The process-wide instance: up to 1 GiB (the service's tables copied into memory are
  /// at most that much a set), each buffer for up to two minutes.
  static let shared = RecycledTableMemory(limit: 1 << 30, keptFor: .seconds(120))

  /// Buffers smaller than this are freed at once: reusing them saves little.
  static let minimumBytes = 8 << 20

  /// The alignment every buffer is allocated with.
  static let alignment = 64

  private struct Kept {
    var address: UInt
    var capacity: Int
    var freedAt: ContinuousClock.Instant
  }

  let limit: Int
  let keptFor: Duration
  private let kept = Locked<[Kept]>([])

  init(limit: Int, keptFor: Duration) {
    self.limit = limit
    self.keptFor = keptFor
  }

  /// A buffer of at least `byteCount` bytes (64-byte aligned) and its capacity: a kept one
  /// when one fits, else newly allocated. Its contents are undefined.
  func take(byteCount: Int) -> (pointer: UnsafeMutableRawPointer, capacity: Int) {
    let wanted = max(byteCount, 8)
    if wanted >= Self.minimumBytes {
      let (found, expired) = kept.withLock { buffers -> (Kept?, [Kept]) in
        let expired = dropExpired(&buffers)
        let fitting = buffers.indices.filter { buffers[$0].capacity >= wanted && buffers[$0].capacity - wanted <= buffers[$0].capacity / 4 }
        guard let best = fitting.min(by: { buffers[$0].capacity < buffers[$1].capacity }) else { return (nil, expired) }
        return (buffers.remove(at: best), expired)
      }
      Self.free(expired)
      if let found { return (UnsafeMutableRawPointer(bitPattern: found.address)!, found.capacity) }
    }
    return (UnsafeMutableRawPointer.allocate(byteCount: wanted, alignment: Self.alignment), wanted)
  }

  /// Takes back a buffer from ``take(byteCount:)``: kept for reuse, or freed.
  func give(_ pointer: UnsafeMutableRawPointer, capacity: Int) {
    guard capacity >= Self.minimumBytes, capacity <= limit else {
      pointer.deallocate()
      return
    }
    let entry = Kept(address: UInt(bitPattern: pointer), capacity: capacity, freedAt: .now)
    let dropped = kept.withLock { buffers -> [Kept] in
      var dropped = dropExpired(&buffers)
      buffers.append(entry)
      // Over the limit: the oldest go first.
      var total = buffers.reduce(0) { $0 + $1.capacity }
      while total > limit, !buffers.isEmpty {
        total -= buffers[0].capacity
        dropped.append(buffers.removeFirst())
      }
      return dropped
    }
    Self.free(dropped)
    // Freed when its time is up even if nothing is taken or given meanwhile.
    let (seconds, attoseconds) = keptFor.components
    let wait = Int(clamping: seconds) &* 1_000_000_000 &+ Int(attoseconds / 1_000_000_000) &+ 1_000_000
    DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + .nanoseconds(wait)) { self.removeExpired() }
  }

  /// Frees the buffers kept longer than ``keptFor``.
  func removeExpired() {
    Self.free(kept.withLock { dropExpired(&$0) })
  }

  /// Bytes kept now (for tests).
  var keptBytes: Int { kept.withLock { $0.reduce(0) { $0 + $1.capacity } } }

  /// Frees every kept buffer.
  func removeAll() {
    Self.free(kept.withLock { buffers in
      defer { buffers = [] }
      return buffers
    })
  }

  private func dropExpired(_ buffers: inout [Kept]) -> [Kept] {
    let now = ContinuousClock.now
    var expired: [Kept] = []
    buffers.removeAll { buffer in
      guard now - buffer.freedAt > keptFor else { return false }
      expired.append(buffer)
      return true
    }
    return expired
  }

  private static func free(_ buffers: [Kept]) {
    for buffer in buffers { UnsafeMutableRawPointer(bitPattern: buffer.address)!.deallocate() }
  }
}
