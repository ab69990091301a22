/// Which "PDQ reference" to be bit-compatible with (spec §2.1).
public enum PDQMode: String, Sendable, Codable, CaseIterable {
  /// The C++ core on the full-resolution image: what python-threatexchange, HMA
  /// (Open Media Match), pip `pdqhash` and the Java reference produce. The default.
  case fullResolution = "fullres"
  /// The reference CLI `pdq-photo-hasher`: images over 512 px on a side are first
  /// squashed to exactly 512×512 by nearest-neighbour sampling (aspect not kept).
  case referenceCLI = "reference-cli"
}
