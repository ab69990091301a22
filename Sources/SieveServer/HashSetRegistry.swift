import Dispatch
import Foundation
import SieveCore
import SieveHashSets
import SieveMatching

/// The hash sets the service matches against, swapped atomically on reload.
///
/// Requests take the current ``Snapshot`` (one lock, one reference) and match against it
/// to the end, so a reload never changes a set under a request in flight. A reload reads
/// every file again off the event loops, one reload at a time; a set whose checksum has not
/// changed keeps its built index, a set whose file is bad keeps serving its old version and
/// the error is reported, and the new snapshot replaces the old one in one step.
public final class HashSetRegistry: Sendable {
  /// One set as served.
  public struct ServedSet: Sendable {
    /// The file it was read from.
    public var path: String
    public var set: HashSet
    public var matcher: Matcher
    /// Its known videos' matcher (vPDQ's rule); nil when it holds none.
    public var videoMatcher: VideoMatcher?
    /// The set's version (``HashSetLoader/Loaded/version``): the binary file's payload
    /// checksum, or a checksum of a text file's bytes as they were read.
    public var checksum: String
    /// `sieveset` or the text format read.
    public var format: String
    public var loadedAt: Date
    /// Seconds spent reading the file and building the indexes.
    public var loadSeconds: Double
    /// Hashes of each kind, counted once at load (counting scans the set).
    public var counts: [HashKind: Int]
  }

  /// The largest prebuilt tables a set's load copies into the process's memory (1 GiB:
  /// about 23 million PDQ entries); larger ones are used in place in the mapped file.
  static let tablesCopiedUpTo = 1 << 30

  /// Holds a snapshot's sets and negative list a second time, so that whoever lets go of
  /// them last (a request ending on an event loop, say) does not free them there: its
  /// `deinit` hands them to the reload queue, which frees them (arrays of millions of
  /// entries, a file's unmapping, tables given back to ``MultiIndexTables``' recycled
  /// memory for the next reload) off the loops.
  ///
  /// The sets sit in a box that the queue empties: were they the keeper's own properties,
  /// they would be released on the caller's thread right after `deinit`, the last release
  /// there whenever the queue had already run. (A snapshot releases its `sets` before its
  /// `keeper`, declared last, so the box holds the last reference.)
  final class Keeper: Sendable {
    /// Written at creation and then only on `queue`, once.
    private final class Box: @unchecked Sendable {
      var held: ([ServedSet], NegativeList?)?
      init(_ held: ([ServedSet], NegativeList?)) { self.held = held }
    }

    private let box: Box
    private let queue: DispatchQueue

    init(sets: [ServedSet], negative: NegativeList?, queue: DispatchQueue) {
      box = Box((sets, negative))
      self.queue = queue
    }

    deinit {
      let box = box
      queue.async { box.held = nil }
    }
  }

  /// The sets at one moment.
  public struct Snapshot: Sendable {
    public var sets: [ServedSet]
    /// Counts successful loads and reloads that changed something.
    public var generation: Int
    /// Whether the first load has finished.
    public var ready: Bool
    /// Known false matches, not reported (``NegativeList``); nil: none given.
    public var negative: NegativeList? = nil
    /// Frees the sets on the reload queue when the last snapshot holding them goes.
    /// (Declared last: released after `sets`.)
    var keeper: Keeper? = nil

    /// Every match of `query` in every set, in the order the sets were given, without
    /// the known false matches.
    public func matches(for query: MatchQuery) -> [Match] {
      let all = sets.flatMap { $0.matcher.matches(for: query) }
      guard let negative else { return all }
      let versions = Dictionary(sets.map { ($0.set.name, $0.checksum) }, uniquingKeysWith: { _, _ in "" })
      return negative.filter(all, for: query, version: { versions[$0].flatMap { $0.isEmpty ? nil : $0 } }).kept
    }

    /// A video's matches: each frame against the picture sets (with its time), and the
    /// whole video against the known videos (vPDQ's rule).
    func matches(forVideo features: [VPDQFeature]) -> [API.Match] {
      var out: [API.Match] = []
      for served in sets {
        for match in served.videoMatcher?.matches(features) ?? [] { out.append(API.Match(video: match, set: served.set.name)) }
      }
      for frame in features { out += matches(for: MatchQuery(frame: frame)).map { API.Match($0, frame: frame) } }
      return out
    }

    /// Whether the query's PDQ hash is below the quality the sets match at (it is then
    /// not matched by PDQ; its other hashes still are).
    func isLowQuality(_ query: MatchQuery) -> Bool {
      query.pdq != nil && !sets.allSatisfy { $0.matcher.pdqQualityIsEnough(query) }
    }
  }

  /// What a reload did.
  public struct ReloadReport: Sendable {
    public var reloaded: [String] = []
    public var unchanged: [String] = []
    public var failed: [(path: String, error: String)] = []
    public var generation = 0
    public var seconds = 0.0
  }

  /// The files, in order.
  public let paths: [String]
  /// Negative lists (``NegativeList``), read again on every reload.
  public let negativePaths: [String]
  let textReader: TextHashSetReader
  let matchOptions: MatchOptions
  private let state = Locked(Snapshot(sets: [], generation: 0, ready: false))
  private let reloads = DispatchQueue(label: "sieve.hashset-reload")

  public init(
    paths: [String], negativePaths: [String] = [], textReader: TextHashSetReader = TextHashSetReader(),
    matchOptions: MatchOptions = MatchOptions()
  ) {
    self.paths = paths
    self.negativePaths = negativePaths
    self.textReader = textReader
    self.matchOptions = matchOptions
  }

  /// The sets now.
  public var snapshot: Snapshot { state.current }

  /// The first load: every file must load, or nothing is served.
  public func loadAll() async throws(ServiceError) {
    let report = await reload()
    if !report.failed.isEmpty {
      throw .hashSetsNotLoaded(report.failed.map(\.error))
    }
  }

  /// Reads every file again and swaps in the result (see the type's description).
  /// Reloads run one at a time; requests are served from the old snapshot meanwhile.
  @discardableResult
  public func reload() async -> ReloadReport {
    await reload { () }.report
  }

  /// Runs `first` (re-reading the keys file, say), then reloads, in the one-at-a-time
  /// order of reloads, so two overlapping reloads cannot apply an older read last.
  public func reload<T: Sendable>(first: @escaping @Sendable () -> T) async -> (report: ReloadReport, first: T) {
    await withCheckedContinuation { continuation in
      reloads.async {
        let value = first()
        // Once serving, a reload's reading and copying is paced (``Pacing``): requests
        // wait behind it half a millisecond at most, not several. The first load runs
        // at full speed, with nothing to answer meanwhile.
        let report = Pacing.run(self.state.current.ready ? Pacing.background : nil) { self.reloadNow() }
        continuation.resume(returning: (report, value))
      }
    }
  }

  private func reloadNow() -> ReloadReport {
    let started = Date()
    let old = state.current
    var report = ReloadReport()
    var sets: [ServedSet] = []
    var names: [String: String] = [:]
    for (i, path) in paths.enumerated() {
      let previous = old.ready ? old.sets[i] : nil
      do {
        let served = try load(path, previous: previous)
        if let other = names[served.set.name] {
          throw HashSetError.io(file: path, reason: "a set named \(served.set.name) is already loaded from \(other); name sets apart")
        }
        names[served.set.name] = path
        if let previous, previous.checksum == served.checksum, previous.set.name == served.set.name {
          report.unchanged.append(previous.set.name)
        } else {
          report.reloaded.append(served.set.name)
        }
        sets.append(served)
      } catch {
        report.failed.append((path, "\(error)"))
        if let previous {
          sets.append(previous)
          names[previous.set.name] = previous.path
        }
      }
    }
    report.seconds = Date().timeIntervalSince(started)
    if !old.ready && !report.failed.isEmpty {
      report.generation = old.generation
      return report
    }
    var negative = old.negative
    if !negativePaths.isEmpty {
      do {
        negative = NegativeList(sets: try negativePaths.map { try HashSetLoader.load($0, text: textReader).set })
      } catch {
        report.failed.append((negativePaths.joined(separator: ", "), "negative list: \(error)"))
        if !old.ready { return report }
      }
    }
    let changed = !report.reloaded.isEmpty || !old.ready || !negativePaths.isEmpty
    let generation = changed ? old.generation + 1 : old.generation
    let keeper = Keeper(sets: sets, negative: negative, queue: reloads)
    state.withLock { $0 = Snapshot(sets: sets, generation: generation, ready: true, negative: negative, keeper: keeper) }
    // Requests still holding the replaced sets let go of them as they finish; the last to
    // let go, on whatever thread, leaves the freeing to this queue (Keeper). Unchanged sets
    // live on in the new snapshot.
    report.generation = generation
    return report
  }

  /// Loads one file, reusing `previous` (and its indexes) when the content is the same.
  private func load(_ path: String, previous: ServedSet?) throws -> ServedSet {
    let started = Date()
    var loaded = try HashSetLoader.load(path, text: textReader)
    let checksum = loaded.version
    let format = loaded.header != nil ? "sieveset" : loaded.report?.format.rawValue ?? "text"
    if let previous, previous.checksum == checksum, previous.set.name == loaded.set.name {
      return previous
    }
    // Served for hours: prebuilt tables in huge pages rather than where they lie in the
    // mapping (HashSet.copyPDQIndexIntoMemory), up to a size.
    loaded.set.copyPDQIndexIntoMemory(upTo: Self.tablesCopiedUpTo)
    let matcher = Matcher(sets: [loaded.set], options: matchOptions)
    let videoMatcher = loaded.set.hasVideos ? VideoMatcher(set: loaded.set, options: VideoMatcher.Options(matchOptions)) : nil
    let counts = Dictionary(uniqueKeysWithValues: HashKind.allCases.map { ($0, loaded.set.count(of: $0)) })
    return ServedSet(
      path: path, set: loaded.set, matcher: matcher, videoMatcher: videoMatcher, checksum: checksum, format: format,
      loadedAt: Date(), loadSeconds: Date().timeIntervalSince(started), counts: counts)
  }

}
