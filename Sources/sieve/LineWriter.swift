import Foundation

/// Buffered line output to a file handle (stdout, stderr).
final class LineWriter {
  private let handle: FileHandle
  private var buffer: [UInt8] = []
  private let flushEvery: Int

  init(handle: FileHandle, flushEvery: Int = 1 << 16) {
    self.handle = handle
    self.flushEvery = handle == FileHandle.standardError ? 0 : flushEvery
  }

  func write(_ line: String) {
    buffer.append(contentsOf: line.utf8)
    buffer.append(0x0A)
    if buffer.count >= flushEvery { flush() }
  }

  func flush() {
    guard !buffer.isEmpty else { return }
    handle.write(Data(buffer))
    buffer.removeAll(keepingCapacity: true)
  }

  deinit { flush() }
}
