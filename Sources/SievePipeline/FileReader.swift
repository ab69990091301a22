#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads files read-only, never changing them or their access time where the
/// system allows (`open(2)` with `O_RDONLY | O_NOATIME`, retried without
/// `O_NOATIME` when the caller does not own the file).
public enum FileReader {
  /// Why a file could not be read.
  public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
    /// `open`, `fstat` or `read` failed with this message.
    case system(String)
    /// The file is larger than the byte limit.
    case tooLarge(bytes: Int, limit: Int)
    /// The file is not a regular file.
    case notRegular
    /// The file changed size while it was read.
    case changed
    /// The path names another file than the walk found (replaced, or swapped for a
    /// symbolic link): it is not read.
    case replaced(String)

    public var description: String {
      switch self {
      case .system(let message): return message
      case .tooLarge(let bytes, let limit): return "file is \(bytes) bytes, over the \(limit)-byte limit (see --max-bytes)"
      case .notRegular: return "not a regular file"
      case .changed: return "the file changed while it was read"
      case .replaced(let how): return "changed since the walk: \(how); not read"
      }
    }
  }

  /// Reads the whole file at `path`, refusing it from its size before reading when it
  /// is over `maxBytes`.
  public static func read(_ path: String, maxBytes: Int) throws(Failure) -> [UInt8] {
    try read(RawPath(path), maxBytes: maxBytes)
  }

  /// Calls `body` with successive chunks of the file at `path`, whatever its size.
  public static func forEachChunk(
    _ path: RawPath, chunkSize: Int, _ body: (UnsafeRawBufferPointer) -> Void
  ) throws(Failure) {
    try forEachChunk(InputFile(path: path, explicit: true), chunkSize: chunkSize, body)
  }

  /// Calls `body` with successive chunks of a walked file, refusing it when it is no
  /// longer the file the walk found.
  public static func forEachChunk(
    _ file: InputFile, chunkSize: Int, _ body: (UnsafeRawBufferPointer) -> Void
  ) throws(Failure) {
    var noAtime = false
    let fd = try openReadOnly(file, noAtime: &noAtime)
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: chunkSize)
    while true {
      let n = buffer.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress!, chunkSize) }
      if n < 0 {
        if errno == EINTR { continue }
        throw .system(String(cString: strerror(errno)))
      }
      if n == 0 { return }
      buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }
  }

  /// Opens a regular file read-only (`O_NOATIME` where permitted, `O_NONBLOCK`).
  static func openReadOnly(_ path: RawPath) throws(Failure) -> Int32 {
    var noAtime = false
    return try openReadOnly(InputFile(path: path, explicit: true), noAtime: &noAtime)
  }

  /// Opens `file` read-only: `O_NOFOLLOW` unless it may be a link, `O_NOATIME` where
  /// permitted (`noAtime` says whether it was), `O_NONBLOCK` (a FIFO swapped in after
  /// the walk must not block), and checks it is the regular file the walk found.
  static func openReadOnly(_ file: InputFile, noAtime: inout Bool) throws(Failure) -> Int32 {
    let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (file.followsLink ? 0 : O_NOFOLLOW)
    let path = file.path
    #if os(Linux)
    var fd = path.withCString { open($0, flags | linuxNoAtime) }
    noAtime = fd >= 0
    if fd < 0 && errno == EPERM { fd = path.withCString { open($0, flags) } }
    #else
    let fd = path.withCString { open($0, flags) }
    #endif
    guard fd >= 0 else {
      if errno == ELOOP && !file.followsLink { throw .replaced("it is now a symbolic link, which is not followed") }
      throw .system(String(cString: strerror(errno)))
    }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      let reason = String(cString: strerror(errno))
      close(fd)
      throw .system(reason)
    }
    guard info.st_mode & S_IFMT == S_IFREG else {
      close(fd)
      throw file.identity == nil ? .notRegular : .replaced("it is no longer a regular file")
    }
    if let expected = file.identity, expected != InputFile.Identity(info) {
      close(fd)
      throw .replaced("another file now has its name")
    }
    return fd
  }

  /// Reads the whole file at `path` (raw bytes), as ``read(_:maxBytes:)-(String,_)``.
  public static func read(_ path: RawPath, maxBytes: Int) throws(Failure) -> [UInt8] {
    var times = FileTimes()
    return try read(path, maxBytes: maxBytes, times: &times)
  }

  /// The times a file had when it was opened, before anything was read from it (so an
  /// access time changed by the read, where `O_NOATIME` is not permitted, is not the
  /// one recorded).
  public struct FileTimes: Sendable, Equatable {
    public var modified: Double?
    public var changed: Double?
    public var accessed: Double?
    /// Whether the file was opened with `O_NOATIME`, so that reading it left its access
    /// time as it was. False where the system refused it (the file belongs to another
    /// user and the reader is not privileged): the read may have updated the access time.
    public var accessTimeKept = false
    public init() {}
  }

  /// Reads the whole file and reports its times as they were before the read.
  public static func read(_ path: RawPath, maxBytes: Int, times: inout FileTimes) throws(Failure) -> [UInt8] {
    try read(InputFile(path: path, explicit: true), maxBytes: maxBytes, times: &times)
  }

  /// Reads the whole of a walked file, refusing it when it is no longer the file the walk
  /// found, and reports its times as they were before the read.
  public static func read(_ file: InputFile, maxBytes: Int, times: inout FileTimes) throws(Failure) -> [UInt8] {
    let fd = try openReadOnly(file, noAtime: &times.accessTimeKept)
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw .system(String(cString: strerror(errno))) }
    times.modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
    times.changed = Double(info.st_ctim.tv_sec) + Double(info.st_ctim.tv_nsec) / 1e9
    times.accessed = Double(info.st_atim.tv_sec) + Double(info.st_atim.tv_nsec) / 1e9
    let size = Int(info.st_size)
    guard size <= maxBytes else { throw .tooLarge(bytes: size, limit: maxBytes) }
    var bytes = [UInt8](repeating: 0, count: size)
    var done = 0
    let failure: Failure? = bytes.withUnsafeMutableBytes { buffer in
      while done < size {
        let n = systemRead(fd, buffer.baseAddress! + done, size - done)
        if n < 0 {
          if errno == EINTR { continue }
          return .system(String(cString: strerror(errno)))
        }
        if n == 0 { return .changed }  // shorter than fstat said
        done += n
      }
      return nil
    }
    if let failure { throw failure }
    return bytes
  }
}

@inline(__always)
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
  #if canImport(Glibc)
  return Glibc.read(fd, buffer, count)
  #else
  return Darwin.read(fd, buffer, count)
  #endif
}

#if os(Linux)
/// `O_NOATIME` (0o1000000 on x86-64 and AArch64 Linux); Glibc hides it behind `_GNU_SOURCE`.
private let linuxNoAtime: Int32 = 0o1000000
#endif
