import ArgumentParser
import SieveCore
import SieveMatching

/// Match thresholds shared by `sieve match` and `sieve scan`.
struct ThresholdOptions: ParsableArguments {
  @Option(help: "Largest PDQ distance that matches (0-256).")
  var maxDistance: Int = 31

  @Option(help: "Match pHash too, at distances up to this (0-64). Off by default: on the dev corpus's 11,325 pairs of unrelated pictures, 1 was within 4 and 10 within 8, where PDQ had none within 31; PDQ alone meets the 1e-5 false-match budget.")
  var phashMaxDistance: Int?

  @Option(help: "Smallest PDQ quality that is matched (0-100).")
  var minQuality: Int = 50

  func validate() throws {
    guard (0...256).contains(maxDistance) else { throw ValidationError("--max-distance must be 0...256") }
    guard phashMaxDistance.map({ (0...64).contains($0) }) ?? true else { throw ValidationError("--phash-max-distance must be 0...64") }
    guard (0...100).contains(minQuality) else { throw ValidationError("--min-quality must be 0...100") }
  }

  func matchOptions(index: IndexKind = .auto) -> MatchOptions {
    MatchOptions(pdqMaxDistance: maxDistance, pdqMinQuality: minQuality, phashMaxDistance: phashMaxDistance, index: index)
  }
}
