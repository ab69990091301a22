/// How much of the query picture is hashed for matching, cheapest first. Every strategy
/// keeps the image's own PDQ hash, bit-exact with the reference; the richer ones add
/// hashes that find edited copies the image's own hash misses. A set's augmented
/// variants, when it has them, are matched whatever the strategy: they cost nothing at
/// query time.
public enum MatchStrategy: String, Sendable, Codable, CaseIterable {
  /// The image's own PDQ hash only.
  case plain
  /// Plus PDQ's eight DCT-domain rotations and flips (nearly free, inexact).
  case dihedral
  /// Plus the PDQ hashes of the picture really turned and flipped (``HashOptions/orientations``).
  case orientations
  /// The image's own hash plus the picture inside its uniform borders, when it has some
  /// (``HashOptions/borders``), not turned.
  case trim
  /// Orientations and borders together: the picture and the picture inside its borders,
  /// each in its eight orientations; and the picture extended by reflection as if it were
  /// a centre crop (``HashOptions/extensions``). The default.
  case full

  /// The strategy `match`, `scan` and `serve` use unless told otherwise.
  public static let `default` = MatchStrategy.full

  /// What the strategy adds, for help texts.
  public var summary: String {
    switch self {
    case .plain: return "the image's own PDQ hash"
    case .dihedral: return "plus PDQ's DCT-domain rotations and flips"
    case .orientations: return "plus the picture really turned and flipped"
    case .trim: return "plus the picture inside its uniform borders"
    case .full:
      return "orientations and borders: the picture and the picture inside its borders, each turned and flipped; the picture extended as if cropped"
    }
  }

  /// Sets the PDQ parts of `options` for this strategy.
  public func apply(to options: inout HashOptions) {
    options.dihedral = self == .dihedral
    options.orientations = self == .orientations || self == .full
    options.borders = self == .trim || self == .full
    options.extensions = self == .full
  }

  /// `options` set for this strategy.
  public func applied(to options: HashOptions) -> HashOptions {
    var copy = options
    apply(to: &copy)
    return copy
  }
}
