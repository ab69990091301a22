import CDirectIO
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a regular file from an offset to its end in large blocks, the next block on a
/// thread of its own while the caller works on the last: the reading (the disk's time,
/// and the kernel's copying) overlaps the caller's work instead of coming between it.
///
/// A file that is not in the page cache is read directly (direct I/O, bypassing the
/// cache) where the file system allows it: the blocks come from the disk into the
/// reader's own two buffers, with no page of the cache to find, zero and fill for every
/// 4 KiB, and the cache keeps what it held. A file mostly in the cache is read from it, as
/// a copy from memory is faster than the disk. Measured on a virtual machine whose freed
/// memory goes back to its host: reading a 1.6 GB list no longer cached took 4.1 s with
/// `cat` on one day (fresh page-cache pages are slow to come by there), 1.7 s direct.
///
/// The file is only read: direct I/O is a flag of the open descriptor (set with `fcntl`,
/// cleared again when the reader goes away), never a change to the file.
public final class SequentialFileReader: @unchecked Sendable {
  /// Whether to read around the page cache.
  public enum Mode: Sendable {
    /// Directly when less than half the bytes to read are in the page cache.
    case automatic
    /// Directly where the file system allows it.
    case direct
    /// Through the page cache.
    case buffered
  }

  /// The file read.
  public let file: OpenFile
  /// Whether blocks come from the disk directly: false from the start on a file system
  /// without direct I/O (or a file mostly cached), and from the first read it refused on.
  public var isDirect: Bool { queue.sync { direct } }

  /// The alignment of direct reads' buffers, offsets and lengths.
  public static let alignment = 4096

  private let blockSize: Int
  /// The buffers, read into in turn: all but the one handed out last are being read, or
  /// wait, read, to be handed out.
  private let buffers: [UnsafeMutableRawBufferPointer]
  /// Signalled when a buffer's read is done.
  private let ready: [DispatchSemaphore]
  /// The bytes each buffer got from its last read, and the error it ended with (written by
  /// the reading thread before it signals ``ready``; memory of their own, not arrays, so
  /// that the two threads share no array's storage).
  private let lengths: UnsafeMutableBufferPointer<Int>
  private let failures: UnsafeMutableBufferPointer<SystemError?>
  /// The buffer to hand out next, the one handed out last, and the reads asked for and
  /// not yet handed out.
  private var pending = 0
  private var handedOut: Int?
  private var outstanding = 0
  /// The offset of the next block to read.
  private var nextOffset: Int64
  /// Bytes of the first block before the offset asked for (a direct read starts aligned).
  private var skip: Int
  /// Whether ``next()`` met the end (or an error): nothing more is read.
  private var finished = false
  /// The reading thread's own: whether a read met the end, and whether reads are direct.
  private var endSeen = false
  private var direct: Bool
  /// Whether the descriptor read directly before this reader set it so.
  private let wasDirect: Bool
  /// A read's error, thrown by the call after the one that handed out the bytes read
  /// before it.
  private var failureAfterBlock: SystemError?
  private let queue = DispatchQueue(label: "sieve.sequential-file-reader")

  /// Reads `file` (a regular file) from `offset` on, in blocks of 4 MiB, up to four ahead.
  public convenience init(_ file: OpenFile, from offset: Int64 = 0, mode: Mode = .automatic) {
    self.init(file, from: offset, blockSize: 4 << 20, blocks: 4, mode: mode)
  }

  /// Reads `file` from `offset` on in blocks of `blockSize` bytes, `blocks` buffers of
  /// them (at least two: one handed out, the others read ahead). (A block size that is no
  /// multiple of the disk's sector makes the file system refuse direct reads: a way for
  /// tests to reach the fallback.)
  package init(_ file: OpenFile, from offset: Int64, blockSize: Int, blocks: Int, mode: Mode) {
    precondition(offset >= 0 && blockSize > 0 && blocks >= 2, "two blocks of a byte or more, from an offset in the file")
    self.file = file
    self.blockSize = blockSize
    buffers = (0..<blocks).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: Self.alignment) }
    ready = (0..<blocks).map { _ in DispatchSemaphore(value: 0) }
    lengths = .allocate(capacity: blocks)
    lengths.initialize(repeating: 0)
    failures = .allocate(capacity: blocks)
    failures.initialize(repeating: nil)
    var wanted = mode == .direct
    if mode == .automatic, let size = try? file.metadata().size, Int64(size) > offset {
      var pages = 0
      // The first 64 MiB tell (a list read lately was read from its start); a file's size
      // is only a claim, and a sparse one of terabytes must not cost a page table's worth.
      let resident = sieve_resident_pages(file.descriptor, offset, min(Int64(size) - offset, 64 << 20), &pages)
      wanted = resident >= 0 && pages > 0 && resident * 2 < pages
    }
    // (A descriptor the caller had set to direct I/O is left as it was.)
    wasDirect = sieve_direct_io_enabled(file.descriptor) == 1
    direct = wanted && sieve_set_direct_io(file.descriptor, 1) == 0
    let start = direct ? offset / Int64(Self.alignment) * Int64(Self.alignment) : offset
    skip = Int(offset - start)
    nextOffset = start
    for buffer in 0..<blocks { submit(buffer) }
  }

  deinit {
    // No read is in flight now: each holds the reader (its closure does).
    if direct && !wasDirect { _ = sieve_set_direct_io(file.descriptor, 0) }
    for buffer in buffers { buffer.deallocate() }
    lengths.deallocate()
    _ = failures.deinitialize()
    failures.deallocate()
  }

  /// The next block of the file, valid until the next call; nil at the end of the file.
  ///
  /// - Throws: the error a read failed with (the blocks before it were all handed out).
  public func next() throws(SystemError) -> UnsafeRawBufferPointer? {
    if let last = handedOut {
      handedOut = nil
      if !finished { submit(last) }
    }
    if let failure = failureAfterBlock {
      failureAfterBlock = nil
      finished = true
      throw failure
    }
    while !finished, outstanding > 0 {
      let mine = pending
      ready[mine].wait()
      outstanding -= 1
      pending = (pending + 1) % buffers.count
      let length = lengths[mine]
      let failure = failures[mine]
      failures[mine] = nil
      if length <= skip {
        // Nothing past the offset asked for in this block (or nothing at all).
        skip -= length
        if let failure {
          finished = true
          throw failure
        }
        if length < blockSize {
          finished = true
          return nil
        }
        submit(mine)
        continue
      }
      // The bytes read before an error are handed out first, as a plain read gives them.
      if let failure { failureAfterBlock = failure }
      let first = skip
      skip = 0
      handedOut = mine
      return UnsafeRawBufferPointer(rebasing: buffers[mine][first..<length])
    }
    return nil
  }

  /// Asks for the next block to be read into `buffer`.
  private func submit(_ buffer: Int) {
    let offset = nextOffset
    nextOffset += Int64(blockSize)
    outstanding += 1
    queue.async {
      if self.endSeen {
        self.lengths[buffer] = 0
        self.failures[buffer] = nil
      } else {
        self.readBlock(into: buffer, at: offset)
      }
      self.ready[buffer].signal()
    }
  }

  /// What is left of the block ``read(into:)`` copies from.
  private var rest = UnsafeRawBufferPointer(start: nil, count: 0)

  /// Copies the next bytes of the file into `buffer`, as many as fit or as the block
  /// being handed out holds (a block is asked for when the last is used up); 0 at the end
  /// of the file. (The file's own `read`, from a reader that is a block ahead.)
  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
    guard buffer.count > 0 else { return 0 }
    if rest.isEmpty {
      guard let block = try next() else { return 0 }
      rest = block
    }
    let n = min(buffer.count, rest.count)
    buffer.baseAddress!.copyMemory(from: rest.baseAddress!, byteCount: n)
    rest = UnsafeRawBufferPointer(rebasing: rest[n...])
    return n
  }

  /// Fills `buffer` from `offset` (on the reading thread); a short block is the end of
  /// the file. Direct reads the file system refuses are made again through the cache.
  private func readBlock(into buffer: Int, at offset: Int64) {
    let block = buffers[buffer]
    var done = 0
    var failure: SystemError?
    while done < blockSize {
      let n = pread(file.descriptor, block.baseAddress! + done, blockSize - done, off_t(offset) + off_t(done))
      if n > 0 {
        // (Read on until the end: a direct read that ended short mid-file leaves the next
        // one unaligned, which the file system refuses, and it is made through the cache.)
        done += n
        continue
      }
      if n == 0 { break }
      let code = errno
      if code == EINTR { continue }
      if (code == EINVAL || code == EOPNOTSUPP) && direct && sieve_set_direct_io(file.descriptor, 0) == 0 {
        direct = false
        continue
      }
      failure = SystemError(code: code)
      break
    }
    lengths[buffer] = done
    failures[buffer] = failure
    if done < blockSize { endSeen = true }
  }
}
