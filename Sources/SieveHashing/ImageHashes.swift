import SieveCore

/// The perceptual hashes of one image.
public struct ImageHashes: Sendable, Hashable {
  /// PDQ hash, quality and optional dihedral hashes; `nil` when not asked for.
  public var pdq: PDQOutput?
  /// The PDQ mode the hash was computed in.
  public var pdqMode: PDQMode
  /// The 64-bit pHash; `nil` when not asked for.
  public var phash: PHash?
  /// Width of the decoded image.
  public var width: Int
  /// Height of the decoded image.
  public var height: Int
  /// 1 for an exact decode; 2, 4 or 8 when fast mode decoded a JPEG at that fraction
  /// (`width` and `height` are still the image's own).
  public var scaleDenominator: Int = 1

  public init(pdq: PDQOutput?, pdqMode: PDQMode, phash: PHash?, width: Int, height: Int) {
    self.pdq = pdq
    self.pdqMode = pdqMode
    self.phash = phash
    self.width = width
    self.height = height
  }
}
