import SievePipeline

/// The command line's arguments as raw bytes, so that a path that is not valid UTF-8
/// (argument-parser sees it with U+FFFD replacements) still names its file.
enum CommandLineBytes {
  /// The raw path for each parsed path argument: the argv entries that decode to the
  /// same text are taken in order, so two names differing only in invalid bytes (both
  /// decoding to U+FFFD) stay two paths.
  static func paths(for parsed: [String]) -> [RawPath] {
    var raw: [String: [RawPath]] = [:]
    for index in 1..<Int(CommandLine.argc) {
      guard let pointer = CommandLine.unsafeArgv[index] else { continue }
      let bytes = RawPath(bytes: UnsafeBufferPointer(start: pointer, count: strlenOf(pointer)).map { UInt8(bitPattern: $0) })
      raw[String(decoding: bytes.bytes, as: UTF8.self), default: []].append(bytes)
    }
    return parsed.map { text in
      guard var queue = raw[text], !queue.isEmpty else { return RawPath(text) }
      let first = queue.removeFirst()
      raw[text] = queue
      return first
    }
  }

  private static func strlenOf(_ pointer: UnsafePointer<CChar>) -> Int {
    var n = 0
    while pointer[n] != 0 { n += 1 }
    return n
  }
}
