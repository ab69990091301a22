extension PDQHash: LosslessStringConvertible {
  /// Parses the standard 64-character hex form (either case).
  ///
  /// - Throws: ``HashParseError`` naming the wrong length or the bad character.
  public init(hex: some StringProtocol) throws(HashParseError) {
    let words = try Hex.parse(hex, digitCount: 64)
    self.init(w0: words[3], w1: words[2], w2: words[1], w3: words[0])
  }

  /// Parses exactly 64 hex digits (either case); `nil` for anything else.
  @inlinable
  public init?(hexDigits: UnsafeBufferPointer<UInt8>) {
    guard hexDigits.count == 64, let base = hexDigits.baseAddress,
      let a = Hex.word(base, 16), let b = Hex.word(base + 16, 16), let c = Hex.word(base + 32, 16),
      let d = Hex.word(base + 48, 16)
    else { return nil }
    self.init(w0: d, w1: c, w2: b, w3: a)
  }

  /// Parses the standard hex form; `nil` when it is not 64 hex digits.
  public init?(_ description: String) {
    guard let hash = try? PDQHash(hex: description) else { return nil }
    self = hash
  }

  /// The standard 64-character lowercase hex form, as the PDQ reference prints it.
  public var hexString: String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(64)
    Hex.append(w3, to: &bytes)
    Hex.append(w2, to: &bytes)
    Hex.append(w1, to: &bytes)
    Hex.append(w0, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  public var description: String { hexString }
}

extension PDQHash: Codable {
  /// Decodes the 64-character hex form.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let text = try container.decode(String.self)
    do {
      self = try PDQHash(hex: text)
    } catch {
      throw DecodingError.dataCorruptedError(
        in: container, debugDescription: "invalid PDQ hash: \(error)")
    }
  }

  /// Encodes the 64-character hex form.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(hexString)
  }
}
