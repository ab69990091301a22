import ArgumentParser
import SieveCore
import SieveMatching

/// Match thresholds shared by `sieve match` and `sieve scan`.
struct ThresholdOptions: ParsableArguments {
  @Option(help: "Largest PDQ distance that matches (0-256).")
  var maxDistance: Int = 31

  @Option(help: "Largest pHash distance that matches (0-64).")
  var phashMaxDistance: Int = 8

  @Option(help: "Smallest PDQ quality that is matched (0-100).")
  var minQuality: Int = 50

  func validate() throws {
    guard (0...256).contains(maxDistance) else { throw ValidationError("--max-distance must be 0...256") }
    guard (0...64).contains(phashMaxDistance) else { throw ValidationError("--phash-max-distance must be 0...64") }
    guard (0...100).contains(minQuality) else { throw ValidationError("--min-quality must be 0...100") }
  }

  func matchOptions(index: IndexKind = .auto) -> MatchOptions {
    MatchOptions(pdqMaxDistance: maxDistance, pdqMinQuality: minQuality, phashMaxDistance: phashMaxDistance, index: index)
  }
}
