import SieveCore
import SieveHashSets

/// Known false matches, to stop reporting them: the files an examiner found not to be the
/// known item they matched (exported by `sieve review`), given as hash sets.
///
/// A perceptual match (PDQ, pHash) of a query is suppressed when the query is the same
/// file as a negative entry (an exact digest in common), or a near copy of one: within
/// ``pdqMaxDistance`` (or ``phashMaxDistance``) of it **and closer to it than to the known
/// entry it matched**. A true copy of a known item sits nearer that item than any benign
/// picture that once matched it, so it is still reported. Exact-digest matches are never
/// suppressed: a file with a known item's digest is that item.
public struct NegativeList: Sendable {
  /// Entries in the list.
  public let count: Int
  /// How near a negative entry a query's PDQ must be (default 16).
  public let pdqMaxDistance: Int
  /// How near a negative entry a query's pHash must be (default 4).
  public let phashMaxDistance: Int
  private let pdq: any HashIndex<PDQHash>
  private let phash: any HashIndex<PHash>
  private let digests: Set<ExactDigest>

  public init(sets: [HashSet], pdqMaxDistance: Int = 16, phashMaxDistance: Int = 4) {
    self.pdqMaxDistance = pdqMaxDistance
    self.phashMaxDistance = phashMaxDistance
    count = sets.map(\.count).reduce(0, +)
    pdq = IndexKind.auto.build(sets.flatMap(\.pdqHashes), radius: pdqMaxDistance)
    phash = IndexKind.auto.build(sets.flatMap(\.phashes), radius: phashMaxDistance)
    digests = Set(sets.flatMap { $0.digests.values.joined() })
  }

  /// `matches` of `query` without those the list suppresses.
  public func filter(_ matches: [Match], for query: MatchQuery) -> [Match] {
    guard count > 0, matches.contains(where: { $0.kind == .pdq || $0.kind == .phash }) else { return matches }
    let sameFile = query.digests.contains { digests.contains($0) }
    // The query's distance to the nearest negative entry, by kind.
    var nearestPDQ = Int.max
    if !sameFile {
      for probe in query.pdqProbes() {
        for hit in pdq.matches(for: probe.hash, within: pdqMaxDistance) { nearestPDQ = min(nearestPDQ, hit.distance) }
      }
    }
    var nearestPHash = Int.max
    if !sameFile, let p = query.phash {
      for hit in phash.matches(for: p, within: phashMaxDistance) { nearestPHash = min(nearestPHash, hit.distance) }
    }
    return matches.filter { match in
      switch match.kind {
      case .pdq: return !(sameFile || nearestPDQ < match.distance)
      case .phash: return !(sameFile || nearestPHash < match.distance)
      default: return true
      }
    }
  }
}
