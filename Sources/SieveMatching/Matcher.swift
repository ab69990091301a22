import SieveCore
import SieveHashSets

/// Matches queries against loaded hash sets: PDQ (optionally in all 8 orientations) and
/// pHash by Hamming distance through an index per set and kind, exact digests by
/// hash-table lookup. Immutable once built, so one matcher serves many threads.
public final class Matcher: Sendable {
  /// The sets, in the order given.
  public let sets: [HashSet]
  /// The thresholds.
  public let options: MatchOptions
  private let pdqIndexes: [any HashIndex<PDQHash>]
  private let phashIndexes: [any HashIndex<PHash>]
  private let digestTables: [[ExactDigest: [Int32]]]

  /// Builds indexes for every set.
  ///
  /// - Complexity: O(total entries) for linear scans, more for MIH tables.
  public init(sets: [HashSet], options: MatchOptions = MatchOptions()) {
    self.sets = sets
    self.options = options
    pdqIndexes = sets.map { options.index.build($0.pdqHashes, radius: options.pdqMaxDistance) }
    phashIndexes = sets.map { options.index.build($0.phashes, radius: options.phashMaxDistance) }
    digestTables = sets.map { set in
      var table: [ExactDigest: [Int32]] = [:]
      for (kind, digests) in set.digests {
        for (i, d) in digests.enumerated() { table[d, default: []].append(set.digestEntries[kind]![i]) }
      }
      return table
    }
  }

  /// Whether a PDQ query of this quality is matched at all.
  public func pdqQualityIsEnough(_ quality: Int?) -> Bool {
    (quality ?? 100) >= options.pdqMinQuality
  }

  /// Every match for `query`, ordered by set, then kind (PDQ, pHash, digests), then
  /// distance, then entry.
  public func matches(for query: MatchQuery) -> [Match] {
    var out: [Match] = []
    for (s, set) in sets.enumerated() {
      if let pdq = query.pdq, pdqQualityIsEnough(query.pdqQuality) {
        out += pdqMatches(pdq, dihedral: query.pdqDihedral, set: s)
      }
      if let phash = query.phash {
        for hit in phashIndexes[s].matches(for: phash, within: options.phashMaxDistance) {
          let entry = Int(set.phashEntries[hit.id])
          out.append(Match(set: set.name, entry: entry, id: set.id(of: entry), label: set.label(of: entry), kind: .phash, distance: hit.distance))
        }
      }
      for digest in query.digests {
        for entry in digestTables[s][digest] ?? [] {
          let e = Int(entry)
          out.append(Match(set: set.name, entry: e, id: set.id(of: e), label: set.label(of: e), kind: digest.kind, distance: 0))
        }
      }
    }
    return out
  }

  /// PDQ matches in one set; with dihedral hashes, per entry the best distance and
  /// the first orientation (in ``PDQOrientation`` order) that reaches it.
  private func pdqMatches(_ pdq: PDQHash, dihedral: PDQDihedralHashes?, set s: Int) -> [Match] {
    let set = sets[s]
    let radius = options.pdqMaxDistance
    var best: [Int: (distance: Int, orientation: PDQOrientation)] = [:]
    let queries: [(PDQHash, PDQOrientation?)] =
      dihedral.map { d in PDQOrientation.allCases.map { (d[$0], $0) } } ?? [(pdq, nil)]
    for (hash, orientation) in queries {
      for hit in pdqIndexes[s].matches(for: hash, within: radius) {
        if let known = best[hit.id], known.distance <= hit.distance { continue }
        best[hit.id] = (hit.distance, orientation ?? .original)
      }
    }
    return best.sorted { ($0.value.distance, $0.key) < ($1.value.distance, $1.key) }.map { id, found in
      let entry = Int(set.pdqEntries[id])
      return Match(
        set: set.name, entry: entry, id: set.id(of: entry), label: set.label(of: entry), kind: .pdq,
        distance: found.distance, orientation: dihedral == nil ? nil : found.orientation)
    }
  }
}
