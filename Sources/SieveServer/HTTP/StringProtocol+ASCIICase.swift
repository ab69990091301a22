extension StringProtocol {
  /// Whether the text starts with `prefix` (lowercase ASCII), letters compared without
  /// case: `lowercased().hasPrefix(prefix)` for the header values the service compares,
  /// without making a lowercased copy of each on every request.
  func hasASCIIPrefixIgnoringCase(_ prefix: StaticString) -> Bool {
    prefix.withUTF8Buffer { expected in
      var bytes = utf8.makeIterator()
      for e in expected {
        guard let b = bytes.next() else { return false }
        let lower = (0x41...0x5A).contains(b) ? b | 0x20 : b
        if lower != e { return false }
      }
      return true
    }
  }
}
