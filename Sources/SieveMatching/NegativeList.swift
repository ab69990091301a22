import SieveCore
import SieveHashSets

/// Known false matches, not to be reported again: files an examiner found not to be the
/// known item they matched (exported by `sieve review`), given as hash sets.
///
/// Each negative entry ties a file's hashes to **one known item of one version of a set**:
/// its `id` is the known entry's id and its `label` `SET@VERSION`, the set's name and its
/// version (``SieveHashSets/HashSetLoader/Loaded/version``: the checksum of the set as it was
/// read). A PDQ or pHash match of a query with that known item (same entry of a set of that
/// version; a set whose version the matcher does not know is never affected) is suppressed
/// when the query is the same file as the negative entry (the same SHA-256), or a near copy
/// of it: within
/// ``pdqMaxDistance`` (or ``phashMaxDistance``) of it **and closer to it than to the known
/// item**. Matches with any other known item are never suppressed, nor are exact-digest
/// matches: a file with a known item's digest is that item, and a true copy of a known
/// item lies nearer that item than any picture once mistaken for it.
public struct NegativeList: Sendable {
  /// Entries in the list.
  public let count: Int
  /// How near a negative entry a query's PDQ must be (default 16).
  public let pdqMaxDistance: Int
  /// How near a negative entry a query's pHash must be (default 4).
  public let phashMaxDistance: Int

  /// The known item a negative entry was mistaken for: the set's version and the entry's id.
  struct Key: Hashable, Sendable {
    var version: String
    var entry: String
  }

  /// The version in a negative entry's label (`SET@VERSION`, 16 hex digits); nil for a label
  /// without one (such an entry suppresses nothing).
  static func version(inLabel label: String) -> String? {
    guard let at = label.lastIndex(of: "@") else { return nil }
    let version = label[label.index(after: at)...]
    guard version.count == 16, version.allSatisfy(\.isHexDigit) else { return nil }
    return String(version)
  }

  private let pdq: any HashIndex<PDQHash>
  private let pdqKeys: [Key]
  private let phash: any HashIndex<PHash>
  private let phashKeys: [Key]
  private let digests: [ExactDigest: Set<Key>]

  public init(sets: [HashSet], pdqMaxDistance: Int = 16, phashMaxDistance: Int = 4) {
    self.pdqMaxDistance = pdqMaxDistance
    self.phashMaxDistance = phashMaxDistance
    count = sets.map(\.count).reduce(0, +)
    var pdqHashes: [PDQHash] = [], pdqKeys: [Key] = []
    var phashes: [PHash] = [], phashKeys: [Key] = []
    var digests: [ExactDigest: Set<Key>] = [:]
    for set in sets {
      for entry in set.entries {
        guard let version = Self.version(inLabel: entry.label) else { continue }
        let key = Key(version: version, entry: entry.id)
        if let h = entry.pdq {
          pdqHashes.append(h)
          pdqKeys.append(key)
        }
        if let h = entry.phash {
          phashes.append(h)
          phashKeys.append(key)
        }
        // The same file: the same SHA-256 only (MD5 and SHA-1 collisions can be made).
        if let d = entry.sha256 { digests[d, default: []].insert(key) }
      }
    }
    pdq = IndexKind.auto.build(pdqHashes, radius: pdqMaxDistance)
    phash = IndexKind.auto.build(phashes, radius: phashMaxDistance)
    (self.pdqKeys, self.phashKeys, self.digests) = (pdqKeys, phashKeys, digests)
  }

  /// `matches` of `query` without those the list suppresses, and how many it suppressed.
  /// `version` gives the version of a set by its name (nil when unknown or ambiguous: its
  /// matches are kept); `minimumQuality` is the matcher's (the query's pictures compared).
  public func filter(
    _ matches: [Match], for query: MatchQuery, version: (String) -> String?, minimumQuality: Int = 0
  ) -> (kept: [Match], suppressed: Int) {
    guard count > 0, matches.contains(where: { $0.kind == .pdq || $0.kind == .phash }) else { return (matches, 0) }
    var sameFile = Set<Key>()
    for d in query.digests { sameFile.formUnion(digests[d] ?? []) }
    // The query's distance to the nearest negative entry of each known item.
    var nearestPDQ: [Key: Int] = [:]
    for probe in query.pdqProbes(minimumQuality: minimumQuality) {
      for hit in pdq.matches(for: probe.hash, within: pdqMaxDistance) {
        nearestPDQ[pdqKeys[hit.id]] = min(nearestPDQ[pdqKeys[hit.id]] ?? .max, hit.distance)
      }
    }
    var nearestPHash: [Key: Int] = [:]
    if let p = query.phash {
      for hit in phash.matches(for: p, within: phashMaxDistance) {
        nearestPHash[phashKeys[hit.id]] = min(nearestPHash[phashKeys[hit.id]] ?? .max, hit.distance)
      }
    }
    let kept = matches.filter { match in
      guard let setVersion = version(match.set) else { return true }
      let key = Key(version: setVersion, entry: match.id)
      switch match.kind {
      case .pdq: return !(sameFile.contains(key) || (nearestPDQ[key] ?? .max) < match.distance)
      case .phash: return !(sameFile.contains(key) || (nearestPHash[key] ?? .max) < match.distance)
      default: return true
      }
    }
    return (kept, matches.count - kept.count)
  }
}
