/// Hex digit helpers shared by the hash types' string forms.
public enum Hex {
  @usableFromInline
  static let digits: [UInt8] = Array("0123456789abcdef".utf8)

  /// The value of each byte as a hex digit (either case), 0xFF for anything else.
  @usableFromInline
  static let values: [UInt8] = (0..<256).map { b -> UInt8 in
    switch b {
    case 0x30...0x39: return UInt8(b - 0x30)
    case 0x61...0x66: return UInt8(b - 0x61 + 10)
    case 0x41...0x46: return UInt8(b - 0x41 + 10)
    default: return 0xFF
    }
  }

  /// The value of one hex digit, or nil.
  @inlinable
  public static func value(of byte: UInt8) -> UInt8? {
    let v = values[Int(byte)]
    return v == 0xFF ? nil : v
  }

  /// `count` (1…16) hex digits at `digits` as a number, or nil if any is not a hex digit.
  ///
  /// Whole groups of eight digits are read eight at a time (``octet(_:)``); a shorter
  /// tail digit by digit.
  @inlinable @inline(__always)
  public static func word(_ digits: UnsafePointer<UInt8>, _ count: Int) -> UInt64? {
    var value: UInt64 = 0
    var i = 0
    while count - i >= 8 {
      guard let eight = octet(UnsafeRawPointer(digits + i)) else { return nil }
      value = value << 32 | UInt64(eight)
      i += 8
    }
    while i < count {
      guard let v = Hex.value(of: digits[i]) else { return nil }
      value = value << 4 | UInt64(v)
      i += 1
    }
    return value
  }

  /// The eight hex digits (either case) at `digits` as a number, or nil if any is not a
  /// hex digit: read as one 64-bit word and checked and converted in its bytes together.
  @inlinable @inline(__always)
  static func octet(_ digits: UnsafeRawPointer) -> UInt32? {
    @inline(__always) func each(_ b: UInt64) -> UInt64 { b &* 0x0101_0101_0101_0101 }
    let x = UInt64(littleEndian: digits.loadUnaligned(as: UInt64.self))
    // The high bit of each byte of `atLeast(v, k)` says whether that byte is ≥ k; exact
    // for bytes under 0x80 (no byte's sum carries into the next), and those are checked.
    @inline(__always) func atLeast(_ v: UInt64, _ k: UInt64) -> UInt64 { (v &+ each(0x80 &- k)) & each(0x80) }
    let lower = x | each(0x20)  // 'A'…'F' to 'a'…'f'; digits keep their values
    let digit = atLeast(x, 0x30) & ~atLeast(x, 0x3A)
    let letter = atLeast(lower, 0x61) & ~atLeast(lower, 0x67)
    guard x & each(0x80) == 0, digit | letter == each(0x80) else { return nil }
    // Each byte's value (a letter's low four bits are 1…6: add 9), then the nibbles
    // packed in text order: the first digit is the most significant.
    let nibbles = (x & each(0x0F)) &+ (letter >> 7) &* 9
    let pairs = ((nibbles << 4) | (nibbles >> 8)) & 0x00FF_00FF_00FF_00FF
    let quads = (pairs | (pairs >> 8)) & 0x0000_FFFF_0000_FFFF
    let bytes = UInt32(truncatingIfNeeded: quads | (quads >> 16))
    return bytes.byteSwapped
  }

  /// `bytes` as lower-case hex, two digits a byte.
  public static func string(_ bytes: some Sequence<UInt8>) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.underestimatedCount * 2)
    for b in bytes {
      out.append(digits[Int(b >> 4)])
      out.append(digits[Int(b & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Parses exactly `digitCount` hex digits (either case) into 64-bit words,
  /// most significant word first.
  static func parse(_ text: some StringProtocol, digitCount: Int) throws(HashParseError) -> [UInt64] {
    let utf8 = Array(text.utf8)
    guard utf8.count == digitCount else {
      throw .wrongLength(expected: digitCount, actual: text.count)
    }
    var words: [UInt64] = []
    words.reserveCapacity((digitCount + 15) / 16)
    var current: UInt64 = 0
    for (offset, byte) in utf8.enumerated() {
      let nibble: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte &- UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte &- UInt8(ascii: "a") &+ 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte &- UInt8(ascii: "A") &+ 10
      default:
        throw .invalidCharacter(Character(Unicode.Scalar(byte)), offset: offset)
      }
      current = (current << 4) | UInt64(nibble)
      if offset % 16 == 15 {
        words.append(current)
        current = 0
      }
    }
    return words
  }

  /// Writes `word` as 16 lowercase hex digits.
  static func append(_ word: UInt64, to bytes: inout [UInt8]) {
    for shift in stride(from: 60, through: 0, by: -4) {
      bytes.append(digits[Int((word >> UInt64(shift)) & 0xF)])
    }
  }
}
