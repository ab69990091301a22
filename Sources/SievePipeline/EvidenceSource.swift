import SieveSystem

/// Where the files Sieve hashes come from, and how they are read: files and folders on a
/// mounted file system today (``FolderEvidence``); disk images and archives implement the
/// same protocol, so that `hash`, `match` and `scan` read every kind of evidence alike.
///
/// A source is read-only: nothing it does may change the evidence.
public protocol EvidenceSource: Sendable {
  /// The evidence as recorded with a scan: each root as named by the user, resolved.
  var roots: [RawPath] { get }

  /// Lists every entry, in an order that is the same on every run.
  func walk(_ visit: (FileWalker.Entry) -> Void)

  /// Reads the whole of a file the walk found, refusing it from its size when it is over
  /// `maxBytes`, and reports its times as they were before the read.
  func read(_ file: InputFile, maxBytes: Int, times: inout FileReader.FileTimes) throws(FileReader.Failure) -> [UInt8]

  /// Calls `body` with successive chunks of a file the walk found, whatever its size (the
  /// digests of files too large to hold).
  func forEachChunk(_ file: InputFile, chunkSize: Int, _ body: (UnsafeRawBufferPointer) -> Void) throws(FileReader.Failure)

  /// When `bytes`, the contents of `file`, are a container the source opens (an archive),
  /// calls `visit` with each file inside it, in order and each container after the files
  /// it holds, and returns how the opening went; nil when `bytes` are not a container.
  ///
  /// Called by ``BatchHasher`` on the worker that read the file, which hashes each file
  /// inside as it is visited: only one member's bytes are held at a time.
  func expand(_ file: InputFile, bytes: [UInt8], visit: (ContainedFile) -> Void) -> ContainerOutcome?

  /// The same for a file too large to read whole (over the byte limit), which the source
  /// reads where it needs; nil when it is not a container.
  func expandInPlace(_ file: InputFile, visit: (ContainedFile) -> Void) -> ContainerOutcome?

  /// Opens a file the walk found read-only for reading where it is needed (a video too
  /// large to hold, decoded as it lies); nil when the source cannot.
  func openForRandomAccess(_ file: InputFile) throws(FileReader.Failure) -> RandomAccessFile?
}

/// A file open read-only for reads at any offset, and its size when opened: a folder's
/// file by its descriptor (`pread`), or a file inside a disk image through its file system.
public struct RandomAccessFile: Sendable {
  /// The open file, for a folder's file; nil for one read through `readAt` alone.
  public let handle: OpenFile?
  public let size: Int64
  /// What the file was when opened, to check it did not change while read (folders).
  public let metadata: FileMetadata?
  /// Reads up to the buffer's size at an offset; 0 at the end.
  public let readAt: @Sendable (Int64, UnsafeMutableRawBufferPointer) throws -> Int

  public init(handle: OpenFile, size: Int64, metadata: FileMetadata? = nil) {
    self.handle = handle
    self.size = size
    self.metadata = metadata
    readAt = { offset, buffer in try handle.read(at: offset, into: buffer) }
  }

  public init(size: Int64, readAt: @escaping @Sendable (Int64, UnsafeMutableRawBufferPointer) throws -> Int) {
    handle = nil
    metadata = nil
    self.size = size
    self.readAt = readAt
  }
}

extension EvidenceSource {
  /// No containers: every file is read as it is.
  public func expand(_ file: InputFile, bytes: [UInt8], visit: (ContainedFile) -> Void) -> ContainerOutcome? { nil }
  public func expandInPlace(_ file: InputFile, visit: (ContainedFile) -> Void) -> ContainerOutcome? { nil }
  public func openForRandomAccess(_ file: InputFile) throws(FileReader.Failure) -> RandomAccessFile? { nil }
}

/// A file found inside another (an archive member), as an ``EvidenceSource`` hands it over
/// to be hashed.
public struct ContainedFile: Sendable {
  /// Its display path (`photos.zip!/2019/a.jpg`), location chain, size and times.
  public var file: InputFile
  public var content: Content

  /// What was read of it.
  public enum Content: Sendable {
    /// Its bytes.
    case bytes([UInt8])
    /// An archive inside, after the files it holds: its bytes and how its opening went.
    case container([UInt8], ContainerOutcome)
    /// Encrypted: recorded, never guessed at.
    case encrypted
    /// A link or another entry that is not a file: what it is, recorded, not read.
    case special(String)
    /// It could not be read (damaged, over a limit): why.
    case failure(String)
  }

  public init(file: InputFile, content: Content) {
    self.file = file
    self.content = content
  }
}

/// Files and folders on a mounted file system (``FileWalker``, ``FileReader``): opened
/// read-only, `O_NOFOLLOW` unless a link may be followed, `O_NOATIME` where permitted,
/// and checked to be the file the walk found.
public struct FolderEvidence: EvidenceSource {
  public let roots: [RawPath]
  /// How folders are walked.
  public var walker: FileWalker

  /// Evidence at `paths`. With `resolve`, each path is made absolute with its links and
  /// `..` resolved by the file system (``EvidenceGuard/resolve(_:)``), as a scan records it.
  public init(_ paths: [RawPath], walker: FileWalker = FileWalker(), resolve: Bool = false) {
    roots = resolve ? paths.map(EvidenceGuard.resolve) : paths
    self.walker = walker
  }

  public func walk(_ visit: (FileWalker.Entry) -> Void) {
    walker.walk(roots, visit: visit)
  }

  public func read(_ file: InputFile, maxBytes: Int, times: inout FileReader.FileTimes) throws(FileReader.Failure) -> [UInt8] {
    try FileReader.read(file, maxBytes: maxBytes, times: &times)
  }

  public func forEachChunk(_ file: InputFile, chunkSize: Int, _ body: (UnsafeRawBufferPointer) -> Void) throws(FileReader.Failure) {
    try FileReader.forEachChunk(file, chunkSize: chunkSize, body)
  }

  public func openForRandomAccess(_ file: InputFile) throws(FileReader.Failure) -> RandomAccessFile? {
    let (handle, metadata) = try FileReader.open(file)
    return RandomAccessFile(handle: handle, size: Int64(metadata.size), metadata: metadata)
  }
}
