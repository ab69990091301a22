import Foundation
import SieveTestSupport
import Testing

@testable import SieveServer

@Suite struct APIKeyStoreTests {
  @Test func addAuthenticateRevoke() throws {
    var store = APIKeyStore()
    let (admin, adminKey) = try store.add(name: "ops", role: .admin)
    let (match, matchKey) = try store.add(name: "uploads", role: .match, ratePerSecond: 50)
    #expect(adminKey.wholeMatch(of: /sieve_[0-9a-f]{8}_[0-9a-f]{64}/) != nil)
    #expect(store.authenticate(adminKey)?.id == admin.id)
    #expect(store.authenticate(matchKey)?.role == .match)
    #expect(store.authenticate(matchKey)?.ratePerSecond == 50)
    #expect(admin.id != match.id)

    // A wrong secret, a wrong id, a malformed key: refused.
    var wrongSecret = Array(matchKey)
    wrongSecret[wrongSecret.count - 1] = wrongSecret.last == "0" ? "1" : "0"
    #expect(store.authenticate(String(wrongSecret)) == nil)
    #expect(store.authenticate("sieve_00000000_" + String(repeating: "0", count: 64)) == nil)
    for bad in ["", "sieve_", adminKey + "0", String(adminKey.dropLast()), "Bearer " + adminKey, adminKey.replacingOccurrences(of: "_", with: "-")] {
      #expect(store.authenticate(bad) == nil, "\(bad)")
    }

    try store.revoke(id: match.id)
    #expect(store.authenticate(matchKey) == nil)
    #expect(store.authenticate(adminKey) != nil)
    #expect(throws: APIKeyError.unknownKey("ffffffff")) { try store.revoke(id: "ffffffff") }
    #expect(throws: APIKeyError.self) { try store.add(name: "", role: .match) }
    #expect(throws: APIKeyError.self) { try store.add(name: "x", role: .match, ratePerSecond: 0) }
  }

  @Test func fileKeepsOnlySaltedHashes() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.path + "/keys.json"
    var store = try APIKeyStore.loadOrEmpty(path)
    let (_, key) = try store.add(name: "uploads", role: .match)
    try store.save(to: path)

    let text = try String(contentsOfFile: path, encoding: .utf8)
    let secret = String(key.split(separator: "_")[2])
    #expect(!text.contains(secret))
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    #expect((attributes[.posixPermissions] as? Int) == 0o600)

    let loaded = try APIKeyStore.load(path)
    #expect(loaded == store)
    #expect(loaded.authenticate(key) != nil)
    // The same secret under another salt gives another hash.
    #expect(APIKeyStore.digest(salt: "00", secret: secret) != APIKeyStore.digest(salt: "01", secret: secret))
  }

  @Test func malformedFilesAreRefusedWithTheReason() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let cases: [(String, String)] = [
      ("not json", "not a Sieve keys file"),
      (#"{"format":"other","version":1,"keys":[]}"#, "format other"),
      (#"{"format":"sieve-api-keys","version":1,"keys":[{"id":"a","name":"n","role":"root","salt":"","sha256":"","created":""}]}"#, "not a Sieve keys file"),
    ]
    for (i, (content, reason)) in cases.enumerated() {
      let path = try dir.write("k\(i).json", Array(content.utf8))
      #expect {
        try APIKeyStore.load(path)
      } throws: { error in
        "\(error)".contains(reason) && "\(error)".contains(path)
      }
    }
    #expect(throws: APIKeyError.self) { try APIKeyStore.load(dir.path + "/missing.json") }
  }

  @Test func roles() {
    #expect(APIKeyRole.admin.allows(.admin) && APIKeyRole.admin.allows(.match))
    #expect(APIKeyRole.match.allows(.match) && !APIKeyRole.match.allows(.admin))
  }
}

@Suite struct RateLimiterTests {
  @Test func burstThenRefill() {
    let limiter = RateLimiter(burstSeconds: 1)
    let t0: UInt64 = 1_000_000_000
    // 4 per second: 4 at once, then refused with the wait until the next token.
    for _ in 0..<4 { #expect(limiter.take(key: "a", rate: 4, now: t0) == nil) }
    let wait = limiter.take(key: "a", rate: 4, now: t0)
    #expect(wait != nil && abs(wait! - 0.25) < 1e-9)
    // Another key has its own bucket.
    #expect(limiter.take(key: "b", rate: 4, now: t0) == nil)
    // A quarter second later one token is back, not two.
    #expect(limiter.take(key: "a", rate: 4, now: t0 + 250_000_000) == nil)
    #expect(limiter.take(key: "a", rate: 4, now: t0 + 250_000_000) != nil)
    // A long pause refills to the burst only.
    for _ in 0..<4 { #expect(limiter.take(key: "a", rate: 4, now: t0 + 60_000_000_000) == nil) }
    #expect(limiter.take(key: "a", rate: 4, now: t0 + 60_000_000_000) != nil)
    // A clock reading from the past does not underflow.
    #expect(limiter.take(key: "a", rate: 4, now: t0) != nil)
  }

  @Test func slowRatesStillAllowOneRequest() {
    let limiter = RateLimiter(burstSeconds: 1)
    #expect(limiter.take(key: "k", rate: 0.1, now: 0) == nil)
    let wait = limiter.take(key: "k", rate: 0.1, now: 0)
    #expect(wait != nil && abs(wait! - 10) < 1e-9)
  }
}
