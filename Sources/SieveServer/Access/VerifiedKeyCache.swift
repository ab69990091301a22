import SieveCore

/// Keys that passed ``APIKeyStore/authenticate(_:)`` lately, so that a client sending the
/// same key on every request does not pay a SHA-256 and its formatting each time (3–4 %
/// of the CPU of hash-only `/v1/match`).
///
/// A key is remembered with the id and digest it matched, and is taken from here only
/// while the keys in force still hold that id, unrevoked, with the same salt and digest: a key
/// revoked or replaced (and loaded by a reload) is checked in full again, and refused.
/// Only keys that passed are kept, at most ``capacity`` of them (the whole cache is
/// dropped when full), so unknown keys cannot fill it.
final class VerifiedKeyCache: Sendable {
  private struct Entry {
    let id: String
    let salt: String
    let sha256: String
  }

  /// The most keys remembered at once.
  static let capacity = 1024

  private let entries = Locked<[String: Entry]>([:])

  /// The record of `key` in `store`, as ``APIKeyStore/authenticate(_:)`` gives it.
  func authenticate(_ key: String, in store: APIKeyStore) -> APIKeyStore.Record? {
    // Keyed by the whole key as a String: Unicode-equivalent spellings compare equal, but
    // only keys that passed are stored, and those are ASCII (`sieve_`, hex digits), which
    // no other spelling is equivalent to.
    if let entry = entries.withLock({ $0[key] }), let record = store.record(id: entry.id), record.revoked == nil,
      record.salt == entry.salt, record.sha256 == entry.sha256
    {
      return record
    }
    guard let record = store.authenticate(key) else { return nil }
    entries.withLock { entries in
      if entries.count >= Self.capacity { entries.removeAll() }
      entries[key] = Entry(id: record.id, salt: record.salt, sha256: record.sha256)
    }
    return record
  }
}
