import SieveCore

/// Thresholds for matching.
public struct MatchOptions: Sendable, Equatable {
  /// PDQ matches at distance ≤ this. Default 31, the ThreatExchange / HMA default.
  public var pdqMaxDistance: Int
  /// PDQ hashes with quality below this are reported as low quality and not matched.
  /// Default 50 (python-threatexchange's threshold).
  public var pdqMinQuality: Int
  /// pHash matches at distance ≤ this. Default 8 (of 64 bits).
  public var phashMaxDistance: Int
  /// The index to use for each perceptual column.
  public var index: IndexKind

  public init(pdqMaxDistance: Int = 31, pdqMinQuality: Int = 50, phashMaxDistance: Int = 8, index: IndexKind = .auto) {
    self.pdqMaxDistance = pdqMaxDistance
    self.pdqMinQuality = pdqMinQuality
    self.phashMaxDistance = phashMaxDistance
    self.index = index
  }
}
