#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Calls on paths rather than open files.
public enum FileSystem {
  /// `stat(2)` (`followLinks`) or `lstat(2)` of a NUL-terminated path.
  public static func metadata(_ path: UnsafePointer<CChar>, followLinks: Bool = true) throws(SystemError) -> FileMetadata {
    var info = stat()
    guard (followLinks ? stat(path, &info) : lstat(path, &info)) == 0 else { throw .current }
    return FileMetadata(info)
  }

  /// `fstatat(2)` of `name` in an open folder, never following a link: what the folder
  /// itself holds, whatever happens to the path that led to it.
  public static func metadata(of name: [UInt8], in directory: OpenFile) throws(SystemError) -> FileMetadata {
    var info = stat()
    let status = (name + [0]).withUnsafeBufferPointer { buffer in
      buffer.withMemoryRebound(to: CChar.self) { name in
        retryingOnInterrupt { fstatat(directory.descriptor, name.baseAddress!, &info, AT_SYMLINK_NOFOLLOW) }
      }
    }
    guard status == 0 else { throw .current }
    return FileMetadata(info)
  }

  /// The path with every symbolic link, `.` and `..` resolved (`realpath(3)`); nil when
  /// it does not exist.
  public static func realPath(_ path: UnsafePointer<CChar>) -> [UInt8]? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return Array(UnsafeRawBufferPointer(start: resolved, count: strlen(resolved)))
  }

  /// The working directory's path.
  public static func currentDirectory() -> [UInt8]? {
    guard let path = getcwd(nil, 0) else { return nil }
    defer { free(path) }
    return Array(UnsafeRawBufferPointer(start: path, count: strlen(path)))
  }

  /// The names in a folder opened with `OpenFile(…, options: .directory)` (`.` and `..`
  /// left out), in the order the file system gives them. The folder stays open.
  public static func names(in directory: OpenFile) throws(SystemError) -> [[UInt8]] {
    let fd = dup(directory.descriptor)
    guard fd >= 0 else { throw .current }
    guard let handle = fdopendir(fd) else {
      let error = SystemError.current
      close(fd)
      throw error
    }
    defer { closedir(handle) }
    var names: [[UInt8]] = []
    while true {
      // readdir returns NULL at the end and on an error: only errno tells them apart (a
      // damaged disk must not silently shorten the inventory).
      errno = 0
      guard let entry = readdir(handle) else {
        if errno != 0 { throw .current }
        return names
      }
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
      if name != [0x2E] && name != [0x2E, 0x2E] { names.append(name) }
    }
  }

  /// Replaces the file at `path` with `bytes` atomically: written to a new file beside it
  /// (created exclusively, never through a link), synced, renamed over `path`, and the
  /// folder synced so that the rename reaches the disk too. Readers see the old file or
  /// the new one, never a part.
  public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws(SystemError) {
    try writeAtomically(to: path, mode: mode) { file throws(SystemError) in try file.write(bytes) }
  }

  /// Writes a file at `path` atomically as ``writeAtomically(_:to:mode:)`` does, its
  /// bytes written by `body` to the new file (opened write-only) as they are made.
  public static func writeAtomically(
    to path: String, mode: mode_t = 0o600, _ body: (OpenFile) throws(SystemError) -> Void
  ) throws(SystemError) {
    let temporary = path + ".tmp-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    do throws(SystemError) {
      let file = try OpenFile(temporary, options: [.writeOnly, .create, .exclusive, .noFollow], mode: mode)
      try body(file)
      try file.sync()
    } catch {
      unlink(temporary)
      throw error
    }
    guard rename(temporary, path) == 0 else {
      let error = SystemError.current
      unlink(temporary)
      throw error
    }
    let folder = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    if let directory = try? OpenFile(folder.isEmpty ? (path.hasPrefix("/") ? "/" : ".") : folder, options: [.directory]) {
      try? directory.sync()
    }
  }

  /// CLOCK_MONOTONIC, in nanoseconds.
  public static func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
  }

  /// Whether a descriptor is a terminal.
  public static func isTerminal(_ descriptor: Int32) -> Bool { isatty(descriptor) == 1 }
}

/// Memory hints.
public enum MemoryAdvice {
  /// Asks for transparent huge pages on the page-aligned interior of a large buffer about
  /// to be filled: far fewer page faults when a column of hundreds of MB is copied.
  public static func hugePages(_ buffer: UnsafeMutableRawBufferPointer) {
    #if os(Linux)
    guard buffer.count >= 4 << 20, let start = buffer.baseAddress else { return }
    let huge = 2 << 20
    let first = (Int(bitPattern: start) + huge - 1) & ~(huge - 1)
    let last = (Int(bitPattern: start) + buffer.count) & ~(huge - 1)
    guard last > first, let aligned = UnsafeMutableRawPointer(bitPattern: first) else { return }
    _ = madvise(aligned, last - first, 14 /* MADV_HUGEPAGE */)
    #endif
  }
}
