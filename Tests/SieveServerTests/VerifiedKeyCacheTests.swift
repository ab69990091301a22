import Foundation
import Testing

@testable import SieveServer

@Suite struct VerifiedKeyCacheTests {
  /// A key taken from the cache is still checked against the keys in force: revoked, or
  /// missing from a reloaded file, it is refused.
  @Test func cachedKeysFollowTheKeysInForce() throws {
    var store = APIKeyStore()
    let (record, key) = try store.add(name: "uploads", role: .match)
    let (other, otherKey) = try store.add(name: "ops", role: .admin)
    let cache = VerifiedKeyCache()
    #expect(cache.authenticate(key, in: store)?.id == record.id)
    #expect(cache.authenticate(key, in: store) == record)
    #expect(cache.authenticate(otherKey, in: store)?.role == .admin)

    var wrong = Array(key)
    wrong[wrong.count - 1] = wrong.last == "0" ? "1" : "0"
    #expect(cache.authenticate(String(wrong), in: store) == nil)
    #expect(cache.authenticate("sieve_\(record.id)_" + String(repeating: "0", count: 64), in: store) == nil)

    var revoked = store
    try revoked.revoke(id: record.id)
    #expect(cache.authenticate(key, in: revoked) == nil)
    #expect(cache.authenticate(otherKey, in: revoked)?.id == other.id)
    #expect(cache.authenticate(key, in: APIKeyStore()) == nil)

    // The same id with another key's salt and digest (a file edited by hand): the
    // cached digest no longer matches, the key is checked in full and refused, and the
    // other key's secret is taken under that id.
    var records = store.records
    records[0].salt = records[1].salt
    records[0].sha256 = records[1].sha256
    let edited = APIKeyStore(records: records)
    #expect(cache.authenticate(key, in: edited) == nil)
    let otherSecret = otherKey.split(separator: "_")[2]
    #expect(cache.authenticate("sieve_\(record.id)_\(otherSecret)", in: edited)?.name == "uploads")

    // Only the salt changed: the full check refuses the key, and so does the cache.
    var resalted = store.records
    resalted[0].salt = String(repeating: "7", count: 32)
    #expect(cache.authenticate(key, in: store) != nil)
    #expect(cache.authenticate(key, in: APIKeyStore(records: resalted)) == nil)

    // Back to the first keys: the key is good again.
    #expect(cache.authenticate(key, in: store)?.id == record.id)
  }

  /// Past its capacity the cache starts again; every key still authenticates.
  @Test func aFullCacheIsDropped() throws {
    var store = APIKeyStore()
    var keys: [(String, String)] = []
    for i in 0..<(VerifiedKeyCache.capacity + 10) {
      let (record, key) = try store.add(name: "k\(i)", role: .match)
      keys.append((record.id, key))
    }
    let cache = VerifiedKeyCache()
    for _ in 0..<2 {
      for (id, key) in keys { #expect(cache.authenticate(key, in: store)?.id == id) }
    }
  }
}
