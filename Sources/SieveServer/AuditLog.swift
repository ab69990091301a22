import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The audit log: one JSON line per match request (per query of a batch), appended with a
/// single `write(2)` on a file opened with `O_APPEND`, so each line is in the kernel before
/// the response is sent and survives a crash of the process. A background task also syncs
/// the file to disk once a second when lines were added, for power loss.
///
/// Lines hold the time, key id, request id, the query hashes, the matches and the set
/// versions; never image bytes.
final class AuditLog: Sendable {
  let path: String
  private let fd: Int32
  private let dirty = LockedValue(false)
  private let writing = LockedValue(())
  private let failures = LockedValue(0)

  init(path: String) throws(ServiceError) {
    self.path = path
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw .auditLog(path: path, reason: String(cString: strerror(errno))) }
  }

  deinit {
    fsync(fd)
    close(fd)
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
    let ok = writing.withLock { _ -> Bool in
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
    if wasDirty { fsync(fd) }
  }
}
