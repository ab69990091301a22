import SieveSystem

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
    let (handle, metadata) = try openReadOnly(file, noAtime: &noAtime)
    var buffer = [UInt8](repeating: 0, count: chunkSize)
    while true {
      let n: Int
      do throws(SystemError) { n = try handle.read(into: &buffer) } catch {
        throw .system(error.description)
      }
      if n == 0 { break }
      buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }
    try checkUnchanged(handle, since: metadata)
  }

  /// Opens a walked file read-only as ``read(_:maxBytes:times:)`` does (checked to be the
  /// file the walk found), for a reader that reads it where it needs (an archive too
  /// large to hold). Call ``checkUnchanged(_:since:)`` once done.
  public static func open(_ file: InputFile) throws(Failure) -> (handle: OpenFile, metadata: FileMetadata) {
    var noAtime = false
    return try openReadOnly(file, noAtime: &noAtime)
  }

  /// Throws ``Failure/changed`` when the open file's size, modification or change time
  /// is no longer what it was before it was read: a file written to while it was read
  /// (grown, shrunk, or rewritten in place) gave bytes that were never its content at
  /// any one moment, and a file that grew would be recorded as its first bytes.
  public static func checkUnchanged(_ handle: OpenFile, since before: FileMetadata) throws(Failure) {
    let after: FileMetadata
    do throws(SystemError) { after = try handle.metadata() } catch { throw .system(error.description) }
    guard after.size == before.size, after.modified == before.modified, after.changed == before.changed else {
      throw .changed
    }
  }

  /// Opens `file` read-only: `O_NOFOLLOW` unless it may be a link, `O_NOATIME` where
  /// permitted (`noAtime` says whether it was), `O_NONBLOCK` (a FIFO swapped in after
  /// the walk must not block), and checks it is the regular file the walk found.
  static func openReadOnly(_ file: InputFile, noAtime: inout Bool) throws(Failure) -> (OpenFile, FileMetadata) {
    let options: OpenFile.Options = file.followsLink ? [.nonBlocking] : [.nonBlocking, .noFollow]
    func open(_ options: OpenFile.Options) throws(SystemError) -> OpenFile {
      try file.path.withCString { path in Result { () throws(SystemError) in try OpenFile(path: path, options: options) } }.get()
    }
    let handle: OpenFile
    let metadata: FileMetadata
    do throws(SystemError) {
      do throws(SystemError) {
        handle = try open(options.union(.noAccessTime))
        noAtime = true
      } catch {
        guard error.isNotPermitted else { throw error }
        handle = try open(options)
        noAtime = false
      }
      metadata = try handle.metadata()
    } catch {
      if error.isSymbolicLink && !file.followsLink { throw .replaced("it is now a symbolic link, which is not followed") }
      throw .system(error.description)
    }
    guard metadata.kind == .regular else {
      throw file.identity == nil ? .notRegular : .replaced("it is no longer a regular file")
    }
    if let expected = file.identity, expected != InputFile.Identity(device: metadata.device, inode: metadata.inode) {
      throw .replaced("another file now has its name")
    }
    return (handle, metadata)
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
    /// The creation time, where the file system keeps one and it was read (files in disk
    /// images).
    public var created: Double?
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
    let (handle, metadata) = try openReadOnly(file, noAtime: &times.accessTimeKept)
    (times.modified, times.changed, times.accessed) = (metadata.modified, metadata.changed, metadata.accessed)
    let size = metadata.size
    guard size <= maxBytes else { throw .tooLarge(bytes: size, limit: maxBytes) }
    // Read straight into the array's storage: zeroing it first would cost a pass over
    // every byte (and its page faults) for nothing.
    var failure: SystemError?
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
      do throws(SystemError) {
        initialized = try handle.readFully(into: UnsafeMutableRawBufferPointer(buffer))
      } catch {
        failure = error
        initialized = 0
      }
    }
    if let failure { throw .system(failure.description) }
    guard bytes.count == size else { throw .changed }  // shorter than fstat said
    try checkUnchanged(handle, since: metadata)
    return bytes
  }
}
