#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered line output to a file descriptor (stdout, stderr) with `write(2)`.
///
/// A write that fails (a full disk, a closed pipe) is remembered, not trapped on:
/// ``failure`` says why, and the command ends with status 1 and a message.
final class LineWriter {
  private let descriptor: Int32
  private var buffer: [UInt8] = []
  private let flushEvery: Int
  /// The first write error, as `strerror` text.
  private(set) var failure: String?

  init(descriptor: Int32, flushEvery: Int = 1 << 16) {
    self.descriptor = descriptor
    self.flushEvery = flushEvery
  }

  static func standardOutput() -> LineWriter { LineWriter(descriptor: STDOUT_FILENO) }
  static func standardError() -> LineWriter { LineWriter(descriptor: STDERR_FILENO, flushEvery: 0) }

  func write(_ line: String) {
    buffer.append(contentsOf: line.utf8)
    buffer.append(0x0A)
    if buffer.count >= flushEvery { flush() }
  }

  /// Writes raw text (no newline) at once.
  func writeNow(_ text: String) {
    buffer.append(contentsOf: text.utf8)
    flush()
  }

  func flush() {
    guard !buffer.isEmpty else { return }
    defer { buffer.removeAll(keepingCapacity: true) }
    guard failure == nil else { return }
    buffer.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let n = systemWrite(descriptor, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          failure = String(cString: strerror(errno))
          return
        }
        offset += n
      }
    }
  }

  deinit { flush() }
}

@inline(__always)
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
  #if canImport(Glibc)
  return Glibc.write(fd, buffer, count)
  #else
  return Darwin.write(fd, buffer, count)
  #endif
}
