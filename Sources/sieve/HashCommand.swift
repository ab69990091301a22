import ArgumentParser
import Foundation
import SieveHashing
import SievePipeline
import SieveVideo

/// `sieve hash PATH...`: hash image files and folders.
struct HashCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hash",
    abstract: "Compute PDQ and pHash hashes of image files and folders, and vPDQ features of videos.",
    discussion: """
      Folders are walked recursively (symbolic links inside them are not followed unless \
      --follow-symlinks is given). Files are recognised as images by their first bytes, \
      whatever their names; in folders, files that are not images are skipped and counted. \
      JPEG, PNG, GIF, BMP, WebP, TIFF, HEIF/HEIC and AVIF are decoded.

      Videos (MP4/MOV/3GP, MKV/WebM, AVI, MPEG-TS, MPEG-PS, FLV, WMV, animated GIF; found by content) \
      are hashed as Meta's vPDQ does, with FFmpeg: one frame every --seconds-per-hash \
      (frame n when n is a multiple of floor(seconds x frame rate)), each frame's PDQ hash \
      and quality with its frame number and time. Text and --format vpdq print vPDQ's \
      lines (frame,quality,hash,timestamp); csv gives a row a frame (frame, timestamp \
      columns); jsonl a "vpdq" array.

      Work is spread over all cores; decode memory is kept under --memory-limit (a large \
      image waits until enough is free). Output is in input order.

      PDQ modes:
        fullres        the C++ core on the full image: what python-threatexchange,
                       HMA and the Java reference produce, and what shared hash
                       lists usually hold.
        reference-cli  the reference CLI pdq-photo-hasher: images over 512 px on a
                       side are first squashed to 512x512 (nearest neighbour); 2-10
                       bits from fullres.

      A PDQ hash whose quality is below 50 is too unreliable to match on.

      Examples:
        sieve hash photos/
        sieve hash --format csv --dihedral evidence/ > hashes.csv
        sieve hash --format jsonl --pdq-mode reference-cli a.jpg b.png
        sieve hash --format vpdq clip.mp4 > clip.vpdq
      """
  )

  @Argument(help: "Image and video files and folders to hash.")
  var paths: [String]

  @Option(help: "Output format: text, csv, jsonl, or vpdq (videos only: per video a '# PATH' line, then vPDQ's lines frame,quality,hash,timestamp).")
  var format: HashFormat = .text

  @OptionGroup(title: "Videos")
  var videos: VideoOptions

  @Flag(help: "Also output the 8 PDQ dihedral hashes (rotations and flips).")
  var dihedral = false

  @OptionGroup(title: "Turned pictures")
  var turning: OrientationOptions

  @Flag(help: "Also hash the picture inside uniform borders (pads, letterbox, frames), when an image has them: csv pdq_trimmed and pdq_trimmed_box (x+y+WxH, ';' between candidates), jsonl pdq_trimmed.")
  var borders = false

  @Flag(help: "Also hash the picture extended by reflection as if it were a 90 % and an 80 %-area centre crop (what match's default strategy matches a cropped copy with): jsonl pdq_extended.")
  var extensions = false

  @Option(help: "PDQ compatibility mode: fullres or reference-cli.")
  var pdqMode: PDQMode = .fullResolution

  @Flag(help: "Do not compute the 64-bit pHash.")
  var noPhash = false

  @Flag(help: "Also output MD5, SHA-1 and SHA-256 of each file (from the same read).")
  var digests = false

  @Flag(help: "Fast mode: decode large JPEGs at 1/2-1/8 scale (short side kept >= 384 px); hashes drift a few bits.")
  var fast = false

  @OptionGroup(title: "Limits and resources")
  var resources: ResourceOptions

  @OptionGroup var walking: WalkOptions

  @Flag(name: .shortAndLong, help: "No progress line and no summary on standard error.")
  var quiet = false

  func run() throws {
    var options = HashOptions(pdq: true, pdqMode: pdqMode, dihedral: dihedral, phash: !noPhash, fastJPEG: fast)
    turning.apply(to: &options)
    options.borders = borders
    options.extensions = extensions
    var skipped = 0
    let errorOutput = LineWriter.standardError()
    let (source, files, walkFailures) = walking.walk(paths, errors: errorOutput)
    var failures = walkFailures

    var configuration = try resources.configuration(options: options)
    configuration.digests = digests
    configuration.video = videos.hasher(files: files.count, workers: configuration.workers)
    let batch = BatchHasher(configuration: configuration)
    // vPDQ blocks are named by a comment line: a name must not forge frame lines.
    let output = LineWriter.standardOutput(forPeople: format == .text || format == .vpdq)
    let writer = RecordWriter(format: format, options: options, digests: digests)
    if let header = writer.header { output.write(header) }
    let progress = Progress(total: files.count, enabled: !quiet)
    var hashed = 0
    var videos = 0
    var done = 0
    batch.run(files, from: source) { _, record in
      if record.member == nil { done += 1 }
      switch record.outcome {
      case .hashed(let hashes, let header):
        hashed += 1
        if let line = writer.line(path: record.path.description, hashes: hashes, header: header, digests: record.digests) {
          output.write(line)
        }
      case .video(let video):
        videos += 1
        for line in writer.videoLines(path: record.path.description, video: video, container: record.video, digests: record.digests) {
          output.write(line)
        }
        if let why = video.stoppedEarly {
          // Hashed in part: a failure for the exit status, as the rest went unseen.
          failures += 1
          progress.clearLine()
          errorOutput.write("\(record.path): \(why); \(video.features.count) frames hashed")
        }
      case .failed(let reason):
        failures += 1
        progress.clearLine()
        errorOutput.write("\(record.path): \(reason)")
      case .skipped, .knownGood, .special:
        skipped += 1
      case .container(let outcome):
        // An archive: its members came before it.
        if outcome.problem != nil {
          failures += 1
          progress.clearLine()
          errorOutput.write("\(record.path): \(outcome.description)")
        } else {
          skipped += 1
        }
      case .encrypted:
        failures += 1
        progress.clearLine()
        errorOutput.write("\(record.path): encrypted; not read")
      }
      progress.update(done: done, failed: failures)
    }
    output.flush()
    progress.finish(hashed: hashed, failed: failures, skipped: skipped, videos: videos)
    if let failure = output.failure {
      errorOutput.write("sieve: cannot write the output: \(failure)")
      throw ExitCode(ExitStatus.someFailed)
    }
    if failures > 0 { throw ExitCode(ExitStatus.someFailed) }
  }
}

extension PDQMode: ExpressibleByArgument {}
