/// How often an unrelated picture would match as closely by chance: for a PDQ match at
/// distance d, the share of pairs of unrelated pictures whose hashes lie within d
/// (``pdqShare(within:)``, measured on benign pictures and shipped as a table), times the
/// number of comparisons the query made (its PDQ probes times the PDQ hashes of every set).
///
/// Calibrated by `Scripts/calibrate_false_matches.py` on half of the dev corpus (pairs of an
/// edited copy and another original), and checked on the other half: where that half had
/// pairs (distance 60 and up) the share observed was 0.4–1.3 times the table's, erring
/// high (cautious) in the tail. Below distance 76 the table is an extrapolation of the
/// observed tail, so read small values as an order of magnitude, not a probability.
public enum FalseMatchEstimate {
  /// The share of pairs of unrelated pictures whose PDQ hashes are within `distance`.
  public static func pdqShare(within distance: Int) -> Double {
    pdqShareWithin[min(max(distance, 0), pdqShareWithin.count - 1)]
  }

  /// The expected number of unrelated pictures matching this closely: the share within
  /// `distance` times `comparisons` (query hashes × set hashes), at most `comparisons`.
  public static func expectedFalseMatches(distance: Int, comparisons: Int) -> Double {
    min(Double(comparisons), pdqShare(within: distance) * Double(comparisons))
  }
}
