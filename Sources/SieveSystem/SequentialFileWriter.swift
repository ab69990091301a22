import CDirectIO
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a new file from its start to its end in large aligned blocks that go to the disk
/// directly (direct I/O, bypassing the page cache) where the file system allows it, and
/// through the page cache where not: the file is the same either way.
///
/// For large files written once and synced before they are used, as a hash set's file is
/// (``FileSystem/writeAtomically(to:mode:_:)`` syncs it before renaming it into place).
/// Through the page cache every byte is first copied into a page of the cache, memory the
/// kernel must find and zero, and the sync then writes it to the disk all the same. Direct,
/// the blocks go to the disk from the writer's own two buffers, and the page cache keeps
/// what it held (the lists being read, a set being served). Measured on a virtual machine
/// whose freed memory goes back to its host, so that fresh page-cache pages are slow to
/// come by: 1.6 GB written and synced took 5.7–5.9 s buffered, 1.1 s direct (`dd`).
///
/// One block is written, on a thread of its own, while the next is filled. A file system
/// without direct I/O (the flag is refused), or one that refuses a block (its alignment
/// needs are over ``alignment``), is written through the page cache from then on.
public final class SequentialFileWriter: @unchecked Sendable {
  /// The file written. It must be new (empty): blocks are written at their offsets from its start.
  public let file: OpenFile
  /// Bytes written so far (the file's length once ``finish()`` returned).
  public private(set) var count: Int64 = 0
  /// Whether blocks go to the disk directly: false from the start on a file system without
  /// direct I/O, and from the first block it refused on. (Read it after ``finish()``.)
  public private(set) var isDirect: Bool

  /// The alignment of the buffers, the blocks' offsets and lengths: the sector or page
  /// size of nearly every disk and file system.
  public static let alignment = 4096

  private let blockSize: Int
  /// Two buffers of `blockSize` (plus ``alignment`` for the last block's padding): one being
  /// filled, one being written.
  private let buffers: [UnsafeMutableRawBufferPointer]
  private var current = 0
  private var filled = 0
  private var blockOffset: Int64 = 0
  private var finished = false
  private let queue = DispatchQueue(label: "sieve.sequential-file-writer")
  /// The block being written; waited for before its buffer is filled again, and before
  /// `failure` or `isDirect` is read (the writing thread sets them).
  private let inFlight = DispatchGroup()
  private var failure: SystemError?

  /// Writes `file` (new, empty, open for writing) in blocks of 4 MiB.
  public convenience init(_ file: OpenFile) {
    self.init(file, blockSize: 4 << 20, direct: true)
  }

  /// Writes `file` in blocks of `blockSize` bytes, directly if `direct` and the file
  /// system allows it. (A block size that is no multiple of the disk's sector makes the
  /// file system refuse direct writes: a way for tests to reach the fallback.)
  package init(_ file: OpenFile, blockSize: Int, direct: Bool) {
    precondition(blockSize > 0, "a block holds at least one byte")
    self.file = file
    self.blockSize = blockSize
    buffers = (0..<2).map { _ in
      UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize + Self.alignment, alignment: Self.alignment)
    }
    isDirect = direct && sieve_set_direct_io(file.descriptor, 1) == 0
  }

  deinit {
    // No block is being written now: one in flight holds the writer (its closure does), so
    // the writer goes away only once that block is written. (Waiting here would wait forever
    // when the last reference is the closure's own, released on the writing thread.)
    if isDirect { _ = sieve_set_direct_io(file.descriptor, 0) }
    for buffer in buffers { buffer.deallocate() }
  }

  /// Appends `bytes` to the file.
  public func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
    precondition(!finished, "a finished file is not written to")
    var done = 0
    while done < bytes.count {
      let n = min(bytes.count - done, blockSize - filled)
      (buffers[current].baseAddress! + filled).copyMemory(from: bytes.baseAddress! + done, byteCount: n)
      filled += n
      done += n
      count += Int64(n)
      if filled == blockSize { try submit() }
    }
  }

  /// Appends `bytes` to the file.
  public func write(_ bytes: [UInt8]) throws(SystemError) {
    try bytes.withUnsafeBytes { raw in Result { () throws(SystemError) in try write(raw) } }.get()
  }

  /// Writes what is left, cuts the padding of the last block off, and turns direct I/O off
  /// again (so that the caller may write a header in place, buffered, and sync).
  public func finish() throws(SystemError) {
    precondition(!finished, "a file is finished once")
    finished = true
    inFlight.wait()
    if let failure { throw failure }
    if filled > 0 {
      var length = filled
      if isDirect {
        length = (filled + Self.alignment - 1) / Self.alignment * Self.alignment
        (buffers[current].baseAddress! + filled).initializeMemory(as: UInt8.self, repeating: 0, count: length - filled)
      }
      writeBlock(UnsafeRawBufferPointer(rebasing: buffers[current][0..<length]), at: blockOffset)
      if let failure { throw failure }
      if length != filled { try file.truncate(to: count) }
    }
    if isDirect { _ = sieve_set_direct_io(file.descriptor, 0) }
  }

  /// Hands the full buffer to the writing thread, once the one before it is written.
  private func submit() throws(SystemError) {
    inFlight.wait()
    if let failure { throw failure }
    let (buffer, length, offset) = (current, filled, blockOffset)
    queue.async(group: inFlight) {
      self.writeBlock(UnsafeRawBufferPointer(rebasing: self.buffers[buffer][0..<length]), at: offset)
    }
    blockOffset += Int64(filled)
    current ^= 1
    filled = 0
  }

  /// Writes one block at `offset` (on the writing thread, or the caller's for the last);
  /// direct writes the file system refuses are made again through the page cache.
  private func writeBlock(_ block: UnsafeRawBufferPointer, at offset: Int64) {
    var done = 0
    while done < block.count {
      let n = pwrite(file.descriptor, block.baseAddress! + done, block.count - done, off_t(offset) + off_t(done))
      if n > 0 {
        done += n
        continue
      }
      let code = n < 0 ? errno : EIO
      if code == EINTR { continue }
      // EINVAL: alignment the file system will not take; EOPNOTSUPP (FUSE, some network
      // file systems): no direct I/O after all.
      if (code == EINVAL || code == EOPNOTSUPP) && isDirect && sieve_set_direct_io(file.descriptor, 0) == 0 {
        isDirect = false
        continue
      }
      failure = SystemError(code: code)
      return
    }
  }
}
