import SieveCore

/// Thresholds for matching.
public struct MatchOptions: Sendable, Equatable {
  /// PDQ matches at distance ≤ this. Default 31, the ThreatExchange / HMA default.
  public var pdqMaxDistance: Int
  /// PDQ hashes with quality below this are reported as low quality and not matched.
  /// Default 50 (python-threatexchange's threshold).
  public var pdqMinQuality: Int
  /// pHash matches at distance ≤ this; nil (the default): pHash is not matched. A 64-bit
  /// hash cannot meet PDQ's false-match budget at any useful radius: on the dev corpus's
  /// 11,325 pairs of unrelated pictures, 1 pair was within 4 and 10 within 8 (dark
  /// astronomy), where PDQ had none within 31.
  public var phashMaxDistance: Int?
  /// The index to use for each perceptual column.
  public var index: IndexKind

  public init(pdqMaxDistance: Int = 31, pdqMinQuality: Int = 50, phashMaxDistance: Int? = nil, index: IndexKind = .auto) {
    self.pdqMaxDistance = pdqMaxDistance
    self.pdqMinQuality = pdqMinQuality
    self.phashMaxDistance = phashMaxDistance
    self.index = index
  }
}
