extension PHash: LosslessStringConvertible {
  /// Parses imagehash's 16-digit hex form (either case).
  ///
  /// - Throws: ``HashParseError`` naming the wrong length or the bad character.
  public init(hex: some StringProtocol) throws(HashParseError) {
    let words = try Hex.parse(hex, digitCount: 16)
    self.init(words[0])
  }

  /// Parses exactly 16 hex digits (either case); `nil` for anything else.
  @inlinable
  public init?(hexDigits: UnsafeBufferPointer<UInt8>) {
    guard hexDigits.count == 16, let base = hexDigits.baseAddress, let value = Hex.word(base, 16) else { return nil }
    self.init(value)
  }

  /// Parses the hex form; `nil` when it is not 16 hex digits.
  public init?(_ description: String) {
    guard let hash = try? PHash(hex: description) else { return nil }
    self = hash
  }

  /// The 16-digit lowercase hex form, as imagehash's `str(hash)` prints it.
  public var hexString: String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(16)
    Hex.append(value, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  public var description: String { hexString }
}

extension PHash: Codable {
  /// Decodes the 16-digit hex form.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let text = try container.decode(String.self)
    do {
      self = try PHash(hex: text)
    } catch {
      throw DecodingError.dataCorruptedError(
        in: container, debugDescription: "invalid pHash: \(error)")
    }
  }

  /// Encodes the 16-digit hex form.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(hexString)
  }
}
