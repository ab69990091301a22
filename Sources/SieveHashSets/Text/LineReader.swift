import SieveSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a text file line by line in 1 MiB chunks, whatever its size: strips a UTF-8
/// byte-order mark at the start and the `\r` of CRLF line ends. A line longer than
/// ``maxLineLength`` is returned as "too long" (its start only) rather than held whole,
/// and a read error is an error, never a silent end of file.
struct LineReader {
  /// The longest line kept; hash-list lines are far shorter.
  static let maxLineLength = 64 * 1024

  private let file: OpenFile
  private let path: String
  private var buffer: [UInt8] = []
  private var start = 0
  private var searched = 0
  private var atEnd = false
  private var first = true
  private var skippingLongLine = false
  /// The number of the line last returned (1-based).
  private(set) var lineNumber = 0
  /// A checksum of every byte read so far (the whole file once ``next()`` returned nil).
  private(set) var checksum = StreamingChecksum64()

  /// Everything read from the file, in order, is also handed to this (a digest of the
  /// same bytes that were parsed).
  private let observe: ((UnsafeRawBufferPointer) -> Void)?

  /// Opens `path` (a regular file or a pipe).
  init(path: String, observe: ((UnsafeRawBufferPointer) -> Void)? = nil) throws(HashSetError) {
    let file: OpenFile
    let kind: FileMetadata.Kind
    do throws(SystemError) {
      file = try OpenFile(path)
      kind = try file.metadata().kind
    } catch {
      throw .io(file: path, reason: error.description)
    }
    guard kind == .regular || kind == .fifo else { throw .io(file: path, reason: "not a regular file") }
    self.init(file: file, path: path, prefix: [], observe: observe)
  }

  /// The file's size when it was opened, for a regular file (nil for a pipe): what a
  /// reader may reserve memory by.
  let sizeHint: Int?
  /// Bytes read from the file so far, the prefix included.
  private var bytesRead = 0
  /// Bytes of the lines handed out so far (read, less what waits in the buffer).
  var bytesConsumed: Int { bytesRead - (buffer.count - start) }

  /// Reads an open file whose first bytes, `prefix`, were already read from it.
  init(file: OpenFile, path: String, prefix: [UInt8], observe: ((UnsafeRawBufferPointer) -> Void)? = nil) {
    self.file = file
    sizeHint = (try? file.metadata()).flatMap { $0.kind == .regular ? $0.size : nil }
    self.path = path
    self.observe = observe
    buffer = prefix
    bytesRead = prefix.count
    prefix.withUnsafeBytes { bytes in
      checksum.update(bytes)
      if !bytes.isEmpty { observe?(bytes) }
    }
  }

  /// The next line's bytes and whether it was cut at ``maxLineLength``, or `nil` at the end.
  mutating func next() throws(HashSetError) -> (bytes: ArraySlice<UInt8>, tooLong: Bool)? {
    while true {
      let from = max(start, searched)
      let found = buffer.withUnsafeBufferPointer { b -> Int? in
        guard from < b.count, let hit = memchr(b.baseAddress! + from, 0x0A, b.count - from) else { return nil }
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
      searched = buffer.count
      if buffer.count - start > Self.maxLineLength && !skippingLongLine {
        var line = buffer[start..<start + Self.maxLineLength]
        skippingLongLine = true
        start = buffer.count
        searched = start
        return (finish(&line), true)
      }
      if skippingLongLine { start = buffer.count; searched = start }
      if atEnd {
        guard start < buffer.count else { return nil }
        var line = buffer[start...]
        start = buffer.count
        return (finish(&line), false)
      }
      // Keep the partial line, read more.
      buffer.removeSubrange(0..<start)
      searched -= start
      start = 0
      let old = buffer.count
      buffer.append(contentsOf: repeatElement(0, count: 1 << 20))
      let n: Int
      do throws(SystemError) {
        n = try buffer.withUnsafeMutableBytes { raw in
          Result { () throws(SystemError) in try file.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[old...])) }
        }.get()
      } catch {
        buffer.removeLast(1 << 20)
        throw .io(file: path, reason: "read failed after line \(lineNumber): \(error)")
      }
      buffer.removeLast((1 << 20) - n)
      bytesRead += n
      buffer.withUnsafeBytes { raw in
        let chunk = UnsafeRawBufferPointer(rebasing: raw[old...])
        checksum.update(chunk)
        if n > 0 { observe?(chunk) }
      }
      if n == 0 { atEnd = true }
    }
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
      while at < b.count, let hit = memchr(base + at, 0x0A, b.count - at) {
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
