import ArgumentParser
import SieveHashing

extension MatchStrategy: ExpressibleByArgument {}

/// `--strategy`, shared by match and scan (serve has its own, for uploads).
struct StrategyOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      """
      What of each image is hashed for PDQ matching. Cost is decoding and hashing time per \
      image over plain's, measured by `sieve eval` on the dev corpus's 4,530 edited copies: \
      plain (the image's own hash; 1.00x), dihedral (plus PDQ's DCT-domain rotations and \
      flips; 1.01x), orientations (plus the picture really turned and flipped; 1.24x), trim \
      (plus the picture inside uniform borders; 1.41x), full (the default: both, and the \
      picture extended by reflection as if cropped; 2.00x; 1.79-1.88x on the unedited \
      corpus). Copies found on average over the 30 edits: 49.6, 62.5, 66.4, 62.6 and 86.7 %. A set's augmented variants are matched whatever the strategy.
      """, valueName: "strategy"))
  var strategy: MatchStrategy?

  /// The strategy chosen, or the default.
  var resolved: MatchStrategy { strategy ?? .default }
}
