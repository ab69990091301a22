import SieveCore

/// What to compute for each image.
public struct HashOptions: Sendable, Equatable {
  /// Compute the PDQ hash and quality.
  public var pdq: Bool
  /// Which PDQ reference to match.
  public var pdqMode: PDQMode
  /// Also compute the eight dihedral PDQ hashes (the DCT-domain trick).
  public var dihedral: Bool
  /// Also compute the PDQ hashes of the picture really turned and flipped, by
  /// ``orientationMethod``.
  public var orientations = false
  /// How the turned pictures' hashes are computed.
  public var orientationMethod = OrientationMethod.blurredPlane
  /// Also hash the picture inside its uniform borders (pads, letterbox, frames), found by
  /// ``borderDetector``, in the same orientations as the image: the query side of border
  /// normalisation. Only images with borders get the extra hash.
  public var borders = false
  /// Also hash the picture extended by reflection as if it were a 90 % and an 80 %-area
  /// centre crop (``PDQVariant/extended90``, ``PDQVariant/extended80``), sampled from the
  /// image's one blurred plane (``PDQHasher/extendedAreas``): the query side of crop
  /// normalisation, nearly free.
  public var extensions = false
  /// The border finder used by ``borders`` and the ``PDQVariant/trimmed`` variant.
  public var borderDetector = BorderDetector()
  /// Variants to hash beside the image, for augmented sets (``PDQVariant``; ``PDQVariant/original``
  /// is the image's own hash and ignored here). ``PDQVariant/trimmed`` is computed only for an
  /// image with borders.
  public var variants: [PDQVariant] = []

  /// How the turned pictures' hashes are computed.
  public enum OrientationMethod: Sendable, Equatable {
    /// From the original's one blurred plane, each turned picture's samples taken where
    /// it would take them (``PDQHasher/turnedFromBlur``): nearly free, a few bits off the
    /// exact hashes at most where the box filters clip at the edges. A plane of 256 × 256
    /// pixels or fewer, where those edges weigh most, is turned and hashed whole instead
    /// (exact, and cheap at that size).
    case blurredPlane
    /// The luma plane turned and hashed again (``PDQOrientedHasher``), reduced to this long
    /// side first; nil: at full resolution, bit-exact with hashing a turned file.
    case turnedPlane(side: Int?)
  }
  /// Take PDQ's luma from RGB even when every pixel is gray. By default a gray picture
  /// delivered as RGB is hashed from its gray values, as the PDQ reference reads a
  /// grayscale file; vPDQ converts every video frame to RGB and takes luma from that.
  public var grayFromRGB = false
  /// Compute the 64-bit pHash.
  public var phash: Bool
  /// Fast mode: decode large JPEGs at 1/2, 1/4 or 1/8 scale in the DCT domain, keeping
  /// the short side at least ``fastMinimumShortSide`` pixels. Much faster on large
  /// photos; the hashes drift a few bits from exact mode (measured in the README).
  public var fastJPEG: Bool

  /// The smallest short side a fast-mode JPEG is decoded at.
  public static let fastMinimumShortSide = 384

  public init(
    pdq: Bool = true, pdqMode: PDQMode = .fullResolution, dihedral: Bool = false, phash: Bool = true,
    fastJPEG: Bool = false
  ) {
    self.pdq = pdq
    self.pdqMode = pdqMode
    self.dihedral = dihedral
    self.phash = phash
    self.fastJPEG = fastJPEG
  }

  /// The JPEG scale denominator fast mode uses for an image of this size: the largest
  /// of 8, 4, 2 that keeps the decoded short side ≥ ``fastMinimumShortSide``, else 1.
  public static func fastScaleDenominator(width: Int, height: Int) -> Int {
    let shortSide = min(width, height)
    for denominator in [8, 4, 2] where (shortSide + denominator - 1) / denominator >= fastMinimumShortSide {
      return denominator
    }
    return 1
  }
}
