import Foundation
import SieveCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
  /// The open file; replaced under the write lock by ``reopen()``.
  private let writing: Locked<Int32>
  private let dirty = Locked(false)
  private let failures = Locked(0)

  init(path: String) throws(ServiceError) {
    self.path = path
    writing = Locked(try Self.openFile(path))
  }

  private static func openFile(_ path: String) throws(ServiceError) -> Int32 {
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard fd >= 0 else { throw .auditLog(path: path, reason: String(cString: strerror(errno))) }
    return fd
  }

  deinit {
    let fd = writing.current
    fsync(fd)
    close(fd)
  }

  /// Opens the log's path again (after logrotate moved the file away): the old file is
  /// synced and closed, lines from now on go to the file at ``path``. When the path cannot
  /// be opened the old file stays in use and the error is thrown.
  func reopen() throws(ServiceError) {
    let fresh = try Self.openFile(path)
    let old = writing.withLock { fd -> Int32 in
      defer { fd = fresh }
      return fd
    }
    fsync(old)
    close(old)
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
    let ok = writing.withLock { fd -> Bool in
      let end = lseek(fd, 0, SEEK_END)
      var written = 0
      while written < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else {
          if end >= 0 { _ = ftruncate(fd, end) }
          return false
        }
        written += n
      }
      return true
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

  /// Syncs the file to disk if lines were added since the last sync.
  func syncIfNeeded() {
    let wasDirty = dirty.withLock { value -> Bool in
      defer { value = false }
      return value
    }
    guard wasDirty else { return }
    // A duplicate descriptor, synced outside the lock: appends do not wait for the disk,
    // and a reopen meanwhile cannot close the file under the sync.
    let copy = writing.withLock { dup($0) }
    guard copy >= 0 else { return }
    fsync(copy)
    close(copy)
  }
}
