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
      MD5, SHA-1 and SHA-256 (one read), every image's type, size, PDQ (matched by \
      --strategy: by default the picture and the picture inside its uniform borders, each \
      turned and flipped), quality and pHash, and every match against the hash sets. Unreadable, \
      vanished, replaced and corrupt files are recorded with the reason; the scan goes on.

      Disk images are evidence too, recognised by their content: raw (dd), split raw (name \
      the .001 segment) and EnCase .E01, read through The Sleuth Kit without mounting. \
      Every file of their file systems (FAT, exFAT, NTFS, ext2/3/4, HFS+, ISO 9660, …) is \
      read, the deleted ones whose metadata survives included, and recorded with its \
      location: IMAGE!/vol2/DCIM/photo.jpg. An E01's media is checked against the MD5 \
      stored at acquisition. With --carve, pictures are also carved out of unallocated \
      space.

      Archives (zip, tar, 7z, rar, …) found anywhere are opened and their members recorded \
      as files, named ARCHIVE!/dir/inner.zip!/photo.jpg; encrypted members are recorded as \
      encrypted, and archive bombs are stopped at the limits below, each with its reason.

      Resumable: if the process is killed, run the same command again. The scan continues \
      from the last committed batch; the result equals an uninterrupted scan. A case folder \
      inside the evidence is refused, however the path to it is spelled.

      Example:
        sieve scan /mnt/evidence --hashset known.sieveset --case cases/2026-017 \\
          --examiner "A. Examiner" --case-id 2026-017
      """
  )

  @Argument(help: "Evidence: folders, files (for example a read-only mount) and disk images (raw, split raw, E01).")
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

  @Option(name: .customLong("negative"), help: "A negative list (.sieveset from `sieve review export --negative`): known false matches, not reported; repeatable.")
  var negative: [String] = []

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

  @OptionGroup(title: "Videos")
  var videos: VideoOptions

  @OptionGroup(title: "Match strategy")
  var strategy: StrategyOptions

  @Flag(help: ArgumentHelp("The same as --strategy orientations (kept for scripts written before --strategy).", visibility: .hidden))
  var orientations = false

  @Flag(help: "Fast mode: decode large JPEGs at 1/2-1/8 scale (short side >= 384 px); PDQ drifts a few bits (see README).")
  var fast = false

  @Flag(name: .shortAndLong, help: "No progress and no summary on standard error.")
  var quiet = false

  func validate() throws {
    guard !(orientations && strategy.strategy != nil) else { throw ValidationError("give --strategy alone, without --orientations") }
    guard commitEvery > 0 else { throw ValidationError("--commit-every must be positive") }
    let scanner = try scanner()
    do { try scanner.checkCaseFolder() } catch { throw ValidationError(error.description) }
  }

  func scanner() throws -> CaseScanner {
    var configuration = CaseScanner.Configuration(evidence: CommandLineBytes.paths(for: evidence), hashSetPaths: hashsets)
    configuration.textReader = text.reader
    configuration.knownGoodPaths = knownGood
    configuration.negativePaths = negative
    configuration.matchOptions = thresholds.matchOptions()
    let hashing = try resources.configuration(options: HashOptions())
    (configuration.limits, configuration.workers, configuration.memoryBudget) = (hashing.limits, hashing.workers, hashing.memoryBudget)
    configuration.fast = fast
    configuration.strategy = orientations ? .orientations : strategy.resolved
    configuration.followSymlinks = walking.followSymlinks
    configuration.carve = walking.carve
    configuration.archives = walking.archiveLimits
    (configuration.examiner, configuration.caseID) = (examiner, caseId)
    configuration.restart = restart
    configuration.commitEvery = commitEvery
    configuration.video = videos.hasher
    return CaseScanner(caseFolder: caseFolder, configuration: configuration)
  }

  func run() throws {
    let errors = LineWriter.standardError()
    var progress: Progress?
    let summary: CaseScanner.Summary
    do {
      summary = try scanner().run { event in
        switch event {
        case .knownGoodLoaded(let digests):
          if !quiet { errors.write("sieve: \(digests) known-good digests loaded") }
        case .started(let run, let resumed, let recorded, let files, let bytes):
          if resumed && !quiet { errors.write("sieve: resuming run \(run): \(recorded) files already recorded") }
          progress = Progress(total: files, totalBytes: bytes, enabled: !quiet, logInterval: progressInterval)
        case .progress(let p):
          progress?.update(done: p.processed, failed: p.failed, bytes: p.bytes, matches: p.matched)
        case .accessTimesMayChange(let file):
          progress?.clearLine()
          errors.write(
            "sieve: WARNING: the system refused O_NOATIME for \(file) (the file is not this user's and the scan is not "
              + "privileged): reading files may update their access times. Mount the evidence read-only (mount -o ro,noatime) "
              + "or scan as root. The count is recorded with the run.")
        case .imageVerified(let image, let stored, let computed, let matches):
          progress?.clearLine()
          if matches {
            if !quiet { errors.write("sieve: \(image): media MD5 verified against the MD5 stored at acquisition (\(stored))") }
          } else {
            errors.write(
              "sieve: WARNING: \(image): "
                + (computed.map { "the media's MD5 is \($0), but the image stored \(stored) at acquisition: the image has changed "
                  + "or is damaged" } ?? "the media could not be read to the end; the stored MD5 \(stored) is not verified")
                + ". The scan goes on; this is recorded with the run.")
          }
        }
      }
    } catch {
      progress?.clearLine()
      errors.write("\(error)")
      throw ExitCode(ExitStatus.someFailed)
    }
    progress?.clearLine()
    if !quiet {
      let counts = summary.files.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", ")
      errors.write(
        "sieve: run \(summary.run): \(counts); \(summary.matches) matches; this pass \(summary.processed) files in "
          + String(format: "%.1f s", summary.seconds) + "; database \(summary.database)")
    }
    // Like `sieve hash`: 1 when some files of the run (this pass or an earlier one)
    // could not be read or decoded; each is in the case database with its reason.
    // So too when an E01 image did not verify against its stored MD5.
    if (summary.files[.failed] ?? 0) > 0 || !summary.imagesNotVerified.isEmpty { throw ExitCode(ExitStatus.someFailed) }
  }
}
