import ArgumentParser
import Foundation
import SieveCore
import SieveEval
import SieveHashSets
import SievePipeline
import SieveSystem

/// `sieve eval IMAGES…`: the robustness benchmark.
struct EvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "Measure how well each matching strategy finds edited copies of benign images.",
    discussion: """
      Applies a seeded suite of edits (re-encoding, scaling, crops, pads, letterbox, \
      screenshots, rotations and flips, small-angle rotation, blur, noise, colour changes, \
      a caption banner; `sieve eval --list-attacks` describes each) to every image given, \
      hashes every copy with each strategy, and reports per edit the share of copies whose \
      original matches at PDQ distance <= --threshold, the false matches over every pair of \
      a copy and another original, the closest such pair, and the cost of each strategy \
      (decoding and hashing one copy on one thread).

      Strategies (query side, then set side):
        plain         the copy's own PDQ hash against each original's
        dihedral      plus PDQ's DCT-domain rotations and flips
        orientations  plus the copy really turned and flipped
        trim          plus the copy inside its uniform borders
        full          orientations and trim together (match's default)
        augmented     plain copy against a set holding each original's
                      variants (trimmed, centre crops of 90-70 % area,
                      one side cut by 10 %)
        combined      full against the augmented set

      The same images and seed give the same copies and the same rates (costs vary with \
      the machine). Use only benign images.

      Examples:
        sieve eval ../shared/corpus/dev
        sieve eval --seed 7 --json eval.json --html eval.html photos/
        sieve eval --strategies plain,full --attacks pad10,rot90 photos/
      """)

  @Argument(help: "Image files and folders (benign pictures; folders are walked).")
  var paths: [String] = []

  @Option(help: "Seed of the attack suite's random choices.")
  var seed: UInt64 = 1

  @Option(help: "PDQ distance at or under which a copy matches.")
  var threshold: Int = 31

  @Option(help: "PDQ quality under which a copy is not matched.")
  var minQuality: Int = 50

  @Option(help: "Strategies, comma-separated (default: all of plain, dihedral, orientations, trim, full, augmented, combined).")
  var strategies: String?

  @Option(help: "Attacks to run, comma-separated (default: the whole suite).")
  var attacks: String?

  @Option(
    name: .customLong("set"),
    help: "An augmented set of these images (sieve hashset build --augment …) to use as the set side of augmented and combined, entries found by file name; by default eval augments each image itself (trim, crops, sides).")
  var set: String?

  @Option(help: "Write the result as JSON to this file.")
  var json: String?

  @Option(help: "Write a self-contained HTML report (SVG ROC curve and per-attack bars) to this file.")
  var html: String?

  @Option(help: "Also save every edited copy, as FOLDER/ATTACK/NAME (JPEG), to look at what was matched or missed.")
  var saveCopies: String?

  @Option(help: "Standard output: table or json.")
  var format: Format = .table

  @Option(help: "Originals with a longer side are reduced to it first (memory and time stay bounded on large photos).")
  var maxSide: Int = 2048

  @Option(help: "Files larger than this many bytes are left out.")
  var maxBytes: Int = 256 << 20

  @Option(help: "Worker threads.")
  var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

  @Flag(help: "Describe the attack suite and exit.")
  var listAttacks = false

  @Flag(name: .shortAndLong, help: "No progress line on standard error.")
  var quiet = false

  enum Format: String, ExpressibleByArgument { case table, json }

  func validate() throws {
    guard listAttacks || !paths.isEmpty else { throw ValidationError("give image files or folders to evaluate on") }
    guard (0...256).contains(threshold) else { throw ValidationError("--threshold must be 0...256") }
    guard jobs > 0 else { throw ValidationError("--jobs must be at least 1") }
    guard maxSide >= 64 else { throw ValidationError("--max-side must be at least 64") }
    guard maxBytes > 0 else { throw ValidationError("--max-bytes must be positive") }
    for name in list(strategies) where EvalStrategy(name: name) == nil {
      throw ValidationError("unknown strategy '\(name)'; known: \(EvalStrategy.standard.map(\.name).joined(separator: ", "))")
    }
    for name in list(attacks) where !Attack.suite.contains(where: { $0.name == name }) {
      throw ValidationError("unknown attack '\(name)'; see sieve eval --list-attacks")
    }
  }

  func list(_ text: String?) -> [String] {
    text.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } } ?? []
  }

  func run() throws {
    let output = LineWriter.standardOutput(forPeople: format == .table)
    let errors = LineWriter.standardError()
    if listAttacks {
      for attack in Attack.suite { output.write("\(attack.name) (\(attack.group)): \(attack.description)") }
      output.flush()
      return
    }
    var configuration = Evaluation.Configuration(seed: seed)
    configuration.threshold = threshold
    configuration.minimumQuality = minQuality
    configuration.jobs = jobs
    configuration.maxSide = maxSide
    if strategies != nil { configuration.strategies = list(strategies).compactMap(EvalStrategy.init(name:)) }
    if attacks != nil { configuration.attacks = list(attacks) }
    if let set {
      var byName: [String: [PDQHash]] = [:]
      for entry in try loadSet(set).entries {
        let name = String(entry.id.split(separator: "/").last ?? "")
        byName[name, default: []] += (entry.pdq.map { [$0] } ?? []) + entry.pdqVariants.map(\.hash)
      }
      configuration.augmentedSet = byName
    }
    var failed = false
    var images: [Evaluation.Image] = []
    // Copies are seeded, and --set entries found, by file name: two images of one name
    // would share both.
    var names: [String: String] = [:]
    FileWalker().walk(paths) { entry in
      switch entry {
      case .file(let file):
        let path = file.path
        let name = String(path.description.split(separator: "/").last ?? "")
        if let first = names[name] {
          errors.write("\(path): left out: another image has the same file name (\(first))")
          return
        }
        names[name] = path.description
        images.append(Evaluation.Image(name: path.description) { try FileReader.read(path, maxBytes: maxBytes) })
      case .failure(let path, let reason):
        errors.write("\(path): \(reason)")
        failed = true
      case .special: break
      }
    }
    let evaluation = Evaluation(configuration: configuration, version: ToolVersion.description)
    let showProgress = !quiet && FileSystem.isTerminal(2)
    let result = evaluation.run(
      images: images,
      skipped: { LineWriter.standardError().write("\($0.name): left out: \($0.reason)") },
      progress: { done, total in
        if showProgress, done % 50 == 0 || done == total { LineWriter.standardError().writeNow("\r\(done)/\(total) copies hashed") }
      },
      copyMade: saveCopies.map { folder in
        { @Sendable name, attack, bytes in
          let file = String(name.split(separator: "/").last ?? "copy")
          let base = file.split(separator: ".").count > 1 ? file.split(separator: ".").dropLast().joined(separator: ".") : file
          let directory = folder + "/" + attack
          try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
          try? FileSystem.writeAtomically(bytes, to: directory + "/" + base + ".jpg", mode: 0o644)
        }
      })
    if showProgress { errors.writeNow("\n") }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let jsonText = String(decoding: try encoder.encode(result), as: UTF8.self)
    do {
      if let json { try FileSystem.writeAtomically(Array((jsonText + "\n").utf8), to: json, mode: 0o644) }
      if let html { try FileSystem.writeAtomically(Array(EvalReportPage.html(result).utf8), to: html, mode: 0o644) }
    } catch {
      errors.write("sieve: cannot write the report: \(error)")
      throw ExitCode(ExitStatus.someFailed)
    }
    switch format {
    case .table: for line in result.tableLines { output.write(line) }
    case .json: output.write(jsonText)
    }
    output.flush()
    if result.images == 0 {
      errors.write("sieve: no image could be used")
      throw ExitCode(ExitStatus.someFailed)
    }
    if failed { throw ExitCode(ExitStatus.someFailed) }
  }
}
