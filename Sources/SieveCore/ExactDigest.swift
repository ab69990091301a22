/// An exact file digest (MD5, SHA-1 or SHA-256), compared by equality.
public struct ExactDigest: Hashable, Sendable, CustomStringConvertible {
  /// MD5, SHA-1 or SHA-256.
  public let kind: HashKind
  /// The digest's bytes packed big-endian into four words (unused bytes zero): held
  /// inline, so a list of millions of digests is one array, not one allocation each.
  private let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

  /// The digest bytes (16, 20 or 32).
  public var bytes: [UInt8] {
    let words = [w0, w1, w2, w3]
    return (0..<kind.hexDigits / 2).map { i in UInt8(truncatingIfNeeded: words[i / 8] >> (56 - 8 * UInt64(i % 8))) }
  }

  /// Appends the digest's bytes to `out`.
  public func appendBytes(to out: inout [UInt8]) {
    let count = kind.hexDigits / 2
    withUnsafeBytes(of: (w0.bigEndian, w1.bigEndian, w2.bigEndian, w3.bigEndian)) { out.append(contentsOf: $0.prefix(count)) }
  }

  /// Creates a digest from its bytes; the count must fit the kind.
  public init(kind: HashKind, bytes: [UInt8]) {
    precondition(!kind.isPerceptual && bytes.count * 2 == kind.hexDigits, "\(bytes.count) bytes is not a \(kind) digest")
    var words: [UInt64] = [0, 0, 0, 0]
    for (i, b) in bytes.enumerated() { words[i / 8] |= UInt64(b) << (56 - 8 * UInt64(i % 8)) }
    self.kind = kind
    (w0, w1, w2, w3) = (words[0], words[1], words[2], words[3])
  }

  /// Creates a digest from its bytes, which must be exactly `kind`'s number of bytes.
  public init(kind: HashKind, bytes: UnsafeRawBufferPointer) {
    precondition(!kind.isPerceptual && bytes.count * 2 == kind.hexDigits, "\(bytes.count) bytes is not a \(kind) digest")
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: bytes) }
    self.kind = kind
    (w0, w1, w2, w3) = (UInt64(bigEndian: words.0), UInt64(bigEndian: words.1), UInt64(bigEndian: words.2), UInt64(bigEndian: words.3))
  }

  /// Calls `body` with the digest's bytes (16, 20 or 32), without allocating.
  public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try withUnsafeBytes(of: (w0.bigEndian, w1.bigEndian, w2.bigEndian, w3.bigEndian)) { words in
      try body(UnsafeRawBufferPointer(rebasing: words[0..<(kind.hexDigits / 2)]))
    }
  }

  /// Parses the hex form (either case).
  ///
  /// - Throws: ``HashParseError`` naming the wrong length or the bad character.
  public init(kind: HashKind, hex: some StringProtocol) throws(HashParseError) {
    precondition(!kind.isPerceptual, "\(kind) is not an exact digest")
    var utf8 = Array(hex.utf8)
    guard utf8.count == kind.hexDigits else { throw .wrongLength(expected: kind.hexDigits, actual: hex.count) }
    if let digest = utf8.withUnsafeMutableBufferPointer({ ExactDigest(kind: kind, hexDigits: UnsafeBufferPointer($0)) }) {
      self = digest
      return
    }
    let offset = utf8.firstIndex { Hex.value(of: $0) == nil } ?? 0
    throw .invalidCharacter(Character(Unicode.Scalar(utf8[offset])), offset: offset)
  }

  /// Parses exactly `kind`'s number of hex digits (either case); `nil` for anything else.
  public init?(kind: HashKind, hexDigits: UnsafeBufferPointer<UInt8>) {
    guard !kind.isPerceptual, hexDigits.count == kind.hexDigits else { return nil }
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    let base = hexDigits.baseAddress!
    for k in 0..<(hexDigits.count + 15) / 16 {
      let n = min(16, hexDigits.count - 16 * k)
      guard let value = Hex.word(base + 16 * k, n) else { return nil }
      let word = n == 16 ? value : value << UInt64(64 - 4 * n)
      switch k {
      case 0: words.0 = word
      case 1: words.1 = word
      case 2: words.2 = word
      default: words.3 = word
      }
    }
    self.kind = kind
    (w0, w1, w2, w3) = words
  }

  /// The lowercase hex form.
  public var hexString: String { Hex.string(bytes) }

  public var description: String { hexString }
}
