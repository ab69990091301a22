/// Why a string could not be read as a hash.
public enum HashParseError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The string has the wrong number of hex digits.
  case wrongLength(expected: Int, actual: Int)
  /// The string holds a character that is not a hex digit, at the given offset.
  case invalidCharacter(Character, offset: Int)

  public var description: String {
    switch self {
    case .wrongLength(let expected, let actual):
      return "expected \(expected) hex digits, found \(actual)"
    case .invalidCharacter(let character, let offset):
      return "'\(character)' at offset \(offset) is not a hex digit"
    }
  }
}
