import SieveCore
import SieveHashSets

/// Matches videos by vPDQ's rule (python-threatexchange's `VPDQ` signal type): each side's
/// frame hashes are de-duplicated (the first frame of each distinct hash kept) and those
/// under the quality threshold dropped; a query frame matches when some frame of the other
/// video lies within the distance. Two videos match when the share of the query's frames
/// that match (query match %) and the share of the other's frames matched by the query
/// (compared match %) both reach their thresholds.
///
/// The known videos' frames go into one Hamming index (chosen as for images), so a query
/// costs one radius search a distinct frame, however many videos are known.
public struct VideoMatcher: Sendable {
  /// A known video: its id and label (as an image set's entries have) and its features.
  public struct Entry: Sendable, Equatable {
    public var id: String
    public var label: String
    public var features: [VPDQFeature]
    /// An augmented set's: PDQ hashes of its frames' variants (crops). A query frame that
    /// matches one matches its frame.
    public var variants: [VPDQVariant] = []
    public init(id: String, label: String = "", features: [VPDQFeature], variants: [VPDQVariant] = []) {
      self.variants = variants
      self.id = id
      self.label = label
      self.features = features
    }
  }

  /// The thresholds. The defaults are python-threatexchange's: distance ≤ 31, quality ≥ 50,
  /// query match ≥ 80 %, compared match ≥ 0 %.
  public struct Options: Sendable, Equatable {
    public var maxDistance: Int
    public var minimumQuality: Int
    public var queryMatchPercent: Double
    public var comparedMatchPercent: Double
    public init(maxDistance: Int = 31, minimumQuality: Int = 50, queryMatchPercent: Double = 80, comparedMatchPercent: Double = 0) {
      self.maxDistance = maxDistance
      self.minimumQuality = minimumQuality
      self.queryMatchPercent = queryMatchPercent
      self.comparedMatchPercent = comparedMatchPercent
    }
  }

  /// A known video that matched, with the evidence: both percentages and, for each query
  /// frame that matched it, the nearest of its frames.
  public struct Match: Sendable, Equatable {
    public var entry: Int
    public var id: String
    public var label: String
    /// Share of the query's distinct, quality-passing frames that match this video (0–100).
    public var queryMatchPercent: Double
    /// Share of this video's distinct, quality-passing frames some query frame matches.
    public var comparedMatchPercent: Double
    /// Each matching query frame with this video's nearest frame.
    public var frames: [FramePair]
  }

  /// One query frame and the known video's nearest frame to it.
  public struct FramePair: Sendable, Equatable {
    public var query: VPDQFeature
    public var known: VPDQFeature
    public var distance: Int
  }

  public let entries: [Entry]
  public let options: Options
  /// Each indexed frame: (entry, feature index in the entry's kept frames).
  private let owners: [(entry: Int, frame: Int)]
  /// Each entry's kept frames (distinct, passing quality).
  private let kept: [[VPDQFeature]]
  private let index: (any HashIndex<PDQHash>)?

  public init(entries: [Entry], options: Options = Options()) {
    self.entries = entries
    self.options = options
    var kept: [[VPDQFeature]] = []
    var owners: [(entry: Int, frame: Int)] = []
    var hashes: [PDQHash] = []
    for (e, entry) in entries.enumerated() {
      let frames = Self.kept(entry.features, minimumQuality: options.minimumQuality)
      for (f, frame) in frames.enumerated() {
        owners.append((e, f))
        hashes.append(frame.hash)
      }
      // A variant stands for its frame: the kept frame of the same hash (the first of a
      // repeated hash is kept); none when its frame was dropped for its quality.
      if !entry.variants.isEmpty {
        let keptByHash = Dictionary(frames.enumerated().map { ($0.element.hash, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let hashOfFrame = Dictionary(entry.features.map { ($0.frameNumber, $0.hash) }, uniquingKeysWith: { a, _ in a })
        for variant in entry.variants {
          guard let hash = hashOfFrame[variant.frameNumber], let f = keptByHash[hash] else { continue }
          owners.append((e, f))
          hashes.append(variant.hash)
        }
      }
      kept.append(frames)
    }
    self.kept = kept
    self.owners = owners
    self.index =
      hashes.isEmpty ? nil : IndexKind.choose(bits: 256, radius: options.maxDistance, count: hashes.count).build(hashes, radius: options.maxDistance)
  }

  /// vPDQ's frames to compare: the first frame of each distinct hash, at or over the
  /// quality threshold.
  public static func kept(_ features: [VPDQFeature], minimumQuality: Int) -> [VPDQFeature] {
    var seen: Set<PDQHash> = []
    return features.filter { seen.insert($0.hash).inserted && $0.quality >= minimumQuality }
  }

  /// The known videos `query` matches, best first (by query match %, then compared).
  public func matches(_ query: [VPDQFeature]) -> [Match] {
    let frames = Self.kept(query, minimumQuality: options.minimumQuality)
    guard let index, !frames.isEmpty else { return [] }
    // For each entry: the query frames that match it (with the nearest known frame), and
    // which of its frames were matched.
    var pairs: [Int: [FramePair]] = [:]
    var matchedKnown: [Int: Set<Int>] = [:]
    for frame in frames {
      var nearest: [Int: (Int, Int)] = [:]  // entry -> (frame, distance)
      for hit in index.matches(for: frame.hash, within: options.maxDistance) {
        let owner = owners[hit.id]
        matchedKnown[owner.entry, default: []].insert(owner.frame)
        if let best = nearest[owner.entry], best.1 <= hit.distance { continue }
        nearest[owner.entry] = (owner.frame, hit.distance)
      }
      for (entry, best) in nearest {
        pairs[entry, default: []].append(FramePair(query: frame, known: kept[entry][best.0], distance: best.1))
      }
    }
    var out: [Match] = []
    for (entry, found) in pairs {
      let queryPercent = Double(found.count) * 100 / Double(frames.count)
      let comparedPercent = Double(matchedKnown[entry]?.count ?? 0) * 100 / Double(max(1, kept[entry].count))
      guard queryPercent >= options.queryMatchPercent, comparedPercent >= options.comparedMatchPercent else { continue }
      out.append(Match(
        entry: entry, id: entries[entry].id, label: entries[entry].label, queryMatchPercent: queryPercent,
        comparedMatchPercent: comparedPercent, frames: found.sorted { $0.query.frameNumber < $1.query.frameNumber }))
    }
    return out.sorted {
      ($0.queryMatchPercent, $0.comparedMatchPercent, -$0.entry) > ($1.queryMatchPercent, $1.comparedMatchPercent, -$1.entry)
    }
  }
}

extension VideoMatcher {
  /// One matcher for each of `sets` that holds videos, with the set's name.
  public static func matchers(for sets: [HashSet], options: Options) -> [(set: String, matcher: VideoMatcher)] {
    sets.filter(\.hasVideos).map { ($0.name, VideoMatcher(set: $0, options: options)) }
  }

  /// A matcher of the videos in `set` (its entries that hold vPDQ features).
  public init(set: HashSet, options: Options = Options()) {
    self.init(
      entries: {
        let variants = set.videoVariants
        return set.videos.map {
          Entry(id: set.id(of: $0.entry), label: set.label(of: $0.entry), features: $0.features, variants: variants[$0.entry] ?? [])
        }
      }(),
      options: options)
  }
}

extension VideoMatcher.Options {
  /// The frame thresholds of picture matching (PDQ distance and quality) with vPDQ's two
  /// percentages.
  public init(_ match: MatchOptions, queryMatchPercent: Double = 80, comparedMatchPercent: Double = 0) {
    self.init(
      maxDistance: match.pdqMaxDistance, minimumQuality: match.pdqMinQuality, queryMatchPercent: queryMatchPercent,
      comparedMatchPercent: comparedMatchPercent)
  }
}

extension MatchQuery {
  /// A video's frame, matched as a picture: its PDQ hash and quality.
  public init(frame: VPDQFeature) {
    self.init(pdq: frame.hash, pdqQuality: frame.quality)
  }
}
