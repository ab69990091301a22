/// One of the eight dihedral orientations (rotations and flips) PDQ can hash from a
/// single DCT, in the order the reference CLI's `--pdqdih-across` prints them.
///
/// Each case names the transform of the *image* whose hash the variant
/// approximates (verified against transformed files; spec §8).
public enum PDQOrientation: Int, Sendable, Codable, CaseIterable, CustomStringConvertible {
  /// The image as stored.
  case original = 0
  /// Rotated 90° counter-clockwise.
  case rotate90
  /// Rotated 180°.
  case rotate180
  /// Rotated 90° clockwise.
  case rotate270
  /// Flipped top to bottom.
  case flipX
  /// Mirrored left to right.
  case flipY
  /// Transposed about the main diagonal.
  case flipPlus1
  /// Transposed about the anti-diagonal.
  case flipMinus1

  /// The short name used in outputs: `original`, `rot90`, `rot180`, `rot270`,
  /// `flipx`, `flipy`, `flip_plus1`, `flip_minus1`.
  public var name: String {
    switch self {
    case .original: return "original"
    case .rotate90: return "rot90"
    case .rotate180: return "rot180"
    case .rotate270: return "rot270"
    case .flipX: return "flipx"
    case .flipY: return "flipy"
    case .flipPlus1: return "flip_plus1"
    case .flipMinus1: return "flip_minus1"
    }
  }

  /// Looks an orientation up by ``name``.
  public init?(name: String) {
    guard let match = Self.allCases.first(where: { $0.name == name }) else { return nil }
    self = match
  }

  public var description: String { name }
}
