import SieveCore
import SieveHashSets

/// Known false matches, not to be reported again: files an examiner found not to be the
/// known item they matched (exported by `sieve review`), given as hash sets.
///
/// Each negative entry ties a file's hashes to **one known item**: its `id` is the known
/// entry's id and its `label` the known set's name. A PDQ or pHash match of a query with
/// that known item (same set, same entry) is suppressed when the query is the same file as
/// the negative entry (an exact digest in common), or a near copy of it: within
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

  /// The known item a negative entry was mistaken for.
  struct Key: Hashable, Sendable {
    var set: String
    var entry: String
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
        let key = Key(set: entry.label, entry: entry.id)
        if let h = entry.pdq {
          pdqHashes.append(h)
          pdqKeys.append(key)
        }
        if let h = entry.phash {
          phashes.append(h)
          phashKeys.append(key)
        }
        for d in [entry.md5, entry.sha1, entry.sha256].compactMap({ $0 }) { digests[d, default: []].insert(key) }
      }
    }
    pdq = IndexKind.auto.build(pdqHashes, radius: pdqMaxDistance)
    phash = IndexKind.auto.build(phashes, radius: phashMaxDistance)
    (self.pdqKeys, self.phashKeys, self.digests) = (pdqKeys, phashKeys, digests)
  }

  /// `matches` of `query` without those the list suppresses, and how many it suppressed.
  public func filter(_ matches: [Match], for query: MatchQuery) -> (kept: [Match], suppressed: Int) {
    guard count > 0, matches.contains(where: { $0.kind == .pdq || $0.kind == .phash }) else { return (matches, 0) }
    var sameFile = Set<Key>()
    for d in query.digests { sameFile.formUnion(digests[d] ?? []) }
    // The query's distance to the nearest negative entry of each known item.
    var nearestPDQ: [Key: Int] = [:]
    for probe in query.pdqProbes() {
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
      let key = Key(set: match.set, entry: match.id)
      switch match.kind {
      case .pdq: return !(sameFile.contains(key) || (nearestPDQ[key] ?? .max) < match.distance)
      case .phash: return !(sameFile.contains(key) || (nearestPHash[key] ?? .max) < match.distance)
      default: return true
      }
    }
    return (kept, matches.count - kept.count)
  }
}
