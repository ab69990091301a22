import SieveCore
import SieveSystem

/// Buffered line output to a file descriptor (stdout, stderr) with `write(2)`.
///
/// A write that fails (a full disk, a closed pipe) is remembered, not trapped on:
/// ``failure`` says why, and the command ends with status 1 and a message.
///
/// Lines for people (standard error, text output) have their control characters escaped
/// (``TerminalText``): a file name cannot forge an output line or send escape sequences.
final class LineWriter {
  /// The descriptor, not closed by this writer.
  private let output: OpenFile
  private var buffer: [UInt8] = []
  private let flushEvery: Int
  private let escapesControls: Bool
  /// The first write error, as `strerror` text.
  private(set) var failure: String?

  init(descriptor: Int32, flushEvery: Int = 1 << 16, escapesControls: Bool = false) {
    self.output = OpenFile(borrowing: descriptor)
    self.flushEvery = flushEvery
    self.escapesControls = escapesControls
  }

  /// Standard output. Control characters are escaped in each line for people (text
  /// formats), and whatever the format when standard output is a terminal.
  static func standardOutput(forPeople: Bool = false) -> LineWriter {
    LineWriter(descriptor: 1, escapesControls: forPeople || FileSystem.isTerminal(1))
  }

  /// Standard error: messages for people, control characters escaped.
  static func standardError() -> LineWriter { LineWriter(descriptor: 2, flushEvery: 0, escapesControls: true) }

  func write(_ line: String) {
    buffer.append(contentsOf: (escapesControls ? TerminalText.escape(line) : line).utf8)
    buffer.append(0x0A)
    if buffer.count >= flushEvery { flush() }
  }

  /// Writes text of several lines, each escaped like ``write(_:)``, at once.
  func writeLines(_ text: String) {
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0) {
      write(String(line))
    }
    flush()
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
    do { try output.write(buffer) } catch { failure = error.description }
  }

  deinit { flush() }
}
