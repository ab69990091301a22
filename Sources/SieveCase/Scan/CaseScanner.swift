import Crypto
import Foundation
import SieveCore
import SieveEvidence
import SieveHashSets
import SieveHashing
import SieveImaging
import SieveMatching
import SievePipeline
import SieveSystem
import SieveVideo

/// A forensic scan of evidence into a case database: every file's digests, every image's
/// perceptual hashes, every match against the hash sets, in a database that a killed scan
/// resumes from.
///
/// ```swift
/// var configuration = CaseScanner.Configuration(evidence: [RawPath("/mnt/evidence")], hashSetPaths: ["known.sieveset"])
/// configuration.examiner = "A. Examiner"
/// let scanner = CaseScanner(caseFolder: "cases/2026-017", configuration: configuration)
/// let summary = try scanner.run { event in print(event) }
/// ```
///
/// Evidence is read through an ``EvidenceSource`` (a folder tree, ``FolderEvidence``) and
/// never modified; the case folder must lie outside it (``EvidenceGuard``).
public struct CaseScanner: Sendable {
  /// What to scan and how.
  public struct Configuration: Sendable {
    /// The evidence paths, as the user named them (they are resolved and recorded).
    public var evidence: [RawPath]
    /// The hash sets to match against.
    public var hashSetPaths: [String]
    /// How text hash sets are read.
    public var textReader = TextHashSetReader()
    /// Known-good digest lists: files whose digest is in one are not decoded.
    public var knownGoodPaths: [String] = []
    /// Negative lists: known false matches not to report (``NegativeList``), such as
    /// `sieve review` exports.
    public var negativePaths: [String] = []
    /// Match thresholds.
    public var matchOptions = MatchOptions()
    /// Limits, workers and the memory budget of the hashing.
    public var limits = DecodingLimits.default
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    public var memoryBudget = MemoryBudget.defaultCapacity
    /// Decode large JPEGs at a reduced scale (PDQ drifts a few bits).
    public var fast = false
    /// What of each picture is hashed for matching (``MatchStrategy``; default: the picture
    /// and the picture inside its borders, each turned and flipped).
    public var strategy = MatchStrategy.default
    /// Follow symbolic links inside the evidence (never out of it).
    public var followSymlinks = false
    /// Carve pictures out of disk images' unallocated space (``PictureCarver``).
    public var carve = false
    /// Open archives (in folders, images and archives) within these limits and record their
    /// members as files (``ArchiveReader``); nil: archives are files like any other.
    public var archives: ArchiveReader.Limits? = ArchiveReader.Limits()
    public var examiner = ""
    public var caseID = ""
    /// Abandon an unfinished run and start a new one.
    public var restart = false
    /// Files written to the database per transaction (and at least once a second).
    public var commitEvery = 256
    /// How videos are hashed; nil: they are recorded as files that are not pictures.
    public var video: VideoHasher? = VideoHasher()

    public init(evidence: [RawPath], hashSetPaths: [String]) {
      self.evidence = evidence
      self.hashSetPaths = hashSetPaths
    }
  }

  /// What the scan tells its caller as it goes.
  public enum Event: Sendable {
    /// The known-good lists were read.
    case knownGoodLoaded(digests: Int)
    /// The run started or resumed; `files` are to be read this pass (`bytes` in all).
    case started(run: Int64, resumed: Bool, alreadyRecorded: Int, files: Int, bytes: Int)
    /// Files processed so far this pass.
    case progress(Progress)
    /// The system refused `O_NOATIME` (said once, for the first such file).
    case accessTimesMayChange(firstFile: RawPath)
    /// An E01 image's media was read whole and its MD5 compared with the one stored at
    /// acquisition (`computed` is nil when the media could not be read to the end).
    case imageVerified(image: String, stored: String, computed: String?, matches: Bool)
  }

  /// Counts so far in this pass.
  public struct Progress: Sendable, Equatable {
    /// Files walked and processed.
    public var processed = 0
    /// Files found inside archives and recorded.
    public var members = 0
    public var failed = 0
    public var bytes = 0
    public var matched = 0
  }

  /// How a run ended.
  public struct Summary: Sendable {
    public var run: Int64
    /// Files of the whole run (earlier passes included), by status.
    public var files: [FileStatus: Int]
    /// Matches in the whole run.
    public var matches: Int
    /// Files processed in this pass.
    public var processed: Int
    public var seconds: Double
    /// The case database file.
    public var database: String
    /// E01 images whose media did not digest to the MD5 stored at acquisition (this pass).
    public var imagesNotVerified: [String] = []
  }

  public let caseFolder: String
  public let configuration: Configuration

  public init(caseFolder: String, configuration: Configuration) {
    self.caseFolder = caseFolder
    self.configuration = configuration
  }

  /// The evidence, resolved: what is walked and recorded (folders, files and disk images).
  var source: EvidenceSet {
    EvidenceSet(
      configuration.evidence, walker: FileWalker(followSymlinks: configuration.followSymlinks, reportSpecialFiles: true),
      resolve: true, carve: configuration.carve, archives: configuration.archives)
  }

  /// Refuses a case folder inside the evidence, judged on paths the file system resolves.
  public func checkCaseFolder() throws(CaseError) {
    if let root = EvidenceGuard.root(containing: RawPath(caseFolder), evidence: configuration.evidence) {
      throw .caseInsideEvidence(case: caseFolder, evidence: root.description)
    }
  }

  /// Scans, calling `events` on the calling thread; returns when every file is recorded.
  ///
  /// - Throws: ``CaseError``: the case folder inside the evidence, a set or known-good
  ///   list that cannot be read, an unfinished run with other parameters, a database that
  ///   cannot be written (the scan stops; what was committed stays, and a rerun resumes).
  public func run(events: @escaping (Event) -> Void = { _ in }) throws -> Summary {
    try checkCaseFolder()
    let start = Date()
    let source = source
    let (sets, setRecords) = try loadSets()
    let (negativeSets, negativeRecords) = try loadSets(configuration.negativePaths)
    let matcher = Matcher(
      sets: sets, options: configuration.matchOptions, negative: negativeSets.isEmpty ? nil : NegativeList(sets: negativeSets),
      versions: setRecords.map(\.version))
    // Known videos, by vPDQ's rule (python-threatexchange's 80 % and 0 %).
    let videoMatchers = VideoMatcher.matchers(for: sets, options: VideoMatcher.Options(configuration.matchOptions))
    let knownGood = try loadKnownGood()
    if let knownGood { events(.knownGoodLoaded(digests: knownGood.set.count)) }

    let database = try CaseDatabase(folder: caseFolder)
    let info = CaseDatabase.RunInfo(
      toolVersion: ToolVersion.description, parameters: parameters(knownGood: knownGood?.records ?? [], negative: negativeRecords), hashSets: setRecords,
      evidence: source.roots.map(\.description), examiner: configuration.examiner, caseID: configuration.caseID,
      host: ProcessInfo.processInfo.hostName)
    if configuration.restart { try database.abandonUnfinishedRuns() }
    let started = try database.startOrResume(info)
    let (run, resumed) = (started.run, started.resumed)
    var done = started.done
    let alreadyRecorded = done.count

    // E01 images: the media read whole against the MD5 stored at acquisition, once a run.
    // A mismatch is said loudly and recorded, and the scan goes on: what the image holds
    // is still evidence, and the examiner decides.
    var imagesNotVerified: [String] = []
    do {
      // Once a run: a resumed run verifies an image its first pass did not get to.
      let recorded = try database.notes(run: run)
      for (root, image) in source.images {
        guard let stored = image.storedMD5, !recorded.contains(where: { $0.hasPrefix("\(root): ") && $0.contains("MD5") }) else {
          continue
        }
        let computed = try? image.mediaMD5()
        let matches = computed == stored
        events(.imageVerified(image: root.description, stored: stored, computed: computed, matches: matches))
        if !matches { imagesNotVerified.append(root.description) }
        try database.addNote(
          run: run,
          matches
            ? "\(root): media MD5 \(stored) verified: it equals the MD5 stored in the image at acquisition"
            : computed.map { "\(root): MEDIA MD5 MISMATCH: read \($0), but the image stored \(stored) at acquisition" }
              ?? "\(root): the media could not be read to the end, so the stored MD5 \(stored) could not be verified")
      }
    }

    // Walk; paths that are not read become rows at once: failures and special files.
    var pending: [CaseDatabase.FileRow] = []
    var files: [InputFile] = []
    // Who holds each display path: the walk's paths (every pass alike) and the archive
    // members recorded, by their chain. A member whose path another file holds (a folder
    // named `a.zip!` beside `a.zip`, a member named `inner!/p.jpg` beside an archive
    // `inner`) takes the first ` [archive member N]` free, the same on every pass; one
    // whose path its own chain holds was recorded by an earlier pass.
    var owners: [[UInt8]: String] = [:]
    for (path, chain) in try database.archiveMembers(run: run) { owners[path] = chain }
    source.walk { entry in
      let (path, status, reason): (RawPath, FileStatus, String)
      switch entry {
      case .file(let file):
        if owners[file.path.bytes] == nil { owners[file.path.bytes] = "" }
        // A file named twice (an explicit file inside a walked folder) is scanned once.
        if done.insert(file.path.bytes).inserted { files.append(file) }
        return
      case .failure(let p, let r): (path, status, reason) = (p, .failed, r)
      case .special(let p, let kind): (path, status, reason) = (p, .special, kind)
      }
      if owners[path.bytes] == nil { owners[path.bytes] = "" }
      guard done.insert(path.bytes).inserted else { return }
      var row = CaseDatabase.FileRow(path: path, status: status)
      row.error = reason
      pending.append(row)
    }

    var options = HashOptions(pdq: true, phash: true, fastJPEG: configuration.fast)
    configuration.strategy.apply(to: &options)
    var hashing = BatchHasher.Configuration(
      options: options, limits: configuration.limits, workers: configuration.workers, memoryBudget: configuration.memoryBudget)
    hashing.digests = true
    hashing.knownGood = knownGood?.set
    hashing.video = configuration.video
    let batch = BatchHasher(configuration: hashing)
    // A quick pre-count of the bytes to read, for progress and the ETA.
    // (Sizes inside disk images are what their metadata claims: summed saturating.)
    let sizes = files.map { file in file.size ?? (try? file.path.metadata(followLinks: false))?.size ?? 0 }
    let total = sizes.reduce(0) { sum, size in sum.addingReportingOverflow(size).overflow ? .max : sum + size }
    events(.started(run: run, resumed: resumed, alreadyRecorded: alreadyRecorded, files: files.count, bytes: total))

    var progress = Progress()
    var writeError: (any Error)?
    var lastCommit = Date()
    var accessTimeRisked = 0
    var droppedCarves = 0
    func commit() {
      guard !pending.isEmpty, writeError == nil else { return }
      do {
        try database.insert(pending, run: run)
      } catch {
        writeError = error
        batch.cancel()  // nothing more can be recorded: stop decoding
      }
      pending.removeAll(keepingCapacity: true)
      lastCommit = Date()
    }

    batch.run(files, from: source) { index, record in
      guard writeError == nil else { return }
      var record = record
      if record.member != nil {
        // A file inside an archive: recorded once (a resumed run reads the archive again,
        // and skips the members its first pass recorded).
        let chain = CaseDatabase.FileRecord.json(record.member)
        var path = record.path.bytes
        var n = 1
        while let owner = owners[path] {
          if owner == chain { return }
          path = record.path.bytes + Array((n == 1 ? " [archive member]" : " [archive member \(n)]").utf8)
          n += 1
        }
        owners[path] = chain
        record.path = RawPath(bytes: path)
        progress.members += 1
      } else {
        progress.processed += 1
        progress.bytes = progress.bytes.addingReportingOverflow(sizes[index]).overflow ? .max : progress.bytes + sizes[index]
      }
      if record.times.modified != nil && !record.times.accessTimeKept {
        if accessTimeRisked == 0 { events(.accessTimesMayChange(firstFile: record.path)) }
        accessTimeRisked += 1
      }
      let row = Self.row(for: record, matcher: matcher, videoMatchers: videoMatchers)
      // A carve is a guess at where a picture starts and ends: one that does not decode is
      // not a picture found, and is not recorded (only counted).
      if record.location?.allocation == .carved && row.status != .hashed && row.status != .knownGood {
        droppedCarves += 1
        return
      }
      if row.status == .failed { progress.failed += 1 }
      if !row.matches.isEmpty || !row.frameMatches.isEmpty || !row.videoMatches.isEmpty { progress.matched += 1 }
      pending.append(row)
      if pending.count >= configuration.commitEvery || Date().timeIntervalSince(lastCommit) >= 1 { commit() }
      events(.progress(progress))
    }
    commit()
    if let writeError { throw CaseError.cannotWrite(path: database.path, reason: "\(writeError)") }
    if accessTimeRisked > 0 {
      try database.addNote(
        run: run,
        "\(accessTimeRisked) files were read without O_NOATIME (refused by the system: not owned by the scanning user, "
          + "who was not privileged); their recorded access times are from before the read, but the read may have updated them "
          + "on the evidence unless it was mounted read-only or noatime")
    }
    if matcher.suppressedMatches > 0 {
      try database.addNote(
        run: run,
        "\(matcher.suppressedMatches) matches were not recorded: the negative lists (known false matches of the same known items) suppressed them")
    }
    if droppedCarves > 0 {
      try database.addNote(run: run, "\(droppedCarves) carved candidates did not decode as pictures and were not recorded")
    }
    // What the evidence itself said (a partition without a file system TSK reads), once a run.
    if !resumed { for note in source.notes { try database.addNote(run: run, note) } }
    try database.finish(run: run)
    let summary = try database.summary(run: run)
    return Summary(
      run: run, files: summary.files, matches: summary.matches, processed: progress.processed,
      seconds: Date().timeIntervalSince(start), database: database.path, imagesNotVerified: imagesNotVerified)
  }

  /// One file's row: what was found, and every match of its hashes and digests. A
  /// known-good file skips perceptual work, but its digests are still matched: a
  /// known-good list says "known", not "harmless".
  static func row(
    for record: HashRecord, matcher: Matcher, videoMatchers: [(set: String, matcher: VideoMatcher)] = []
  ) -> CaseDatabase.FileRow {
    var row = CaseDatabase.FileRow(path: record.path, status: .failed)
    row.size = record.size
    row.location = record.location
    row.member = record.member
    row.digests = record.digests
    // Times as they were before the read; lstat only for files never opened.
    (row.modified, row.changed, row.accessed) = (record.times.modified, record.times.changed, record.times.accessed)
    if row.modified == nil, record.location == nil, record.member == nil, let metadata = try? record.path.metadata(followLinks: false) {
      (row.modified, row.changed, row.accessed) = (metadata.modified, metadata.changed, metadata.accessed)
    }
    switch record.outcome {
    case .hashed(let hashes, let header):
      row.status = .hashed
      row.type = header.format.rawValue
      row.width = hashes.width
      row.height = hashes.height
      row.pdq = hashes.pdq?.hash.hexString
      row.pdqQuality = hashes.pdq?.quality
      row.phash = hashes.phash?.hexString
    case .skipped:
      row.status = .notImage
    case .video(let video):
      // Its frames are stored, each matched against the picture sets as a picture, and the
      // whole video against the known videos.
      row.status = .video
      row.type = record.video.map { "video/" + $0.rawValue } ?? "video"
      row.width = video.info.width
      row.height = video.info.height
      row.videoFrames = video.features
      if let why = video.stoppedEarly { row.error = why }
      for frame in video.features { row.frameMatches += matcher.matches(for: MatchQuery(frame: frame)).map { (frame, $0) } }
      for (set, videoMatcher) in videoMatchers {
        row.videoMatches += videoMatcher.matches(video.features).map { (set, $0) }
      }
    case .knownGood:
      row.status = .knownGood
    case .failed(let reason):
      row.error = reason
      row.type = record.format?.rawValue
    case .container(let outcome):
      row.type = outcome.format
      if outcome.problem != nil {
        row.error = outcome.description
      } else {
        row.status = .archive
      }
    case .encrypted:
      row.status = .encrypted
    case .special(let what):
      row.status = .special
      row.error = what
    }
    row.matches = matcher.matches(for: record.query)
    return row
  }

  /// Loads the hash sets, each recorded with its version and its file's SHA-256.
  func loadSets(_ paths: [String]? = nil) throws(CaseError) -> ([HashSet], [HashSetRecord]) {
    var sets: [HashSet] = []
    var records: [HashSetRecord] = []
    for path in paths ?? configuration.hashSetPaths {
      do {
        var digest = SHA256()
        let loaded = try HashSetLoader.load(path, text: configuration.textReader) { digest.update(bufferPointer: $0) }
        let sha256 = ExactDigest(kind: .sha256, bytes: Array(digest.finalize())).hexString
        sets.append(loaded.set)
        records.append(HashSetRecord(name: loaded.set.name, path: path, version: loaded.version, sha256: sha256, entries: loaded.set.count))
      } catch {
        throw .hashSet(path: path, reason: "\(error)")
      }
    }
    return (sets, records)
  }

  /// Loads the known-good lists, each recorded by its contents' SHA-256.
  func loadKnownGood() throws(CaseError) -> (set: KnownGoodSet, records: [String])? {
    guard !configuration.knownGoodPaths.isEmpty else { return nil }
    do {
      // One digest per list, in order (a list named twice is read, and digested, twice).
      var digests: [SHA256] = []
      let set = try KnownGoodSet.load(configuration.knownGoodPaths) { index, bytes in
        if index == digests.count { digests.append(SHA256()) }
        digests[index].update(bufferPointer: bytes)
      }
      let records = configuration.knownGoodPaths.enumerated().map { index, path in
        let digest = index < digests.count ? digests[index] : SHA256()
        return "\(path) sha256=\(ExactDigest(kind: .sha256, bytes: Array(digest.finalize())).hexString)"
      }
      return (set, records)
    } catch {
      throw .hashSet(path: configuration.knownGoodPaths.joined(separator: ", "), reason: "\(error)")
    }
  }

  /// The run's parameters: everything that changes its results.
  func parameters(knownGood: [String], negative: [HashSetRecord] = []) -> ScanParameters {
    let text = configuration.textReader
    var options = HashOptions()
    configuration.strategy.apply(to: &options)
    return ScanParameters(
      maxDistance: configuration.matchOptions.pdqMaxDistance, phashMaxDistance: configuration.matchOptions.phashMaxDistance,
      minQuality: configuration.matchOptions.pdqMinQuality, pdqMode: PDQMode.fullResolution.rawValue,
      // Turned pictures of either kind (DCT-domain or really turned) are matched.
      dihedral: [.dihedral, .orientations, .full].contains(configuration.strategy),
      maxPixels: configuration.limits.maxPixels, maxPixelsPerByte: configuration.limits.maxPixelsPerByte,
      maxBytes: configuration.limits.maxBytes, maxSeconds: configuration.limits.maxSeconds ?? 0,
      followSymlinks: configuration.followSymlinks, carve: configuration.carve ? true : nil, archives: configuration.archives,
      orientations: options.orientations ? "blurred-plane" : nil,
      strategy: [.dihedral, .orientations].contains(configuration.strategy) ? nil : configuration.strategy.rawValue, fast: configuration.fast, tool: ToolVersion.description, setLabel: text.label,
      setType: text.type?.rawValue ?? "", setFormat: text.format?.rawValue ?? "", knownGood: knownGood, negative: negative.isEmpty ? nil : negative)
  }
}
