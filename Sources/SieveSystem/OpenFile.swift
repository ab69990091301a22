#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor, closed when the value goes away: Sieve's one way to open,
/// read, write and sync files (evidence, hash sets, logs, keys).
public final class OpenFile: Sendable {
  /// How to open a file (`open(2)` flags).
  public struct Options: OptionSet, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let writeOnly = Options(rawValue: O_WRONLY)
    public static let readWrite = Options(rawValue: O_RDWR)
    public static let create = Options(rawValue: O_CREAT)
    public static let exclusive = Options(rawValue: O_EXCL)
    public static let truncate = Options(rawValue: O_TRUNC)
    public static let append = Options(rawValue: O_APPEND)
    /// Refuse a symbolic link as the last component (`ELOOP`).
    public static let noFollow = Options(rawValue: O_NOFOLLOW)
    /// Do not block on a FIFO or device.
    public static let nonBlocking = Options(rawValue: O_NONBLOCK)
    public static let directory = Options(rawValue: O_DIRECTORY)
    #if os(Linux)
    /// Leave the access time as it is (Linux; only for the file's owner or a privileged user).
    public static let noAccessTime = Options(rawValue: 0o1000000)
    #else
    public static let noAccessTime = Options([])
    #endif
  }

  /// The descriptor; valid while this value lives.
  public let descriptor: Int32
  private let closesDescriptor: Bool

  /// Opens `path` (a NUL-terminated path) with `O_CLOEXEC` and `options`; read-only unless
  /// `writeOnly` is given.
  public init(path: UnsafePointer<CChar>, options: Options = [], mode: mode_t = 0o600) throws(SystemError) {
    let fd = retryingOnInterrupt { open(path, options.rawValue | O_CLOEXEC, mode) }
    guard fd >= 0 else { throw .current }
    descriptor = fd
    closesDescriptor = true
  }

  /// Opens `path` (text).
  public convenience init(_ path: String, options: Options = [], mode: mode_t = 0o600) throws(SystemError) {
    let descriptor = path.withCString { path in retryingOnInterrupt { open(path, options.rawValue | O_CLOEXEC, mode) } }
    guard descriptor >= 0 else { throw .current }
    self.init(adopting: descriptor)
  }

  /// Takes over an open descriptor: it is closed when this value goes away.
  public init(adopting descriptor: Int32) {
    self.descriptor = descriptor
    closesDescriptor = true
  }

  /// Uses a descriptor that stays open after this value goes away (standard output).
  public init(borrowing descriptor: Int32) {
    self.descriptor = descriptor
    closesDescriptor = false
  }

  deinit { if closesDescriptor { close(descriptor) } }

  /// `fstat(2)`.
  public func metadata() throws(SystemError) -> FileMetadata {
    var info = stat()
    guard fstat(descriptor, &info) == 0 else { throw .current }
    return FileMetadata(info)
  }

  /// Reads up to `buffer.count` bytes (retrying when interrupted); 0 at the end.
  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
    guard buffer.count > 0 else { return 0 }
    while true {
      let n = systemRead(descriptor, buffer.baseAddress!, buffer.count)
      if n >= 0 { return n }
      if errno != EINTR { throw .current }
    }
  }

  /// Reads up to `buffer.count` bytes from `offset` (`pread(2)`, retrying when
  /// interrupted), leaving the file position alone; 0 at the end.
  public func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
    guard buffer.count > 0 else { return 0 }
    while true {
      let n = pread(descriptor, buffer.baseAddress!, buffer.count, off_t(offset))
      if n >= 0 { return n }
      if errno != EINTR { throw .current }
    }
  }

  /// Fills `buffer` entirely; returns how many bytes were read before the end of the file.
  public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
    var done = 0
    while done < buffer.count {
      let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
      if n == 0 { break }
      done += n
    }
    return done
  }

  /// Writes all of `bytes` (retrying when interrupted or short).
  public func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
    var done = 0
    try write(bytes, written: &done)
  }

  /// Writes all of `bytes`, counting in `written` the bytes written so far: when it
  /// throws, how many went out before the error (to cut a partial append back).
  public func write(_ bytes: UnsafeRawBufferPointer, written done: inout Int) throws(SystemError) {
    done = 0
    while done < bytes.count {
      let n = systemWrite(descriptor, bytes.baseAddress! + done, bytes.count - done)
      if n < 0 {
        if errno == EINTR { continue }
        throw .current
      }
      if n == 0 { throw SystemError(code: EIO) }
      done += n
    }
  }

  /// Writes all of `bytes` at `offset`, leaving the file position where it was.
  public func write(_ bytes: [UInt8], at offset: Int64) throws(SystemError) {
    try bytes.withUnsafeBytes { raw in
      Result { () throws(SystemError) in
        var done = 0
        while done < raw.count {
          let n = pwrite(descriptor, raw.baseAddress! + done, raw.count - done, off_t(offset) + off_t(done))
          if n < 0 {
            if errno == EINTR { continue }
            throw .current
          }
          if n == 0 { throw SystemError(code: EIO) }
          done += n
        }
      }
    }.get()
  }

  /// Writes all of `bytes`.
  public func write(_ bytes: [UInt8]) throws(SystemError) {
    try bytes.withUnsafeBytes { raw in Result { () throws(SystemError) in try write(raw) } }.get()
  }

  /// Writes all of `bytes`, counting in `written` the bytes written so far (see
  /// ``write(_:written:)-(UnsafeRawBufferPointer,_)``).
  public func write(_ bytes: [UInt8], written: inout Int) throws(SystemError) {
    var done = 0
    defer { written = done }
    try bytes.withUnsafeBytes { raw in Result { () throws(SystemError) in try write(raw, written: &done) } }.get()
  }

  /// Reads up to `buffer.count` bytes into `buffer`; 0 at the end.
  public func read(into buffer: inout [UInt8]) throws(SystemError) -> Int {
    try buffer.withUnsafeMutableBytes { raw in Result { () throws(SystemError) in try read(into: raw) } }.get()
  }

  /// Fills `buffer`; returns how many bytes were read before the end of the file.
  public func readFully(into buffer: inout [UInt8]) throws(SystemError) -> Int {
    try buffer.withUnsafeMutableBytes { raw in Result { () throws(SystemError) in try readFully(into: raw) } }.get()
  }

  /// The offset of the end of the file.
  public func endOffset() throws(SystemError) -> Int64 {
    let end = lseek(descriptor, 0, SEEK_END)
    guard end >= 0 else { throw .current }
    return Int64(end)
  }

  /// Cuts the file to `length` bytes.
  public func truncate(to length: Int64) throws(SystemError) {
    guard retryingOnInterrupt({ ftruncate(descriptor, off_t(length)) }) == 0 else { throw .current }
  }

  /// Flushes the file to the disk (`fsync(2)`).
  public func sync() throws(SystemError) {
    guard retryingOnInterrupt({ fsync(descriptor) }) == 0 else { throw .current }
  }

  /// A second descriptor for the same open file (`dup(2)`).
  public func duplicate() throws(SystemError) -> OpenFile {
    let copy = dup(descriptor)
    guard copy >= 0 else { throw .current }
    return OpenFile(adopting: copy)
  }

  /// Waits for an exclusive advisory lock on the file (`flock(2)`), held until it is closed.
  public func lockExclusively() throws(SystemError) {
    // A signal (SIGHUP for a reload) interrupts the wait; it goes on.
    guard retryingOnInterrupt({ flock(descriptor, LOCK_EX) }) == 0 else { throw .current }
  }

  /// Whether the file is a terminal.
  public var isTerminal: Bool { isatty(descriptor) == 1 }
}

@inline(__always)
func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
  #if canImport(Glibc)
  return Glibc.read(fd, buffer, count)
  #else
  return Darwin.read(fd, buffer, count)
  #endif
}

@inline(__always)
func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
  #if canImport(Glibc)
  return Glibc.write(fd, buffer, count)
  #else
  return Darwin.write(fd, buffer, count)
  #endif
}

/// Calls `call` again while it fails with `EINTR` (a signal arrived during the call): the
/// calls here that can block (`open` of a FIFO or a slow file system, `flock`, `fsync`)
/// would otherwise fail a scan or a reload because the service got SIGHUP. Not for
/// `close`, which must not be retried on Linux.
@inline(__always)
func retryingOnInterrupt(_ call: () -> Int32) -> Int32 {
  while true {
    let result = call()
    if result != -1 || errno != EINTR { return result }
  }
}
