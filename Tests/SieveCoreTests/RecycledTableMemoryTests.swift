@testable import SieveCore
import Testing

/// Freed table memory is handed to the next tables of about its size, and only within
/// the limits; tables built or copied into reused memory are the same as into fresh.
@Suite struct RecycledTableMemoryTests {
  static let mib = 1 << 20

  @Test func aBufferGivenBackIsTakenByTheNextOfItsSize() {
    let pool = RecycledTableMemory(limit: 64 * Self.mib, keptFor: .seconds(60))
    defer { pool.removeAll() }
    let (first, capacity) = pool.take(byteCount: 10 * Self.mib)
    #expect(capacity == 10 * Self.mib)
    #expect(Int(bitPattern: first) % RecycledTableMemory.alignment == 0)
    pool.give(first, capacity: capacity)
    #expect(pool.keptBytes == 10 * Self.mib)
    // A quarter smaller still fits; the capacity stays the buffer's.
    let (again, againCapacity) = pool.take(byteCount: 8 * Self.mib)
    #expect(again == first)
    #expect(againCapacity == 10 * Self.mib)
    #expect(pool.keptBytes == 0)
    pool.give(again, capacity: againCapacity)
  }

  @Test func buffersTooLargeOrMuchTooLargeAreNotHandedOut() {
    let pool = RecycledTableMemory(limit: 64 * Self.mib, keptFor: .seconds(60))
    defer { pool.removeAll() }
    let (buffer, capacity) = pool.take(byteCount: 16 * Self.mib)
    pool.give(buffer, capacity: capacity)
    // Larger than the kept buffer: a new one.
    let (larger, largerCapacity) = pool.take(byteCount: 17 * Self.mib)
    #expect(larger != buffer)
    // Under three quarters of it: a new one too (the kept one would waste over a quarter).
    let (smaller, smallerCapacity) = pool.take(byteCount: 11 * Self.mib)
    #expect(smaller != buffer)
    #expect(pool.keptBytes == 16 * Self.mib)
    larger.deallocate()
    smaller.deallocate()
    _ = (largerCapacity, smallerCapacity)
  }

  @Test func smallBuffersAndBuffersOverTheLimitAreFreed() {
    let pool = RecycledTableMemory(limit: 24 * Self.mib, keptFor: .seconds(60))
    defer { pool.removeAll() }
    let (small, smallCapacity) = pool.take(byteCount: RecycledTableMemory.minimumBytes - 1)
    pool.give(small, capacity: smallCapacity)
    #expect(pool.keptBytes == 0)
    // Two of 10 MiB fit the 24 MiB limit; a third pushes out the oldest.
    let buffers = (0..<3).map { _ in pool.take(byteCount: 10 * Self.mib) }
    for (pointer, capacity) in buffers { pool.give(pointer, capacity: capacity) }
    #expect(pool.keptBytes == 20 * Self.mib)
    let (next, _) = pool.take(byteCount: 10 * Self.mib)
    #expect(next != buffers[0].pointer)
    pool.give(next, capacity: 10 * Self.mib)
    let (huge, hugeCapacity) = pool.take(byteCount: 25 * Self.mib)
    pool.give(huge, capacity: hugeCapacity)
    #expect(pool.keptBytes == 20 * Self.mib)
  }

  @Test func buffersKeptTooLongAreFreed() async throws {
    let pool = RecycledTableMemory(limit: 64 * Self.mib, keptFor: .milliseconds(20))
    defer { pool.removeAll() }
    let (buffer, capacity) = pool.take(byteCount: 10 * Self.mib)
    pool.give(buffer, capacity: capacity)
    // A timer frees it, with no further use of the pool.
    for _ in 0..<100 where pool.keptBytes > 0 { try await Task.sleep(for: .milliseconds(20)) }
    #expect(pool.keptBytes == 0)
  }

  /// Tables built after others were freed (so into their memory, zeroed again) answer
  /// exactly as a brute-force scan does, and so do copies into reused memory.
  @Test func tablesInReusedMemoryAreExact() {
    var generator = SplitMix64(seed: 0x5EED_7AB1E)
    let hashes = (0..<400_000).map { _ in PDQHash(w0: generator.next(), w1: generator.next(), w2: generator.next(), w3: generator.next()) }
    let queries = (0..<20).map { i -> PDQHash in
      var words = [hashes[i * 997].word(0), hashes[i * 997].word(1), hashes[i * 997].word(2), hashes[i * 997].word(3)]
      words[i % 4] ^= (1 << UInt64(i)) | (1 << 40)
      return PDQHash(w0: words[0], w1: words[1], w2: words[2], w3: words[3])
    }
    func check(_ index: MultiIndexHashTable<PDQHash>) {
      for query in queries {
        let expected = hashes.enumerated().compactMap { id, h -> IndexMatch? in
          let d = h.distance(to: query)
          return d <= 31 ? IndexMatch(id: id, distance: d) : nil
        }
        #expect(index.matches(for: query, within: 31) == expected)
      }
    }
    let layout = MultiIndexLayout.standard(bitCount: 256, count: hashes.count)
    var first: MultiIndexHashTable<PDQHash>? = MultiIndexHashTable(hashes, layout: layout)
    let bytes = Array(first!.tables.bytes)
    #expect(bytes.count >= RecycledTableMemory.minimumBytes, "the test's tables must be large enough to be recycled")
    first = nil
    let rebuilt = MultiIndexHashTable(hashes, layout: layout)
    #expect(Array(rebuilt.tables.bytes) == bytes)
    check(rebuilt)
    let copied = bytes.withUnsafeBytes { MultiIndexTables(copying: $0) }
    #expect(Array(copied.bytes) == bytes)
    let loaded = MultiIndexHashTable(hashes: hashes, layout: layout, tables: copied)
    #expect(loaded != nil)
    if let loaded { check(loaded) }
  }
}
