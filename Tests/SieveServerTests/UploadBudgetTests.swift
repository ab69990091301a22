import Testing

@testable import SieveServer

/// The body budget: shared, never blocking, and no owner may hold more than its share.
@Suite struct UploadBudgetTests {
  @Test func oneOwnerCannotTakeTheWholeBudget() {
    let budget = UploadBudget(capacity: 1000)
    // Bodies of at most 100 bytes: an owner's share is a quarter, 250 bytes.
    let greedy = (0..<5).map { _ in UploadBudget.Reservation(budget: budget, owner: "key a", limit: 100) }
    let granted = greedy.map { $0.grow(by: 100) }
    #expect(granted == [true, true, false, false, false])
    #expect(budget.inUse == 200)
    // Others are still served, up to the whole budget.
    let others = (0..<8).map { i in UploadBudget.Reservation(budget: budget, owner: "key \(i)", limit: 100) }
    #expect(others.map { $0.grow(by: 100) }.filter { $0 }.count == 8)
    #expect(budget.inUse == 1000)
    #expect(!UploadBudget.Reservation(budget: budget, owner: "key z", limit: 100).grow(by: 1))
    // Released, once.
    greedy[0].release()
    greedy[0].release()
    #expect(budget.inUse == 900)
    #expect(greedy[2].grow(by: 100))
  }

  /// One largest body always fits an owner's share, however small the quarter.
  @Test func anOwnersShareHoldsOneLargestBody() {
    let budget = UploadBudget(capacity: 100)
    #expect(budget.ownerCapacity(limit: 80) == 80)
    #expect(UploadBudget.Reservation(budget: budget, owner: "a", limit: 80).grow(by: 80))
  }
}
