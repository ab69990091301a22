import SieveSystem


/// A file path as the bytes the file system holds, which need not be UTF-8.
///
/// Seized media hold names in Latin-1, CP1252 and worse; decoding them into `String`
/// would replace bytes with U+FFFD and lose the way back to the file. Sieve keeps the
/// bytes from the directory entry to `open(2)`, and only turns them into text for
/// output (``description``).
public struct RawPath: Hashable, Sendable, Comparable, CustomStringConvertible {
  /// The path's bytes, without a terminating NUL.
  public let bytes: [UInt8]

  /// A path from its bytes (a NUL byte ends it).
  public init(bytes: some Sequence<UInt8>) {
    self.bytes = Array(bytes.prefix { $0 != 0 })
  }

  /// A path from text (UTF-8).
  public init(_ string: String) {
    self.init(bytes: string.utf8)
  }

  /// This path with `name` appended after a `/`.
  public func appending(_ name: [UInt8]) -> RawPath {
    RawPath(bytes: bytes.last == UInt8(ascii: "/") ? bytes + name : bytes + [UInt8(ascii: "/")] + name)
  }

  /// Whether the bytes are valid UTF-8 (the path prints exactly as stored).
  public var isValidUTF8: Bool { String(validating: bytes, as: UTF8.self) != nil }

  /// The path as text: exactly the stored name when it is valid UTF-8; otherwise
  /// every byte that is not part of a valid UTF-8 character is written `\xNN`, and
  /// a backslash `\\`, so the bytes can be recovered.
  public var description: String {
    if let text = String(validating: bytes, as: UTF8.self) { return text }
    var out = ""
    var i = 0
    while i < bytes.count {
      if let (scalar, length) = Self.decodeScalar(bytes, at: i) {
        if scalar == "\\" { out += "\\\\" } else { out.unicodeScalars.append(scalar) }
        i += length
      } else {
        let hex = String(bytes[i], radix: 16)
        out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
        i += 1
      }
    }
    return out
  }

  /// Decodes one well-formed UTF-8 scalar at `i`, or `nil`.
  private static func decodeScalar(_ b: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
    let lead = b[i]
    let length: Int
    switch lead {
    case 0x00...0x7F: return (Unicode.Scalar(lead), 1)
    case 0xC2...0xDF: length = 2
    case 0xE0...0xEF: length = 3
    case 0xF0...0xF4: length = 4
    default: return nil
    }
    guard i + length <= b.count else { return nil }
    return String(validating: b[i..<i + length], as: UTF8.self)?.unicodeScalars.first.map { ($0, length) }
  }

  /// Calls `body` with the path as a NUL-terminated C string.
  public func withCString<T>(_ body: (UnsafePointer<CChar>) throws -> T) rethrows -> T {
    try (bytes + [0]).withUnsafeBufferPointer { buffer in
      try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
    }
  }

  public static func < (lhs: RawPath, rhs: RawPath) -> Bool {
    lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
  }
}

extension RawPath {
  /// `stat(2)` of this path (`followLinks`), or `lstat(2)`.
  public func metadata(followLinks: Bool) throws(SystemError) -> FileMetadata {
    try withCString { raw in Result { () throws(SystemError) in try FileSystem.metadata(raw, followLinks: followLinks) } }.get()
  }
}

extension ArchiveMember {
  /// The outermost archive's path, from a member's display path.
  public func containerPath(of path: RawPath) -> RawPath {
    RawPath(bytes: Array(path.bytes.prefix(containerPathLength)))
  }
}
