import SieveCore
import SieveHashSets

/// Matches queries against loaded hash sets: PDQ (optionally in all 8 orientations) and
/// pHash by Hamming distance through an index per set and kind, exact digests by
/// binary search in the sets' sorted digest columns. Immutable once built, so one matcher serves many threads.
public final class Matcher: Sendable {
  /// The sets, in the order given.
  public let sets: [HashSet]
  /// The thresholds.
  public let options: MatchOptions
  private let pdqIndexes: [any HashIndex<PDQHash>]
  private let phashIndexes: [any HashIndex<PHash>]
  /// Each set's exact-digest columns, sorted (as set files carry them; a column of a list
  /// read as it was is sorted here, in a copy).
  private let digestColumns: [[HashKind: DigestColumn]]
  /// PDQ hashes in all sets, variants included (for ``FalseMatchEstimate``).
  private let totalPDQHashes: Int
  /// Known false matches, not reported (``NegativeList``).
  public let negative: NegativeList?
  private let suppressed = Locked(0)
  private let versionsByName: [String: String]

  /// Matches the negative list suppressed so far.
  public var suppressedMatches: Int { suppressed.current }

  /// Builds indexes for every set.
  ///
  /// - Complexity: O(total entries) for linear scans, more for MIH tables.
  /// - Parameters:
  ///   - versions: each set's version (``SieveHashSets/HashSetLoader/Loaded/version``), in
  ///     the order of `sets`, which a negative list's entries name; a set without one is
  ///     never affected by `negative`.
  public init(sets: [HashSet], options: MatchOptions = MatchOptions(), negative: NegativeList? = nil, versions: [String] = []) {
    self.sets = sets
    self.negative = negative
    var byName: [String: String] = [:]
    var ambiguous = Set<String>()
    for (set, version) in zip(sets, versions) {
      if let known = byName[set.name], known != version { ambiguous.insert(set.name) }
      byName[set.name] = version
    }
    for name in ambiguous { byName[name] = nil }
    versionsByName = byName
    self.options = options
    totalPDQHashes = sets.map(\.pdqHashes.count).reduce(0, +)
    pdqIndexes = sets.map { set in
      // Tables the set file carries are used as they are (no build) when the cost model
      // picks multi-index hashing for them, or when it was asked for.
      if let tables = set.pdqIndex,
        options.index == .mih || (options.index == .auto && IndexKind.prefersTables(tables.layout, bits: 256, radius: options.pdqMaxDistance))
      {
        return tables
      }
      return options.index.build(set.pdqHashes, radius: options.pdqMaxDistance)
    }
    phashIndexes = sets.map { options.index.build(options.phashMaxDistance == nil ? [] : $0.phashes, radius: options.phashMaxDistance ?? 0) }
    digestColumns = sets.map { set in
      set.digests.mapValues { column in
        var sorted = column
        sorted.sort()
        return sorted
      }
    }
  }

  /// Whether a PDQ query of this quality is matched at all.
  public func pdqQualityIsEnough(_ quality: Int?) -> Bool {
    (quality ?? 100) >= options.pdqMinQuality
  }

  /// Whether any PDQ picture of the query (the image, or a trimmed picture) is of enough
  /// quality to be matched.
  public func pdqQualityIsEnough(_ query: MatchQuery) -> Bool {
    query.hasMatchablePDQ(minimumQuality: options.pdqMinQuality)
  }

  /// Every match for `query`, ordered by set, then kind (PDQ, pHash, digests), then
  /// distance, then entry.
  public func matches(for query: MatchQuery) -> [Match] {
    var out: [Match] = []
    for (s, set) in sets.enumerated() {
      if pdqQualityIsEnough(query) {
        out += pdqMatches(query, set: s)
      }
      if let phash = query.phash, let radius = options.phashMaxDistance {
        for hit in phashIndexes[s].matches(for: phash, within: radius) {
          let entry = Int(set.phashEntries[hit.id])
          out.append(Match(set: set.name, entry: entry, id: set.id(of: entry), label: set.label(of: entry), kind: .phash, distance: hit.distance))
        }
      }
      for digest in query.digests {
        guard let column = digestColumns[s][digest.kind] else { continue }
        for row in column.rows(of: digest) {
          let e = Int(column.entries[row])
          out.append(Match(set: set.name, entry: e, id: set.id(of: e), label: set.label(of: e), kind: digest.kind, distance: 0))
        }
      }
    }
    guard let negative else { return out }
    let (kept, dropped) = negative.filter(out, for: query, version: { self.versionsByName[$0] }, minimumQuality: options.pdqMinQuality)
    if dropped > 0 { suppressed.withLock { $0 += dropped } }
    return kept
  }

  /// PDQ matches in one set: per entry the best distance over every probe of the query
  /// (``MatchQuery/pdqProbes(minimumQuality:)``) and every hash of the entry (its variants in an augmented
  /// set), and the first probe and variant that reach it.
  private func pdqMatches(_ query: MatchQuery, set s: Int) -> [Match] {
    let set = sets[s]
    let radius = options.pdqMaxDistance
    struct Best { var distance: Int; var probe: Int; var position: Int }
    var best: [Int32: Best] = [:]
    let probes = query.pdqProbes(minimumQuality: options.pdqMinQuality)
    for (p, probe) in probes.enumerated() {
      for hit in pdqIndexes[s].matches(for: probe.hash, within: radius) {
        let entry = set.pdqEntries[hit.id]
        if let known = best[entry], (known.distance, known.probe, known.position) <= (hit.distance, p, hit.id) { continue }
        best[entry] = Best(distance: hit.distance, probe: p, position: hit.id)
      }
    }
    let oriented = query.pdqDihedral != nil
    // Every probe is compared with every PDQ hash of every set.
    let comparisons = probes.count * totalPDQHashes
    return best.sorted { ($0.value.distance, $0.key) < ($1.value.distance, $1.key) }.map { entry, found in
      let e = Int(entry)
      let probe = probes[found.probe]
      let variant = set.pdqVariant(at: found.position)
      var match = Match(
        set: set.name, entry: e, id: set.id(of: e), label: set.label(of: e), kind: .pdq,
        distance: found.distance, orientation: oriented ? probe.orientation ?? .original : nil,
        queryPicture: probe.picture, variant: variant == .original ? nil : variant)
      match.queryPDQ = probe.hash
      match.expectedFalseMatches = FalseMatchEstimate.expectedFalseMatches(distance: found.distance, comparisons: comparisons)
      return match
    }
  }
}
