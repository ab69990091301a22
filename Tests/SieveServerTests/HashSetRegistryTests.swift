import Foundation
import SieveCore
import SieveHashSets
import SieveImaging
import SieveMatching
import SieveTestSupport
import Testing

@testable import SieveServer

@Suite struct HashSetRegistryTests {
  static func randomSet(_ name: String, count: Int, seed: UInt64) -> HashSet {
    var rng = SplitMix64(seed: seed)
    return HashSet(
      name: name,
      entries: (0..<count).map { i in
        HashSetEntry(id: "\(name)-\(i)", label: "example", pdq: PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()))
      })
  }

  @Test func reloadSwapsChangedSetsKeepsUnchangedAndSurvivesBadFiles() async throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let a = dir.path + "/a.sieveset"
    let b = dir.path + "/b.txt"
    let setA = Self.randomSet("a", count: 500, seed: 1)
    try BinaryHashSet.write(setA, to: a)
    let probe = setA.pdqHashes[7]
    try "\(probe.hexString)\n".write(toFile: b, atomically: true, encoding: .utf8)

    let registry = HashSetRegistry(paths: [a, b], textReader: TextHashSetReader(type: .pdq))
    #expect(!registry.snapshot.ready)
    try await registry.loadAll()
    let first = registry.snapshot
    #expect(first.ready && first.generation == 1 && first.sets.map(\.set.name) == ["a", "b.txt"])
    #expect(first.sets[0].format == "sieveset" && first.sets[1].format == "plain")
    #expect(first.matches(for: MatchQuery(pdq: probe)).map(\.set) == ["a", "b.txt"])

    // Nothing changed: same generation, same matcher objects (no index rebuilt).
    var report = await registry.reload()
    #expect(report.unchanged == ["a", "b.txt"] && report.reloaded.isEmpty && report.failed.isEmpty)
    #expect(registry.snapshot.generation == 1)
    #expect(registry.snapshot.sets[0].matcher === first.sets[0].matcher)

    // A changed file is reloaded; the other keeps its index.
    let setA2 = Self.randomSet("a", count: 300, seed: 2)
    try BinaryHashSet.write(setA2, to: a)
    report = await registry.reload()
    #expect(report.reloaded == ["a"] && report.unchanged == ["b.txt"])
    let second = registry.snapshot
    #expect(second.generation == 2 && second.sets[0].set.count == 300 && second.sets[0].checksum != first.sets[0].checksum)
    #expect(second.sets[1].matcher === first.sets[1].matcher)
    // The old snapshot, held by a request in flight, still answers from the old set.
    #expect(first.matches(for: MatchQuery(pdq: probe)).map(\.set) == ["a", "b.txt"])
    #expect(second.matches(for: MatchQuery(pdq: probe)).map(\.set) == ["b.txt"])

    // A corrupt file leaves its old version serving and is reported; a missing file too.
    try Data([0x53, 0x49, 0x45, 0x56, 0x45, 0x53, 0x45, 0x54, 1, 2, 3]).write(to: URL(fileURLWithPath: a))
    try FileManager.default.removeItem(atPath: b)
    report = await registry.reload()
    #expect(report.failed.map(\.path) == [a, b])
    #expect(report.failed.allSatisfy { !$0.error.isEmpty })
    let third = registry.snapshot
    #expect(third.generation == 2 && third.sets.map(\.checksum) == second.sets.map(\.checksum))
  }

  @Test func firstLoadFailureIsAnError() async throws {
    let registry = HashSetRegistry(paths: ["/nonexistent/set.sieveset"])
    await #expect(throws: ServiceError.self) { try await registry.loadAll() }
    #expect(!registry.snapshot.ready)
  }

  @Test func duplicateSetNamesAreRefused() async throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try BinaryHashSet.write(Self.randomSet("same", count: 3, seed: 1), to: dir.path + "/1.sieveset")
    try BinaryHashSet.write(Self.randomSet("same", count: 3, seed: 2), to: dir.path + "/2.sieveset")
    let registry = HashSetRegistry(paths: [dir.path + "/1.sieveset", dir.path + "/2.sieveset"])
    await #expect {
      try await registry.loadAll()
    } throws: { error in
      "\(error)".contains("a set named same is already loaded")
    }
  }

  /// A negative list (known false matches) given to the service suppresses the false hit
  /// near it, not the known item itself, and is read again on reload.
  @Test func negativeListsSuppressKnownFalseMatchesAndReload() async throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let known = PDQHash(w0: 0, w1: 0, w2: 0, w3: 0)
    let benign = PDQHash(w0: (1 << 28) - 1, w1: 0, w2: 0, w3: 0)
    try BinaryHashSet.write(HashSet(name: "known", entries: [HashSetEntry(id: "k", label: "x", pdq: known)]), to: dir.path + "/known.sieveset")
    // Mistaken for entry "k" of set "known", in the version served.
    let version = try HashSetLoader.load(dir.path + "/known.sieveset").version
    try BinaryHashSet.write(
      HashSet(name: "negative", entries: [HashSetEntry(id: "k", label: "known@\(version)", pdq: benign)]), to: dir.path + "/neg.sieveset")
    let registry = HashSetRegistry(paths: [dir.path + "/known.sieveset"], negativePaths: [dir.path + "/neg.sieveset"])
    try await registry.loadAll()
    let nearBenign = PDQHash(w0: (1 << 28) - 1 - 1, w1: 0, w2: 0, w3: 0)
    #expect(registry.snapshot.matches(for: MatchQuery(pdq: nearBenign)).isEmpty)
    #expect(registry.snapshot.matches(for: MatchQuery(pdq: known)).count == 1)
    // The list emptied and reloaded: the hit is reported again.
    try BinaryHashSet.write(HashSet(name: "negative"), to: dir.path + "/neg.sieveset")
    _ = await registry.reload()
    #expect(registry.snapshot.matches(for: MatchQuery(pdq: nearBenign)).count == 1)
    // A broken negative list on the first load: nothing is served.
    let broken = HashSetRegistry(paths: [dir.path + "/known.sieveset"], negativePaths: [dir.path + "/none.sieveset"])
    await #expect(throws: (any Error).self) { try await broken.loadAll() }
  }

  /// The last snapshot holding a set lets go of it on whatever thread, but the set is freed
  /// on the reload queue: held (here, while that queue is suspended) until it runs there.
  @Test func replacedSetsAreFreedOnTheReloadQueue() async throws {
    let queue = DispatchQueue(label: "test.reloads")
    queue.suspend()
    weak var matcher: Matcher?
    do {
      let set = Self.randomSet("kept", count: 100, seed: 9)
      let served = HashSetRegistry.ServedSet(
        path: "/nonexistent", set: set, matcher: Matcher(sets: [set]), videoMatcher: nil, checksum: "c", format: "sieveset",
        loadedAt: Date(), loadSeconds: 0, counts: [:])
      matcher = served.matcher
      var snapshot: HashSetRegistry.Snapshot? = HashSetRegistry.Snapshot(
        sets: [served], generation: 1, ready: true, negative: nil,
        keeper: HashSetRegistry.Keeper(sets: [served], negative: nil, queue: queue))
      #expect(snapshot?.sets.count == 1)
      snapshot = nil
    }
    #expect(matcher != nil, "freed on the thread that let go of it last")
    queue.resume()
    for _ in 0..<200 where matcher != nil { try await Task.sleep(for: .milliseconds(10)) }
    #expect(matcher == nil, "never freed")
  }
}

@Suite struct HashingPoolTests {
  @Test func refusesWhenTheQueueIsFullAndRecovers() async throws {
    let pool = HashingPool(workers: 1, queueDepth: 1, limits: .default, memoryBudget: 1 << 20)
    let release = DispatchSemaphore(value: 0)
    let started = DispatchSemaphore(value: 0)
    // One job runs (blocked), one waits; the third is refused at once.
    async let running: Int = pool.run { _ in
      started.signal()
      release.wait()
      return 1
    }
    started.wait()
    async let waiting: Int = pool.run { _ in 2 }
    while pool.load.waiting < 1 { try await Task.sleep(for: .milliseconds(1)) }
    await #expect(throws: HashingPool.Busy.self) { try await pool.run { _ in 3 } }
    release.signal()
    #expect(try await running == 1)
    #expect(try await waiting == 2)
    #expect(try await pool.run { _ in 4 } == 4)
  }

  @Test func errorsFromJobsReachTheCaller() async throws {
    struct Boom: Error {}
    let pool = HashingPool(workers: 2, queueDepth: 4, limits: .default, memoryBudget: 1 << 20)
    await #expect(throws: Boom.self) { try await pool.run { _ -> Int in throw Boom() } }
  }

}

@Suite struct HashingPoolAdmissionTests {
  /// Something a job captures, to see when it is freed.
  final class Payload: Sendable {}

  @Test func finishedJobsReleaseWhatTheyCaptured() async throws {
    let pool = HashingPool(workers: 1, queueDepth: 4, limits: .default, memoryBudget: 1 << 20)
    weak var weakPayload: Payload?
    do {
      let payload = Payload()
      weakPayload = payload
      _ = try await pool.run { _ in ObjectIdentifier(payload) }
    }
    // The queue no longer holds the job (nor its payload) once it has been taken.
    for _ in 0..<100 where weakPayload != nil { try await Task.sleep(for: .milliseconds(1)) }
    #expect(weakPayload == nil)
  }

  @Test func admissionsCountPlacesAndAreGivenBackOnce() throws {
    let pool = HashingPool(workers: 1, queueDepth: 1, limits: .default, memoryBudget: 1 << 20)
    let first = try pool.admit()
    let second = try pool.admit()
    #expect(throws: HashingPool.Busy.self) { try pool.admit() }
    first.release()
    first.release()  // a second release gives nothing more back
    let third = try pool.admit()
    #expect(throws: HashingPool.Busy.self) { try pool.admit() }
    _ = (second, third)
  }

  @Test func idleWorkersTakeWorkWithoutAQueue() async throws {
    // Two workers, no queue: two jobs at once are both accepted.
    let pool = HashingPool(workers: 2, queueDepth: 0, limits: .default, memoryBudget: 1 << 20)
    async let a = pool.run { _ in 1 }
    async let b = pool.run { _ in 2 }
    #expect(try await a + b == 3)
  }
}
