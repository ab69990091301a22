/// Reads the bits of a byte string, most significant first, for the parameter-set and
/// sequence-header parsers. Past the end it reads zeros and sets ``overrun``, so a parser
/// reads on and checks once at the end.
struct BitReader {
  private let bytes: [UInt8]
  private var position = 0
  /// Whether a read went past the last byte.
  private(set) var overrun = false

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  mutating func bit() -> Int {
    guard position < bytes.count * 8 else {
      overrun = true
      return 0
    }
    defer { position += 1 }
    return Int(bytes[position / 8] >> (7 - UInt8(position % 8))) & 1
  }

  /// The next `count` bits (at most 63) as an unsigned number.
  @discardableResult
  mutating func read(_ count: Int) -> Int {
    var value = 0
    for _ in 0..<count { value = value << 1 | bit() }
    return value
  }

  /// An Exp-Golomb code: H.265's ue(v) and AV1's uvlc(); nil for a code longer than 31
  /// bits (no size is that long).
  mutating func readExpGolomb() -> Int? {
    var zeros = 0
    while bit() == 0 {
      zeros += 1
      if zeros > 31 || overrun { return nil }
    }
    return (1 << zeros) - 1 + read(zeros)
  }
}
