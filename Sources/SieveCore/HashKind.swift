/// The kinds of hash a hash set can hold: two perceptual, three exact.
public enum HashKind: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
  /// 256-bit PDQ (64 hex digits).
  case pdq
  /// 64-bit DCT pHash, imagehash flavour (16 hex digits).
  case phash
  /// MD5 file digest (32 hex digits).
  case md5
  /// SHA-1 file digest (40 hex digits).
  case sha1
  /// SHA-256 file digest (64 hex digits — the same length as PDQ, so never guessed).
  case sha256

  /// The number of hex digits of the value.
  public var hexDigits: Int {
    switch self {
    case .pdq, .sha256: return 64
    case .phash: return 16
    case .md5: return 32
    case .sha1: return 40
    }
  }

  /// Whether the kind is compared by Hamming distance (PDQ, pHash) rather than equality.
  public var isPerceptual: Bool { self == .pdq || self == .phash }

  /// The kinds a hex string of this length can be; more than one means ambiguous.
  public static func candidates(forHexDigits count: Int) -> [HashKind] {
    allCases.filter { $0.hexDigits == count }
  }

  public var description: String { rawValue }
}
