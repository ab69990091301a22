import ArgumentParser
import Foundation
import SieveCase
import SieveCore
import SieveHashSets
import SieveHashing
import SieveImaging
import SieveMatching
import SievePipeline

/// `sieve scan`: forensic triage of seized media into a resumable case database.
struct ScanCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scan",
    abstract: "Scan evidence into a case database: digests of every file, perceptual matches of every image.",
    discussion: """
      Walks the evidence read-only (files opened O_RDONLY and O_NOFOLLOW, with O_NOATIME \
      where permitted; nothing is written inside it), detects images by their signature \
      whatever their names, and records in CASE_DIR/case.sqlite every file's size, times, \
      MD5, SHA-1 and SHA-256 (one read), every image's type, size, PDQ (all 8 orientations \
      matched), quality and pHash, and every match against the hash sets. Unreadable, \
      vanished, replaced and corrupt files are recorded with the reason; the scan goes on.

      Resumable: if the process is killed, run the same command again. The scan continues \
      from the last committed batch; the result equals an uninterrupted scan. A case folder \
      inside the evidence is refused, however the path to it is spelled.

      Example:
        sieve scan /mnt/evidence --hashset known.sieveset --case cases/2026-017 \\
          --examiner "A. Examiner" --case-id 2026-017
      """
  )

  @Argument(help: "Evidence folders and files (for example a read-only mount).")
  var evidence: [String]

  @Option(name: .customLong("hashset"), help: "A hash set to match against; repeatable.")
  var hashsets: [String] = []

  @Option(name: .customLong("case"), help: "The case folder (created if needed; must be outside the evidence).")
  var caseFolder: String

  @Option(help: "The examiner's name, recorded with the run.")
  var examiner: String = ""

  @Option(help: "The case id, recorded with the run.")
  var caseId: String = ""

  @OptionGroup(title: "Match thresholds")
  var thresholds: ThresholdOptions

  @Option(
    name: .customLong("known-good"),
    help: "Digests of files to skip (MD5/SHA-1/SHA-256 lists, md5sum output, NSRL RDS v2 NSRLFile.txt); repeatable.")
  var knownGood: [String] = []

  @Flag(help: "Abandon an unfinished scan run in this case (recorded as abandoned) and start a new one.")
  var restart = false

  @Option(help: ArgumentHelp("Seconds between progress lines when standard error is not a terminal.", visibility: .hidden))
  var progressInterval: Double = 10

  @Option(help: ArgumentHelp("Files written to the database per transaction.", visibility: .hidden))
  var commitEvery: Int = 256

  @OptionGroup(title: "Reading text hash sets")
  var text: TextSetOptions

  @OptionGroup(title: "Limits and resources")
  var resources: ResourceOptions

  @OptionGroup var walking: WalkOptions

  @Flag(help: "Fast mode: decode large JPEGs at 1/2-1/8 scale (short side >= 384 px); PDQ drifts a few bits (see README).")
  var fast = false

  @Flag(name: .shortAndLong, help: "No progress and no summary on standard error.")
  var quiet = false

  func validate() throws {
    guard commitEvery > 0 else { throw ValidationError("--commit-every must be positive") }
    // Compared as the file system resolves both (links and `..`), never textually.
    let roots = CommandLineBytes.paths(for: evidence)
    if let root = EvidenceGuard.root(containing: RawPath(caseFolder), evidence: roots) {
      throw ValidationError(CaseError.caseInsideEvidence(case: caseFolder, evidence: root.description).description)
    }
  }

  func run() throws {
    // The evidence as absolute paths resolved by the file system: stored with the run and
    // walked, so that a resume from another working directory sees the same paths.
    let roots = CommandLineBytes.paths(for: evidence).map(EvidenceGuard.resolve)
    let errors = LineWriter.standardError()
    let start = Date()
    // Hash sets, each identified by the SHA-256 of its file.
    var sets: [HashSet] = []
    var setRecords: [[String: String]] = []
    for path in hashsets {
      do {
        let loaded = try HashSetLoader.load(path, text: text.reader)
        let sha256 = try FileDigests.streaming(RawPath(path)).digests.sha256.hexString
        sets.append(loaded.set)
        setRecords.append(["path": path, "name": loaded.set.name, "sha256": sha256, "entries": String(loaded.set.count)])
      } catch {
        errors.write("\(error)")
        throw ExitCode(ExitStatus.someFailed)
      }
    }
    let matcher = Matcher(sets: sets, options: thresholds.matchOptions())

    let database: CaseDatabase
    let run: Int64
    var done: Set<[UInt8]>
    do {
      database = try CaseDatabase(folder: caseFolder)
      let parameters: [String: String] = [
        "max_distance": String(thresholds.maxDistance), "phash_max_distance": String(thresholds.phashMaxDistance),
        "min_quality": String(thresholds.minQuality), "pdq_mode": PDQMode.fullResolution.rawValue, "dihedral": "true",
        "max_pixels": String(resources.maxPixels), "max_pixels_per_byte": String(resources.maxPixelsPerByte), "max_bytes": String(resources.maxBytes.bytes),
        "follow_symlinks": String(walking.followSymlinks), "fast": String(fast),
        "max_seconds": String(resources.maxSeconds),
        // Anything that changes results must match on resume: the decoders' versions,
        // the text-set options, and the known-good lists' contents.
        "tool": "sieve \(Sieve.version) (\(ImageDecoder.codecVersions.joined(separator: ", ")))",
        "set_label": text.label, "set_type": text.type?.rawValue ?? "", "set_format": text.format?.rawValue ?? "",
        "known_good": try knownGood.map { path in
          "\(path) sha256=\(try FileDigests.streaming(RawPath(path)).digests.sha256.hexString)"
        }.joined(separator: "\n"),
      ]
      let info = CaseDatabase.RunInfo(
        toolVersion: "sieve \(Sieve.version) (\(ImageDecoder.codecVersions.joined(separator: ", ")))",
        parameters: Self.json(parameters), hashsets: Self.json(setRecords), evidence: Self.json(roots.map(\.description)),
        examiner: examiner, caseID: caseId, host: ProcessInfo.processInfo.hostName)
      if restart { try database.abandonUnfinishedRuns() }
      let started = try database.startOrResume(info)
      (run, done) = (started.run, started.done)
      if started.resumed && !quiet { errors.write("sieve: resuming run \(run): \(done.count) files already recorded") }
    } catch {
      errors.write("\(error)")
      throw ExitCode(ExitStatus.someFailed)
    }

    // Walk; walk failures become file rows too.
    var pending: [CaseDatabase.FileRow] = []
    var files: [InputFile] = []
    FileWalker(followSymlinks: walking.followSymlinks, reportSpecialFiles: true).walk(roots) { entry in
      // Paths that are not read become rows at once: failures and special files.
      let (path, status, reason): (RawPath, String, String)
      switch entry {
      case .file(let file):
        // A file named twice (an explicit file inside a walked folder) is scanned once.
        if done.insert(file.path.bytes).inserted { files.append(file) }
        return
      case .failure(let p, let r): (path, status, reason) = (p, "failed", r)
      case .special(let p, let kind): (path, status, reason) = (p, "special", kind)
      }
      guard !done.contains(path.bytes) else { return }
      var row = CaseDatabase.FileRow(path: path, status: status)
      row.error = reason
      pending.append(row)
      done.insert(path.bytes)
    }

    var configuration = try resources.configuration(
      options: HashOptions(pdq: true, dihedral: true, phash: true, fastJPEG: fast))
    configuration.digests = true
    if !knownGood.isEmpty {
      do {
        let set = try KnownGoodSet.load(knownGood)
        configuration.knownGood = set
        if !quiet { errors.write("sieve: \(set.count) known-good digests loaded") }
      } catch {
        errors.write("\(error)")
        throw ExitCode(ExitStatus.someFailed)
      }
    }
    let batch = BatchHasher(configuration: configuration)
    // A quick pre-count of the bytes to read, for progress and the ETA.
    var sizes: [Int] = []
    sizes.reserveCapacity(files.count)
    for file in files {
      var info = stat()
      sizes.append(file.path.withCString { lstat($0, &info) } == 0 ? Int(info.st_size) : 0)
    }
    let progress = Progress(total: files.count, totalBytes: sizes.reduce(0, +), enabled: !quiet, logInterval: progressInterval)
    var processed = 0, failed = 0, matched = 0, bytesDone = 0
    // Files opened without O_NOATIME (refused by the system): their access times may have
    // changed. Said once, loudly, when it first happens, and recorded with the run.
    var accessTimeRisked = 0
    var writeError: (any Error)?
    var lastCommit = Date()

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

    batch.run(files) { index, record in
      guard writeError == nil else { return }
      processed += 1
      bytesDone += sizes[index]
      if record.times.modified != nil && !record.times.accessTimeKept {
        if accessTimeRisked == 0 {
          progress.clearLine()
          errors.write(
            "sieve: WARNING: the system refused O_NOATIME for \(record.path) (the file is not this user's and the scan is not "
              + "privileged): reading files may update their access times. Mount the evidence read-only (mount -o ro,noatime) "
              + "or scan as root. The count is recorded with the run.")
        }
        accessTimeRisked += 1
      }
      var row = CaseDatabase.FileRow(path: record.path, status: "failed")
      row.size = record.size
      row.digests = record.digests
      // Times as they were before the read; lstat only for files never opened.
      (row.modified, row.changed, row.accessed) = (record.times.modified, record.times.changed, record.times.accessed)
      var info = stat()
      if row.modified == nil, record.path.withCString({ lstat($0, &info) }) == 0 {
        row.modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        row.changed = Double(info.st_ctim.tv_sec) + Double(info.st_ctim.tv_nsec) / 1e9
        row.accessed = Double(info.st_atim.tv_sec) + Double(info.st_atim.tv_nsec) / 1e9
      }
      var query = MatchQuery(digests: record.digests?.all ?? [])
      switch record.outcome {
      case .hashed(let hashes, let header):
        row.status = "hashed"
        row.type = header.format.rawValue
        row.width = hashes.width
        row.height = hashes.height
        row.pdq = hashes.pdq?.hash.hexString
        row.pdqQuality = hashes.pdq?.quality
        row.phash = hashes.phash?.hexString
        query.pdq = hashes.pdq?.hash
        query.pdqQuality = hashes.pdq?.quality
        query.pdqDihedral = hashes.pdq?.dihedral
        query.phash = hashes.phash
      case .skipped:
        row.status = "not_image"
      case .knownGood:
        row.status = "known_good"
      case .failed(let reason):
        failed += 1
        row.error = reason
        if let format = record.size != nil ? Self.format(of: record.path) : nil { row.type = format }
      }
      // Known-good files skip perceptual work, but their digests are still checked: a
      // known-good list says "known", not "harmless".
      row.matches = matcher.matches(for: query)
      if !row.matches.isEmpty { matched += 1 }
      pending.append(row)
      if pending.count >= commitEvery || Date().timeIntervalSince(lastCommit) >= 1 { commit() }
      progress.update(done: processed, failed: failed, bytes: bytesDone, matches: matched)
    }
    commit()
    progress.clearLine()
    if let writeError {
      errors.write("sieve: cannot write the case database: \(writeError)")
      throw ExitCode(ExitStatus.someFailed)
    }
    var runFailures = 0
    do {
      if accessTimeRisked > 0 {
        try database.addNote(
          run: run,
          "\(accessTimeRisked) files were read without O_NOATIME (refused by the system: not owned by the scanning user, "
            + "who was not privileged); their recorded access times are from before the read, but the read may have updated them "
            + "on the evidence unless it was mounted read-only or noatime")
      }
      try database.finish(run: run)
      let summary = try database.summary(run: run)
      runFailures = summary.files["failed"] ?? 0
      if !quiet {
        let counts = summary.files.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        errors.write(
          "sieve: run \(run): \(counts); \(summary.matches) matches; this pass \(processed) files in "
            + String(format: "%.1f s", Date().timeIntervalSince(start)) + "; database \(database.path)")
      }
    } catch {
      errors.write("\(error)")
      throw ExitCode(ExitStatus.someFailed)
    }
    // Like `sieve hash`: 1 when some files of the run (this pass or an earlier one)
    // could not be read or decoded; each is in the case database with its reason.
    if runFailures > 0 { throw ExitCode(ExitStatus.someFailed) }
  }

  /// The image format of a file from its first bytes, for failed decodes.
  static func format(of path: RawPath) -> String? {
    guard let bytes = try? FileReader.read(path, maxBytes: 64 << 20) else { return nil }
    return ImageFormat.detect(bytes)?.rawValue
  }

  /// Stable JSON for what is compared on resume (sorted keys).
  static func json(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? ""
  }
}
