import Foundation

/// A pool of bytes that parallel work reserves before it allocates, so that many
/// large images at once cannot exhaust memory: a reservation waits until the bytes
/// are free. One reservation larger than the whole budget runs when nothing else
/// holds any (alone), so no image under the pixel limit is refused for its size.
public final class MemoryBudget: @unchecked Sendable {
  /// The bytes that may be reserved at once.
  public let capacity: Int
  private let condition = NSCondition()
  private var reserved = 0
  private var peak = 0
  /// First come, first served: a large reservation is not overtaken forever by small ones.
  private var nextTicket = 0
  private var serving = 0

  public init(capacity: Int) {
    precondition(capacity > 0, "a memory budget needs a positive capacity")
    self.capacity = capacity
  }

  /// A default budget: a quarter of physical memory, between 1 and 8 GiB.
  public static var defaultCapacity: Int {
    let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
    return min(max(physical / 4, 1 << 30), 8 << 30)
  }

  /// Blocks until `bytes` can be reserved, then reserves them. Reservations are
  /// granted in the order they were asked for.
  public func reserve(_ bytes: Int) {
    condition.lock()
    let ticket = nextTicket
    nextTicket += 1
    while ticket != serving || (reserved > 0 && reserved + bytes > capacity) {
      condition.wait()
    }
    serving += 1
    reserved += bytes
    peak = max(peak, reserved)
    condition.broadcast()
    condition.unlock()
  }

  /// Returns bytes reserved earlier.
  public func release(_ bytes: Int) {
    condition.lock()
    reserved -= bytes
    condition.broadcast()
    condition.unlock()
  }

  /// The most bytes reserved at once so far.
  public var peakReserved: Int {
    condition.lock()
    defer { condition.unlock() }
    return peak
  }
}
