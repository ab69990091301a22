/// What to compute for each image.
public struct HashOptions: Sendable, Equatable {
  /// Compute the PDQ hash and quality.
  public var pdq: Bool
  /// Which PDQ reference to match.
  public var pdqMode: PDQMode
  /// Also compute the eight dihedral PDQ hashes.
  public var dihedral: Bool
  /// Compute the 64-bit pHash.
  public var phash: Bool

  public init(pdq: Bool = true, pdqMode: PDQMode = .fullResolution, dihedral: Bool = false, phash: Bool = true) {
    self.pdq = pdq
    self.pdqMode = pdqMode
    self.dihedral = dihedral
    self.phash = phash
  }
}
