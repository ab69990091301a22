import CArchive

/// Reads the members of an archive held in memory through libarchive (zip, tar with
/// gzip, bzip2, xz or zstd, 7z, rar, cpio, ISO, …), and of the archives inside it down to
/// ``Limits/maxDepth``, naming each `outer.zip!/dir/inner.tar!/photo.jpg`.
///
/// Archive bombs are bounded: the members, the bytes expanded and the ratio of expanded
/// to archived bytes are counted over the whole tree, and past a limit the reading stops
/// with a reason that says which. An encrypted member is reported as such, never guessed.
public struct ArchiveReader: Sendable {
  /// How far an archive tree may expand.
  public struct Limits: Sendable, Equatable {
    /// Archives inside archives, counting the outer one as 1. Default 5.
    public var maxDepth = 5
    /// Members of the whole tree. Default 100,000.
    public var maxMembers = 100_000
    /// Bytes expanded in the whole tree. Default 4 GiB.
    public var maxExpandedBytes = 4 << 30
    /// Bytes expanded per byte of the outer archive, once over 1 MiB. Default 1,000.
    public var maxRatio = 1000
    /// The largest member read (a larger one is reported, not read). Default 512 MiB.
    public var maxMemberBytes = 512 << 20

    public init() {}
  }

  /// One thing an archive tree holds.
  public enum Member: Sendable, Equatable {
    /// A regular file's bytes, with its path from the outer archive: `["a.zip", "dir/b.tar", "c.jpg"]`.
    case file(path: [String], bytes: [UInt8])
    /// A member that is encrypted: not read.
    case encrypted(path: [String])
    /// A member or an archive that could not be read, or a limit reached: why.
    case failure(path: [String], reason: String)
  }

  public var limits: Limits

  public init(limits: Limits = Limits()) {
    self.limits = limits
  }

  /// Whether `prefix` (a file's first 512 bytes or more) starts like an archive Sieve
  /// opens: zip, gzip, bzip2, xz, zstd, 7z, rar, or tar (`ustar` at 257).
  public static func looksLikeArchive(_ prefix: [UInt8]) -> Bool {
    func starts(_ signature: [UInt8]) -> Bool { prefix.starts(with: signature) }
    if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x1F, 0x8B]) || starts(Array("BZh".utf8)) { return true }
    if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) || starts([0x28, 0xB5, 0x2F, 0xFD]) { return true }
    if starts([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) || starts(Array("Rar!\u{1A}\u{07}".utf8)) { return true }
    return prefix.count >= 262 && Array(prefix[257..<262]) == Array("ustar".utf8)
  }

  /// Calls `visit` with every member of the archive `bytes` (named `name`) and of the
  /// archives inside it, in order.
  public func read(_ bytes: [UInt8], name: String, visit: (Member) -> Void) {
    var budget = Budget(outerBytes: bytes.count)
    read(bytes, path: [name], depth: 1, budget: &budget, visit: visit)
  }

  /// What the tree has used of the limits so far.
  struct Budget {
    let outerBytes: Int
    var members = 0
    var expanded = 0
    var stopped: String?
  }

  private func read(_ bytes: [UInt8], path: [String], depth: Int, budget: inout Budget, visit: (Member) -> Void) {
    guard let archive = archive_read_new() else { return visit(.failure(path: path, reason: "libarchive could not start")) }
    defer { archive_read_free(archive) }
    archive_read_support_filter_all(archive)
    archive_read_support_format_all(archive)
    bytes.withUnsafeBytes { raw in
      guard archive_read_open_memory(archive, raw.baseAddress, raw.count) == ARCHIVE_OK else {
        visit(.failure(path: path, reason: "not an archive libarchive reads: \(Self.error(archive))"))
        return
      }
      var entry: OpaquePointer?
      while budget.stopped == nil {
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF { break }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
          visit(.failure(path: path, reason: "damaged after \(budget.members) members: \(Self.error(archive))"))
          break
        }
        let name = archive_entry_pathname_utf8(entry).map { String(cString: $0) }
          ?? archive_entry_pathname(entry).map { String(decoding: Array(String(cString: $0).utf8), as: UTF8.self) } ?? "?"
        guard archive_entry_filetype(entry) == 0o100000 else { continue }  // AE_IFREG
        budget.members += 1
        let memberPath = path + [name]
        if budget.members > limits.maxMembers {
          budget.stopped = "more than \(limits.maxMembers) members: the rest is not read (an archive bomb?)"
          visit(.failure(path: path, reason: budget.stopped!))
          break
        }
        if archive_entry_is_encrypted(entry) != 0 {
          visit(.encrypted(path: memberPath))
          continue
        }
        var member: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var failure: String?
        while true {
          let n = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
          if n == 0 { break }
          guard n > 0 else {
            failure = archive_entry_is_encrypted(entry) != 0 ? nil : "cannot be read: \(Self.error(archive))"
            break
          }
          budget.expanded += n
          if member.count + n > limits.maxMemberBytes {
            failure = "over \(limits.maxMemberBytes) bytes expanded; not read"
            break
          }
          if budget.expanded > limits.maxExpandedBytes {
            budget.stopped = "expands past \(limits.maxExpandedBytes) bytes: the rest is not read (an archive bomb?)"
            break
          }
          if budget.expanded > 1 << 20, budget.expanded / max(1, budget.outerBytes) > limits.maxRatio {
            budget.stopped =
              "expands more than \(limits.maxRatio) times its \(budget.outerBytes) bytes: the rest is not read (an archive bomb?)"
            break
          }
          member += buffer[0..<n]
        }
        if let stopped = budget.stopped {
          visit(.failure(path: memberPath, reason: stopped))
          break
        }
        if let failure {
          visit(.failure(path: memberPath, reason: failure))
          continue
        }
        if Self.looksLikeArchive(Array(member.prefix(512))) {
          if depth >= limits.maxDepth {
            visit(.failure(path: memberPath, reason: "an archive nested deeper than \(limits.maxDepth): not opened"))
            visit(.file(path: memberPath, bytes: member))
          } else {
            read(member, path: memberPath, depth: depth + 1, budget: &budget, visit: visit)
          }
          continue
        }
        visit(.file(path: memberPath, bytes: member))
      }
    }
  }

  private static func error(_ archive: OpaquePointer) -> String {
    archive_error_string(archive).map { String(cString: $0) } ?? "libarchive error \(archive_errno(archive))"
  }
}
