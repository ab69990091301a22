import Foundation
import SieveSystem
import SieveCore


/// The audit log: one JSON line per match query (per query of a batch), per upload hashed,
/// per request refused (401, 403, 429) and per reload, appended with a single `write(2)` on
/// a file opened with `O_APPEND`, so each line is in the kernel before the response is sent
/// and survives a crash of the process. A background task also syncs the file to disk once
/// a second when lines were added, for power loss. SIGHUP reopens the file by its path, so
/// logrotate can rename it and the next lines land in a new file.
///
/// Lines hold the time, key id, request id, the query hashes, the matches and the set
/// versions; never image bytes.
final class AuditLog: Sendable {
  let path: String
  /// The open file; replaced under the write lock by ``reopen()``. A file replaced is
  /// closed once the last holder (a sync in progress) lets it go.
  private let writing: Locked<OpenFile>
  private let dirty = Locked(false)
  private let failures = Locked(0)

  init(path: String) throws(ServiceError) {
    self.path = path
    writing = Locked(try Self.openFile(path))
  }

  private static func openFile(_ path: String) throws(ServiceError) -> OpenFile {
    do { return try OpenFile(path, options: [.writeOnly, .create, .append, .noFollow], mode: 0o600) } catch {
      throw .auditLog(path: path, reason: error.description)
    }
  }

  deinit {
    try? writing.current.sync()
  }

  /// Opens the log's path again (after logrotate moved the file away): the old file is
  /// synced and closed, lines from now on go to the file at ``path``. When the path cannot
  /// be opened the old file stays in use and the error is thrown.
  func reopen() throws(ServiceError) {
    let fresh = try Self.openFile(path)
    let old = writing.withLock { file -> OpenFile in
      defer { file = fresh }
      return file
    }
    try? old.sync()
  }

  /// Appends `lines` (each a JSON object without its newline) in one write, under a lock
  /// so that requests' lines never interleave. A write that fails part-way is cut back to
  /// the last whole line, so the file stays valid JSON Lines.
  /// - Returns: false when the write failed (the failure is counted).
  @discardableResult
  func append(_ lines: [[UInt8]]) -> Bool {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(lines.reduce(0) { $0 + $1.count + 1 })
    for line in lines {
      bytes += line
      bytes.append(0x0A)
    }
    let ok = writing.withLock { file -> Bool in
      var written = 0
      do {
        try file.write(bytes, written: &written)
        return true
      } catch {
        // Cut a partial line back. The lock keeps this process's other appends out, so
        // the end is this write's; it is found only on failure, not with a `lseek` on
        // every append.
        if written > 0, let end = try? file.endOffset() { try? file.truncate(to: end - Int64(written)) }
        return false
      }
    }
    if ok {
      dirty.withLock { $0 = true }
    } else {
      failures.withLock { $0 += 1 }
    }
    return ok
  }

  /// Writes that failed so far.
  var failedWrites: Int { failures.current }

  /// Syncs the file to disk if lines were added since the last sync, outside the write
  /// lock: appends do not wait for the disk.
  func syncIfNeeded() {
    let wasDirty = dirty.withLock { value -> Bool in
      defer { value = false }
      return value
    }
    guard wasDirty else { return }
    try? writing.current.sync()
  }
}
