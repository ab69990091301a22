import ArgumentParser
import SieveHashing

/// How `hash` and `match` take the PDQ hashes of the picture really turned and flipped.
struct OrientationOptions: ParsableArguments {
  @Flag(help: "Compute the PDQ hashes of the picture really turned and flipped (hash outputs them; match matches with them instead of PDQ's DCT-domain variants), taken from the one blurred plane where each turned picture would sample it (a plane of 256x256 or fewer is turned and hashed whole): on the dev corpus all 1,057 turned copies were hashed exactly (the DCT-domain variants were up to 114 bits off, mean 18.9, and matched 829), for 21 % more hashing time.")
  var orientations = false

  @Option(help: ArgumentHelp("With --orientations (or match's --strategy orientations or full): hash each turned picture again from the luma plane turned and reduced to this long side, instead of from the one blurred plane; 0: at full resolution, bit-exact with hashing turned files (4.3x the cost of plain hashing on the dev corpus).", valueName: "pixels"))
  var orientationSide: Int?

  func validate() throws {
    guard orientationSide.map({ $0 == 0 || $0 >= 64 }) ?? true else {
      throw ValidationError("--orientation-side must be 0 (full resolution) or at least 64 pixels")
    }
  }

  /// `options` with the turned pictures' hashes asked for as the flags say.
  func apply(to options: inout HashOptions) {
    if orientations { options.orientations = true }
    if let orientationSide { options.orientationMethod = .turnedPlane(side: orientationSide == 0 ? nil : orientationSide) }
  }
}
