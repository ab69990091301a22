/// An exact file digest (MD5, SHA-1 or SHA-256), compared by equality.
public struct ExactDigest: Hashable, Sendable, CustomStringConvertible {
  /// MD5, SHA-1 or SHA-256.
  public let kind: HashKind
  /// The digest bytes (16, 20 or 32).
  public let bytes: [UInt8]

  /// Creates a digest from its bytes; the count must fit the kind.
  public init(kind: HashKind, bytes: [UInt8]) {
    precondition(!kind.isPerceptual && bytes.count * 2 == kind.hexDigits, "\(bytes.count) bytes is not a \(kind) digest")
    self.kind = kind
    self.bytes = bytes
  }

  /// Parses the hex form (either case).
  ///
  /// - Throws: ``HashParseError`` naming the wrong length or the bad character.
  public init(kind: HashKind, hex: some StringProtocol) throws(HashParseError) {
    precondition(!kind.isPerceptual, "\(kind) is not an exact digest")
    let utf8 = Array(hex.utf8)
    guard utf8.count == kind.hexDigits else { throw .wrongLength(expected: kind.hexDigits, actual: hex.count) }
    var bytes = [UInt8]()
    bytes.reserveCapacity(utf8.count / 2)
    var high: UInt8 = 0
    for (offset, c) in utf8.enumerated() {
      let nibble: UInt8
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = c - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = c - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = c - UInt8(ascii: "A") + 10
      default: throw .invalidCharacter(Character(Unicode.Scalar(c)), offset: offset)
      }
      if offset % 2 == 0 { high = nibble } else { bytes.append(high << 4 | nibble) }
    }
    self.kind = kind
    self.bytes = bytes
  }

  /// The lowercase hex form.
  public var hexString: String { Hex.string(bytes) }

  public var description: String { hexString }
}
