import SieveEvidence
import SieveHashSets
import SieveMatching
import SievePipeline

/// Everything that changes a scan's results, stored with the run: an unfinished run is
/// resumed only with equal parameters, sets and evidence.
public struct ScanParameters: Sendable, Codable, Equatable {
  public var maxDistance: Int
  /// nil (absent): pHash was not matched.
  public var phashMaxDistance: Int?
  public var minQuality: Int
  public var pdqMode: String
  public var dihedral: Bool
  public var maxPixels: Int
  public var maxPixelsPerByte: Int
  public var maxBytes: Int
  /// Seconds; 0: no limit.
  public var maxSeconds: Double
  public var followSymlinks: Bool
  /// Pictures carved from disk images' unallocated space; nil (absent) when not.
  public var carve: Bool?
  /// How archives were opened; nil (absent) when they were not.
  public var archives: ArchiveReader.Limits?
  /// How the turned pictures' hashes were computed (`blurred-plane`); nil (absent) when
  /// PDQ's DCT-domain variants were matched.
  public var orientations: String?
  /// The match strategy when it is not told by ``dihedral`` and ``orientations`` alone
  /// (`plain`, `trim`, `full`); nil (absent) for runs that matched PDQ's DCT-domain
  /// variants or the turned pictures only, as every run before strategies did.
  public var strategy: String?
  public var fast: Bool
  /// The tool and its decoders' versions (hash values depend on the JPEG decoder).
  public var tool: String
  /// The text-set options.
  public var setLabel: String
  public var setType: String
  public var setFormat: String
  /// The known-good lists, each as `path sha256=…` (their contents, not only their names).
  public var knownGood: [String]
  /// The negative lists (known false matches not reported), as their sets are recorded;
  /// nil (absent) when none was given.
  public var negative: [HashSetRecord]? = nil

  enum CodingKeys: String, CodingKey {
    case maxDistance = "max_distance", phashMaxDistance = "phash_max_distance", minQuality = "min_quality"
    case pdqMode = "pdq_mode", dihedral, maxPixels = "max_pixels", maxPixelsPerByte = "max_pixels_per_byte"
    case maxBytes = "max_bytes", maxSeconds = "max_seconds", followSymlinks = "follow_symlinks", carve, archives, orientations, strategy, fast, tool
    case setLabel = "set_label", setType = "set_type", setFormat = "set_format", knownGood = "known_good", negative
  }
}

/// One hash set a run matched against, as recorded with the run.
public struct HashSetRecord: Sendable, Codable, Equatable {
  public var name: String
  public var path: String
  /// The set's version (``HashSetLoader/Loaded/version``).
  public var version: String
  /// The SHA-256 of the file, for the record of what was used.
  public var sha256: String
  public var entries: Int

  public init(name: String, path: String, version: String, sha256: String, entries: Int) {
    (self.name, self.path, self.version, self.sha256, self.entries) = (name, path, version, sha256, entries)
  }
}
