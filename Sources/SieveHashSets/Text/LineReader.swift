#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a text file line by line in 1 MiB chunks, whatever its size: strips a UTF-8
/// byte-order mark at the start and the `\r` of CRLF line ends.
struct LineReader {
  private let fd: Int32
  private var buffer: [UInt8] = []
  private var start = 0
  private var atEnd = false
  private var first = true
  /// The number of the line last returned (1-based).
  private(set) var lineNumber = 0

  init(path: String) throws(HashSetError) {
    fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .io(file: path, reason: String(cString: strerror(errno))) }
  }

  func close() { _ = systemClose(fd) }

  /// The next line's bytes, or `nil` at the end of the file.
  mutating func next() -> ArraySlice<UInt8>? {
    while true {
      if let newline = buffer[start...].firstIndex(of: 0x0A) {
        var line = buffer[start..<newline]
        start = newline + 1
        return finish(&line)
      }
      if atEnd {
        guard start < buffer.count else { return nil }
        var line = buffer[start...]
        start = buffer.count
        return finish(&line)
      }
      // Keep the partial line, read more.
      buffer.removeSubrange(0..<start)
      start = 0
      let old = buffer.count
      buffer.append(contentsOf: repeatElement(0, count: 1 << 20))
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + old, 1 << 20) }
      buffer.removeLast((1 << 20) - max(n, 0))
      if n <= 0 { atEnd = true }
    }
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

