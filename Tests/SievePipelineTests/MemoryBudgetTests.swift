import Dispatch
import Foundation
import SievePipeline
import Testing

@Suite struct MemoryBudgetTests {
  /// Counts bytes actually in use, from the workers' side.
  final class Meter: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var inUse = 0
    private(set) var worst = 0
    private(set) var oversizedWithOthers = false

    func enter(_ size: Int, capacity: Int) {
      lock.lock()
      inUse += size
      if size > capacity && inUse != size { oversizedWithOthers = true }
      worst = max(worst, inUse)
      lock.unlock()
    }

    func leave(_ size: Int) {
      lock.lock()
      inUse -= size
      lock.unlock()
    }
  }

  @Test func reservationsNeverExceedCapacityUnlessAlone() {
    let budget = MemoryBudget(capacity: 100)
    let meter = Meter()
    DispatchQueue.concurrentPerform(iterations: 200) { i in
      let size = i % 10 == 0 ? 150 : 10 + (i * 7) % 50
      budget.reserve(size)
      meter.enter(size, capacity: 100)
      usleep(200)
      meter.leave(size)
      budget.release(size)
    }
    // Only an oversized reservation (150), alone, may exceed the capacity.
    #expect(meter.worst <= 150)
    #expect(!meter.oversizedWithOthers)
    #expect(budget.peakReserved <= 150)
  }
}
