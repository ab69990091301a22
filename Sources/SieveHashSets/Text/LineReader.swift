import SieveSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a text file line by line in 1 MiB chunks (or blocks as large as a reader asks
/// for, ``fill(toHold:)``), whatever its size: strips a UTF-8 byte-order mark at the start
/// and the `\r` of CRLF line ends. A line longer than ``maxLineLength`` is returned as
/// "too long" (its start only) rather than held whole, and a read error is an error,
/// never a silent end of file.
///
/// The buffer is reused: its first ``filled`` bytes hold what was read, and what was
/// handed out is dropped by moving the rest (a partial line) to the front.
struct LineReader {
  /// The longest line kept; hash-list lines are far shorter.
  static let maxLineLength = 64 * 1024

  private let file: OpenFile
  /// The file read a block ahead on a thread of its own (a large regular file), or nil
  /// (read as the lines are wanted).
  private let ahead: SequentialFileReader?
  /// Files at least this large are read a block ahead (by default).
  static let readAheadBytes = 16 << 20
  private let path: String
  private var buffer: [UInt8] = []
  /// How many of ``buffer``'s bytes hold what was read (the rest is room).
  private var filled = 0
  private var start = 0
  private var searched = 0
  private var atEnd = false
  private var first = true
  private var skippingLongLine = false
  /// The number of the line last returned (1-based).
  private(set) var lineNumber = 0
  /// A checksum of every byte read so far (the whole file once ``next()`` returned nil),
  /// unless made without (``checksums``).
  private(set) var checksum = StreamingChecksum64()
  /// Whether ``checksum`` is kept (its one lane of multiplies runs at some 2 GB/s, on the
  /// thread that reads: a second a 2 GB list where nothing needs it).
  private let checksums: Bool

  /// Everything read from the file, in order, is also handed to this (a digest of the
  /// same bytes that were parsed).
  private let observe: ((UnsafeRawBufferPointer) -> Void)?

  /// Opens `path` (a regular file or a pipe).
  init(
    path: String, checksums: Bool = true, readAheadBytes: Int = LineReader.readAheadBytes,
    observe: ((UnsafeRawBufferPointer) -> Void)? = nil
  ) throws(HashSetError) {
    let file: OpenFile
    let kind: FileMetadata.Kind
    do throws(SystemError) {
      file = try OpenFile(path)
      kind = try file.metadata().kind
    } catch {
      throw .io(file: path, reason: error.description)
    }
    guard kind == .regular || kind == .fifo else { throw .io(file: path, reason: "not a regular file") }
    self.init(file: file, path: path, prefix: [], checksums: checksums, readAheadBytes: readAheadBytes, observe: observe)
  }

  /// The file's size when it was opened, for a regular file (nil for a pipe): what a
  /// reader may reserve memory by.
  let sizeHint: Int?
  /// Bytes read from the file so far, the prefix included.
  private(set) var bytesRead = 0
  /// Bytes of the lines handed out so far (read, less what waits in the buffer).
  var bytesConsumed: Int { bytesRead - (filled - start) }

  /// Reads an open file whose first bytes, `prefix`, were already read from it.
  init(
    file: OpenFile, path: String, prefix: [UInt8], checksums: Bool = true, readAheadBytes: Int = LineReader.readAheadBytes,
    observe: ((UnsafeRawBufferPointer) -> Void)? = nil
  ) {
    self.file = file
    self.checksums = checksums
    sizeHint = (try? file.metadata()).flatMap { $0.kind == .regular ? $0.size : nil }
    let position = lseek(file.descriptor, 0, SEEK_CUR)
    ahead = (sizeHint ?? 0) >= readAheadBytes && position >= 0 ? SequentialFileReader(file, from: Int64(position)) : nil
    self.path = path
    self.observe = observe
    buffer = prefix
    filled = prefix.count
    bytesRead = prefix.count
    prefix.withUnsafeBytes { bytes in
      if checksums { checksum.update(bytes) }
      if !bytes.isEmpty { observe?(bytes) }
    }
  }

  /// The next line's bytes and whether it was cut at ``maxLineLength``, or `nil` at the end.
  mutating func next() throws(HashSetError) -> (bytes: ArraySlice<UInt8>, tooLong: Bool)? {
    while true {
      let from = max(start, searched)
      let found = buffer.withUnsafeBufferPointer { b -> Int? in
        guard from < filled, let hit = memchr(b.baseAddress! + from, 0x0A, filled - from) else { return nil }
        return b.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self))
      }
      if let newline = found {
        var line = buffer[start..<newline]
        start = newline + 1
        searched = start
        if skippingLongLine {
          skippingLongLine = false
          continue
        }
        if line.count > Self.maxLineLength {
          line = line.prefix(Self.maxLineLength)
          return (finish(&line), true)
        }
        return (finish(&line), false)
      }
      searched = filled
      if filled - start > Self.maxLineLength && !skippingLongLine {
        var line = buffer[start..<start + Self.maxLineLength]
        skippingLongLine = true
        start = filled
        searched = start
        return (finish(&line), true)
      }
      if skippingLongLine { start = filled; searched = start }
      if atEnd {
        guard start < filled else { return nil }
        var line = buffer[start..<filled]
        start = filled
        return (finish(&line), false)
      }
      try readMore(1 << 20)
    }
  }

  /// Reads until at least `bytes` bytes not yet handed out are buffered, or the file ends,
  /// or a read fails: then the lines read before are handed out first, and the error is
  /// thrown where reading them one by one would have met it (by ``next()``, once they
  /// are used up), naming the same line.
  mutating func fill(toHold bytes: Int) {
    while !atEnd && failure == nil && filled - start < bytes {
      do throws(SystemError) {
        try readBytes(max(bytes - (filled - start), 1 << 16))
      } catch {
        failure = error
      }
    }
  }

  /// A read's error met by ``fill(toHold:)``, thrown when more is read.
  private var failure: SystemError?

  /// Reads up to `amount` more bytes (``readBytes(_:)``), or throws the error a read met
  /// before, naming the last line handed out.
  private mutating func readMore(_ amount: Int) throws(HashSetError) {
    do throws(SystemError) {
      if let failure {
        self.failure = nil
        throw failure
      }
      try readBytes(amount)
    } catch {
      throw .io(file: path, reason: "read failed after line \(lineNumber): \(error)")
    }
  }

  /// Drops what was handed out from the buffer and reads up to `amount` more bytes
  /// behind what is left (through the checksum and the observer); at the end of the file,
  /// sets ``atEnd``.
  private mutating func readBytes(_ amount: Int) throws(SystemError) {
    // Keep the partial line at the front, read more behind it.
    if start > 0 {
      let (from, count) = (start, filled - start)
      buffer.withUnsafeMutableBytes { raw in
        if count > 0 { memmove(raw.baseAddress!, raw.baseAddress! + from, count) }
      }
      filled = count
      searched -= start
      start = 0
    }
    let old = filled
    if buffer.count < old + amount { buffer.append(contentsOf: repeatElement(0, count: old + amount - buffer.count)) }
    let n = try buffer.withUnsafeMutableBytes { raw in
      Result { () throws(SystemError) in
        let room = UnsafeMutableRawBufferPointer(rebasing: raw[old..<(old + amount)])
        if let ahead { return try ahead.read(into: room) }
        return try file.read(into: room)
      }
    }.get()
    filled += n
    bytesRead += n
    buffer.withUnsafeBytes { raw in
      let chunk = UnsafeRawBufferPointer(rebasing: raw[old..<filled])
      if checksums { checksum.update(chunk) }
      if n > 0 { observe?(chunk) }
    }
    if n == 0 { atEnd = true }
  }

  /// Hands the complete lines already read to `body` as one block of at most `most` bytes
  /// (from the start of the next line to the end of the last line read whole within them,
  /// its line end included; one line, if it alone is longer), with the
  /// number of the line before it; `body` says how many bytes and lines it took, a whole
  /// number of lines from the start, and the rest is returned by ``next()`` and the other
  /// ways as before. Nothing is handed over where ``forEachReadLine(_:)`` would hand
  /// nothing (before the first line, within an over-long line).
  mutating func forEachReadBlock(upTo most: Int, _ body: (UnsafeBufferPointer<UInt8>, Int) -> (bytes: Int, lines: Int)) {
    guard !first, !skippingLongLine else { return }
    let (bytes, lines) = buffer.withUnsafeBufferPointer { b -> (Int, Int) in
      guard let base = b.baseAddress, start < filled else { return (0, 0) }
      // The last line end within `most` bytes, searched for backwards (lines are short);
      // failing that, the first one (a line longer than that is one block).
      var end = min(filled, start + max(most, 1))
      while end > start && base[end - 1] != 0x0A { end -= 1 }
      if end == start, let hit = memchr(base + start, 0x0A, filled - start) {
        end = base.distance(to: hit.assumingMemoryBound(to: UInt8.self)) + 1
      }
      guard end > start else { return (0, 0) }
      return body(UnsafeBufferPointer(start: base + start, count: end - start), lineNumber)
    }
    precondition(bytes >= 0 && start + bytes <= filled, "a block's lines taken beyond the block")
    start += bytes
    searched = max(searched, start)
    lineNumber += lines
  }

  /// Hands the complete lines already read to `body`, in place and in order, with their
  /// numbers, until `body` returns false or the read lines run out; the line `body`
  /// declined is returned again by ``next()``. Only ordinary lines are handed over (a
  /// first line, which may carry a byte-order mark, and over-long lines wait for
  /// ``next()``), each exactly as ``next()`` would return it: the fast way through a
  /// buffer of lines, with no slice or copy a line.
  mutating func forEachReadLine(_ body: (UnsafeBufferPointer<UInt8>, Int) -> Bool) {
    guard !first, !skippingLongLine else { return }
    let (consumed, number) = buffer.withUnsafeBufferPointer { b -> (Int, Int) in
      guard let base = b.baseAddress else { return (start, lineNumber) }
      var at = start
      var number = lineNumber
      while at < filled, let hit = memchr(base + at, 0x0A, filled - at) {
        let newline = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        var end = newline
        guard end - at <= Self.maxLineLength else { break }
        if end > at && base[end - 1] == 0x0D { end -= 1 }
        guard body(UnsafeBufferPointer(start: base + at, count: end - at), number + 1) else { break }
        number += 1
        at = newline + 1
      }
      return (at, number)
    }
    start = consumed
    searched = max(searched, consumed)
    lineNumber = number
  }

  private mutating func finish(_ line: inout ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    lineNumber += 1
    if first {
      first = false
      if line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
    }
    if line.last == 0x0D { line = line.dropLast() }
    return line
  }
}
