import Crypto
import Foundation
import SieveSystem
import SieveCore


/// The service's API keys file: one JSON document holding, per key, an id, a name, a
/// role, an optional rate limit and a salted SHA-256 of the secret — never the key.
///
/// A key reads `sieve_<id>_<secret>`: 8 hex digits of id, used to find the record, and 64
/// hex digits (256 random bits) of secret. Because the secret is random and long, one
/// salted SHA-256 is enough (a slow password hash protects guessable passwords, which these
/// are not), and checking a key costs about a microsecond per request.
///
/// ```swift
/// var store = APIKeyStore()
/// let (record, key) = try store.add(name: "upload-pipeline", role: .match)
/// try store.save(to: "keys.json")   // written atomically, mode 0600
/// store.authenticate(key)?.id == record.id
/// ```
public struct APIKeyStore: Sendable, Equatable {
  /// One key, as stored.
  public struct Record: Codable, Sendable, Equatable {
    /// The public part of the key: 8 hex digits.
    public var id: String
    /// Who or what the key is for.
    public var name: String
    public var role: APIKeyRole
    /// Requests per second allowed for this key; nil: the service's default.
    public var ratePerSecond: Double?
    /// Hex of the 16-byte salt.
    public var salt: String
    /// Hex of SHA-256(salt ‖ secret).
    public var sha256: String
    /// ISO 8601 time the key was made.
    public var created: String
    /// ISO 8601 time the key was revoked; a revoked key is refused.
    public var revoked: String?

    enum CodingKeys: String, CodingKey {
      case id, name, role, salt, sha256, created, revoked
      case ratePerSecond = "rate_per_second"
    }
  }

  /// The keys, oldest first, revoked ones included (they are kept for the record).
  public private(set) var records: [Record]

  /// The file's format tag.
  static let format = "sieve-api-keys"

  public init(records: [Record] = []) {
    self.records = records
  }

  /// The record of `id`.
  public func record(id: some StringProtocol) -> Record? {
    records.first { $0.id == id }
  }

  /// Makes a new key, adds its record and returns both; the key is shown only here.
  public mutating func add(name: String, role: APIKeyRole, ratePerSecond: Double? = nil) throws(APIKeyError) -> (record: Record, key: String) {
    guard !name.isEmpty, name.count <= 200, !name.contains(where: \.isNewline) else {
      throw .invalid("a key name needs 1 to 200 characters on one line")
    }
    // A name is shown in listings and logs: no control or text-reordering characters.
    guard !name.unicodeScalars.contains(where: TerminalText.needsEscape) else {
      throw .invalid("the name may not hold control characters")
    }
    if let rate = ratePerSecond, !Self.isValidRate(rate) {
      throw .invalid("the rate must be a positive number of requests per second, at most \(Int(Self.maxRatePerSecond))")
    }
    var id: String
    repeat { id = Self.randomHex(4) } while record(id: id) != nil
    let secret = Self.randomHex(32)
    let salt = Self.randomHex(16)
    let record = Record(
      id: id, name: name, role: role, ratePerSecond: ratePerSecond, salt: salt, sha256: Self.digest(salt: salt, secret: secret),
      created: Self.now(), revoked: nil)
    records.append(record)
    return (record, "sieve_\(id)_\(secret)")
  }

  /// Marks `id` revoked; a running service refuses it after its next reload.
  public mutating func revoke(id: String) throws(APIKeyError) {
    guard let i = records.firstIndex(where: { $0.id == id }) else { throw .unknownKey(id) }
    guard records[i].revoked == nil else { return }
    records[i].revoked = Self.now()
  }

  /// The record of a presented key, if the key is well formed, known, not revoked and
  /// its secret matches (compared in constant time).
  public func authenticate(_ key: String) -> Record? {
    let parts = key.split(separator: "_", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0] == "sieve", parts[1].utf8.count == 8, parts[2].utf8.count == 64 else { return nil }
    // An unknown or revoked id costs the same digest and comparison as a known one, so
    // that answer times do not tell which key ids exist.
    let usable = record(id: parts[1]).flatMap { $0.revoked == nil ? $0 : nil }
    let presented = Self.digest(salt: usable?.salt ?? Self.decoySalt, secret: parts[2])
    let stored = usable?.sha256 ?? Self.decoyDigest
    guard presented.utf8.count == stored.utf8.count else { return nil }
    var difference: UInt8 = 0
    for (a, b) in zip(presented.utf8, stored.utf8) { difference |= a ^ b }
    return difference == 0 ? usable : nil
  }

  /// What an unknown key is checked against: no secret's digest (it is not hex).
  private static let decoySalt = String(repeating: "0", count: 32)
  private static let decoyDigest = String(repeating: "-", count: 64)

  /// The highest rate a key may have, in requests per second.
  public static let maxRatePerSecond = 1_000_000.0

  /// Whether `rate` is a usable rate: positive, finite, at most ``maxRatePerSecond``.
  public static func isValidRate(_ rate: Double) -> Bool {
    rate > 0 && rate.isFinite && rate <= maxRatePerSecond
  }

  // MARK: File

  struct File: Codable {
    var format: String
    var version: Int
    var keys: [Record]
  }

  /// Reads a keys file.
  public static func load(_ path: String) throws(APIKeyError) -> APIKeyStore {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw .io(path: path, reason: (error as NSError).localizedDescription)
    }
    let file: File
    do { file = try JSONDecoder().decode(File.self, from: data) } catch {
      throw .malformed(path: path, reason: "not a Sieve keys file (\(error))")
    }
    guard file.format == format, file.version == 1 else {
      throw .malformed(path: path, reason: "format \(file.format) version \(file.version); this build reads \(format) version 1")
    }
    var seen = Set<String>()
    for record in file.keys {
      guard seen.insert(record.id).inserted else { throw .malformed(path: path, reason: "key id \(record.id) appears twice") }
      guard record.salt.count == 32, record.sha256.count == 64 else {
        throw .malformed(path: path, reason: "key \(record.id) has a malformed salt or hash")
      }
      if let rate = record.ratePerSecond, !isValidRate(rate) {
        throw .malformed(
          path: path,
          reason: "key \(record.id) has rate_per_second \(rate); a rate must be above 0 and at most \(Int(maxRatePerSecond))")
      }
    }
    return APIKeyStore(records: file.keys)
  }

  /// Reads `path`, or an empty store when it does not exist yet.
  public static func loadOrEmpty(_ path: String) throws(APIKeyError) -> APIKeyStore {
    FileManager.default.fileExists(atPath: path) ? try load(path) : APIKeyStore()
  }

  /// Writes the store to `path` atomically (a temporary file in the same folder, synced,
  /// then renamed over it), readable and writable by the owner only.
  public func save(to path: String) throws(APIKeyError) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let bytes: [UInt8]
    do { bytes = Array(try encoder.encode(File(format: Self.format, version: 1, keys: records))) + [0x0A] } catch {
      throw .io(path: path, reason: "\(error)")
    }
    do { try FileSystem.writeAtomically(bytes, to: path, mode: 0o600) } catch {
      throw .io(path: path, reason: error.description)
    }
  }

  /// Loads `path` (or starts empty), lets `change` edit the keys and saves them, holding an
  /// exclusive lock (`path.lock`) throughout, so two edits at once cannot lose one.
  public static func update<T>(_ path: String, _ change: (inout APIKeyStore) throws(APIKeyError) -> T) throws(APIKeyError) -> T {
    let lock: OpenFile
    do throws(SystemError) {
      lock = try OpenFile(path + ".lock", options: [.readWrite, .create, .noFollow], mode: 0o600)
      try lock.lockExclusively()
    } catch {
      throw .io(path: path + ".lock", reason: error.description)
    }
    defer { withExtendedLifetime(lock) {} }
    var store = try loadOrEmpty(path)
    let result = try change(&store)
    try store.save(to: path)
    return result
  }

  // MARK: Helpers

  static func digest(salt: String, secret: some StringProtocol) -> String {
    var hasher = SHA256()
    var salt = salt
    salt.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
    var secret = String(secret)
    secret.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
    return Hex.string(hasher.finalize())
  }

  static func randomHex(_ bytes: Int) -> String {
    var generator = SystemRandomNumberGenerator()
    return Hex.string((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
  }

  static func now() -> String {
    ISO8601DateFormatter().string(from: Date())
  }
}

/// Why the keys file could not be used.
public enum APIKeyError: Error, Equatable, CustomStringConvertible {
  case io(path: String, reason: String)
  case malformed(path: String, reason: String)
  case unknownKey(String)
  case invalid(String)

  public var description: String {
    switch self {
    case .io(let path, let reason): return "\(path): \(reason)"
    case .malformed(let path, let reason): return "\(path): \(reason)"
    case .unknownKey(let id): return "no key with id \(id) (see `sieve serve keys list`)"
    case .invalid(let reason): return reason
    }
  }
}
