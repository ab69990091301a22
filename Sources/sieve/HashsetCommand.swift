import ArgumentParser
import SieveCore
import SieveHashSets
import SieveHashing
import SievePipeline
import SieveVideo
import Foundation

/// `sieve hashset …`: convert, inspect and check known-hash sets.
struct HashsetCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hashset",
    abstract: "Import, export, describe and verify known-hash sets.",
    discussion: """
      Sieve matches against sets in its binary format (.sieveset: versioned, checksummed, \
      fast to load) or directly against text lists. Text formats read (detected from the \
      first line, or named with --input-format):
        plain           one hex value per line (--type says which kind)
        md5sum          "HASH  name" lines, as md5sum and sha256sum print them
        pdq-cli         "hash,quality,filename", as Meta's pdq-photo-hasher prints
        threatexchange  "signal_type,signal_str,collab,category,tags"
        sieve-csv       the CSV of `sieve hash --format csv`
        set-csv         the CSV of `sieve hashset export --format csv`
        vpdq            videos' vPDQ features, "frame,quality,hash,timestamp":
                        one video a file, or each after a "# ID" line
        vics            Project VIC (VICS) JSON: media records' MD5, SHA1 and
                        SHA256, the Category as label (--vics-categories legacy:
                        a legacy list's 0, uncategorised, becomes no category)

      64 hex digits could be PDQ or SHA-256 and are never guessed: give --type. Lines \
      starting with # are comments. A byte-order mark and CRLF are accepted.
      """,
    subcommands: [Import.self, Build.self, Index.self, Export.self, Info.self, Verify.self]
  )
}

/// Whether a written set carries its PDQ index (`--prebuilt-index`).
struct PrebuiltIndexOptions: ParsableArguments {
  enum Choice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never
  }

  @Option(
    name: .customLong("prebuilt-index"),
    help: """
      Write the PDQ multi-index tables into the set, so that match and serve use them \
      as they are instead of building them on every load: auto (sets of 1,000,000 PDQ \
      hashes or more), always or never. Such a set is .sieveset version 5, which \
      earlier Sieve releases refuse by version.
      """)
  var choice: Choice = .auto

  /// Builds the tables into `set` when asked for.
  func apply(to set: inout HashSet) {
    switch choice {
    case .always: set.buildPDQIndex()
    case .auto where set.count(of: .pdq) >= 1_000_000: set.buildPDQIndex()
    default: break
    }
  }
}

extension HashKind: ExpressibleByArgument {}
extension HashSetFormat: ExpressibleByArgument {}
extension HashSetWriter.Format: ExpressibleByArgument {}

/// Options for reading text hash sets, shared by the commands that read them.
struct TextSetOptions: ParsableArguments {
  @Option(name: .customLong("input-format"), help: "Text format of hash lists read (default: detected from the first line).")
  var format: HashSetFormat?

  @Option(help: "Hash kind for plain and md5sum lists: pdq, phash, md5, sha1 or sha256.")
  var type: HashKind?

  @Option(help: "Label for entries whose format carries none.")
  var label: String = ""

  @Flag(help: "Skip bad lines (each is still reported, and the exit status is 1) instead of stopping at the first.")
  var skipBadLines = false

  @Option(help: "VICS lists: the category scheme, current (0 non-pertinent) or legacy (0 uncategorised, read as no category).")
  var vicsCategories: TextHashSetReader.VICSCategories = .current

  var reader: TextHashSetReader {
    var reader = TextHashSetReader(format: format, type: type, label: label, skipBadLines: skipBadLines)
    reader.vicsCategories = vicsCategories
    return reader
  }
}

extension HashsetCommand {
  struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "import",
      abstract: "Read text hash lists into one binary .sieveset file.",
      discussion: """
        Examples:
          sieve hashset import --type pdq --label example known-pdq.txt \\
            -o known.sieveset
          sieve hash --format csv photos/ > hashes.csv
          sieve hashset import hashes.csv -o sample.sieveset
        """)

    @Argument(help: "Text hash lists to read (all go into one set).")
    var inputs: [String]

    @Option(name: [.short, .long], help: "The .sieveset file to write.")
    var output: String

    @Option(help: "The set's name, reported with every match (default: the output file's name).")
    var name: String?

    @OptionGroup var text: TextSetOptions

    @OptionGroup var prebuilt: PrebuiltIndexOptions

    func run() throws {
      let errors = LineWriter.standardError()
      let setName = name ?? String((output.split(separator: "/").last ?? "set").split(separator: ".").first ?? "set")
      var set = HashSet(name: setName)
      var skipped = 0
      var reader = text.reader
      reader.computesChecksum = false  // the set file carries a checksum of its own
      for input in inputs {
        do {
          let report = try reader.read(input, into: &set)
          for line in report.badLines { errors.write(line) }
          skipped += report.badLines.count
          let others = report.otherSignals.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
          errors.write(
            "\(input): \(report.entries) entries (\(report.format.rawValue))"
              + (report.badLines.isEmpty ? "" : ", \(report.badLines.count) bad lines skipped")
              + (others.isEmpty ? "" : ", other signal types not imported: " + others.joined(separator: ", ")))
        } catch {
          errors.write("\(error)")
          throw ExitCode(ExitStatus.someFailed)
        }
      }
      prebuilt.apply(to: &set)
      set.sortDigests()  // in place, as the file carries them
      do {
        try BinaryHashSet.write(set, to: output)
      } catch {
        errors.write("\(error)")
        throw ExitCode(ExitStatus.someFailed)
      }
      errors.write("\(output): \(SetSummary(set).text)")
      if skipped > 0 { throw ExitCode(ExitStatus.someFailed) }
    }
  }

  struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "build",
      abstract: "Build a set from known images, optionally augmented with the hashes of their crops and trims.",
      discussion: """
        Each image becomes one entry (id: its path; label: --label) with its PDQ hash, pHash \
        and MD5, SHA-1 and SHA-256. With --augment, the entry also stores the PDQ hashes of \
        variants cut from the same pixels, so that copies cropped that way still match:
          trim      the picture inside its uniform borders (images with
                    borders only)
          crops     centre crops keeping 90, 85, 80, 75 and 70 % of the area
          sides     10 % cut from the top, bottom, left or right
          all       all of these (10 hashes an image or more)

        or variant names: trimmed, crop90, crop85, crop80, crop75, crop70, crop-top, \
        crop-bottom, crop-left, crop-right. A match names the variant that matched (entry-crop90…). Augmented sets are \
        written as .sieveset version 2; Sieve releases before it refuse them by version.

        Videos become entries holding their vPDQ features (one a second by default), \
        matched by vPDQ's rule; a set with videos is written as .sieveset version 3. With \
        --augment, each hashed frame's variants are stored too (a copy cropped alike then \
        matches), written as version 4.

        Measured with `sieve eval` on the dev corpus (151 images): a 90 %-area centre crop \
        is found 100 % of the time with an augmented set and 15 % without; one side cut by \
        10 %: 100 % and 0 %; 75 %-area: 100 % and 0 %; an area drawn from 65-95 %: 96 % and \
        8 %. No false match in 679,500 pairs.

        Examples:
          sieve hashset build --augment all --label example known/ \\
            -o known.sieveset
        """)

    @Argument(help: "Image files and folders (folders are walked).")
    var paths: [String]

    @Option(name: [.short, .long], help: "The .sieveset file to write.")
    var output: String

    @Option(help: "The set's name, reported with every match (default: the output file's name).")
    var name: String?

    @Option(help: "Label of every entry.")
    var label: String = ""

    @Option(help: "Variants to store beside each image: trim, crops, sides, all, or variant names, comma-separated.")
    var augment: String?

    @OptionGroup(title: "Limits and resources")
    var resources: ResourceOptions

    @OptionGroup var walking: WalkOptions

    @OptionGroup(title: "Videos")
    var videos: VideoOptions

    @OptionGroup var prebuilt: PrebuiltIndexOptions

    @Flag(name: .shortAndLong, help: "No progress line and no summary on standard error.")
    var quiet = false

    /// The variants named by --augment.
    static func variants(_ text: String?) throws -> [PDQVariant] {
      var out: [PDQVariant] = []
      for word in (text ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !word.isEmpty {
        switch word {
        case "trim": out.append(.trimmed)
        case "crops": out += PDQVariant.centreCrops
        case "sides": out += PDQVariant.sideCrops
        case "all": out += [.trimmed] + PDQVariant.centreCrops + PDQVariant.sideCrops
        default:
          guard let variant = PDQVariant(name: word), variant != .original else {
            throw ValidationError("unknown variant '\(word)' in --augment; use trim, crops, sides, all or a variant name")
          }
          out.append(variant)
        }
      }
      var seen = Set<PDQVariant>()
      return out.filter { seen.insert($0).inserted }
    }

    func validate() throws { _ = try Self.variants(augment) }

    func run() throws {
      let errors = LineWriter.standardError()
      var options = HashOptions(pdq: true, phash: true)
      options.variants = try Self.variants(augment)
      let (source, files, walkFailures) = walking.walk(paths, errors: errors)
      var failures = walkFailures
      var configuration = try resources.configuration(options: options)
      configuration.digests = true
      configuration.video = videos.hasher(files: files.count, workers: configuration.workers)
      // An augmented set's videos: their hashed frames' variants too.
      configuration.video?.variants = options.variants.filter { !$0.isQueryOnly }
      let setName = name ?? String((output.split(separator: "/").last ?? "set").split(separator: ".").first ?? "set")
      var set = HashSet(name: setName)
      let progress = Progress(total: files.count, enabled: !quiet)
      var done = 0, skipped = 0
      BatchHasher(configuration: configuration).run(files, from: source) { _, record in
        if record.member == nil { done += 1 }
        switch record.outcome {
        case .hashed(let hashes, _):
          set.append(HashSetEntry(id: record.path.description, label: label, hashes: hashes, digests: record.digests))
        case .failed(let reason):
          failures += 1
          progress.clearLine()
          errors.write("\(record.path): \(reason)")
        case .encrypted:
          failures += 1
          progress.clearLine()
          errors.write("\(record.path): encrypted; not read")
        case .video(let video):
          // A known video: its vPDQ features, matched by vPDQ's rule.
          var entry = HashSetEntry(id: record.path.description, label: label)
          entry.vpdq = video.features
          // A flat crop's hash is noise and would match noise (as for pictures).
          entry.vpdqVariants = video.variants.filter { $0.quality >= 50 }
          if let digests = record.digests { (entry.md5, entry.sha1, entry.sha256) = (digests.md5, digests.sha1, digests.sha256) }
          set.append(entry)
          if let why = video.stoppedEarly {
            progress.clearLine()
            errors.write("\(record.path): \(why); \(video.features.count) frames kept")
          }
        case .skipped, .container, .knownGood, .special:
          skipped += 1
        }
        progress.update(done: done, failed: failures)
      }
      progress.clearLine()
      prebuilt.apply(to: &set)
      set.sortDigests()  // in place, as the file carries them
      do {
        try BinaryHashSet.write(set, to: output)
      } catch {
        errors.write("\(error)")
        throw ExitCode(ExitStatus.someFailed)
      }
      if !quiet {
        errors.write(
          "\(output): \(SetSummary(set).text)"
            + (skipped > 0 ? "; \(skipped) files not images" : "") + (failures > 0 ? "; \(failures) failed" : ""))
      }
      if failures > 0 { throw ExitCode(ExitStatus.someFailed) }
    }
  }

  struct Index: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "index",
      abstract: "Write a set with its PDQ multi-index tables built in, so it loads ready to match.",
      discussion: """
        Reads a set (binary or any text format), builds the multi-index tables of its PDQ \
        hashes on all cores, and writes it as a .sieveset (version 5) carrying them. \
        `sieve match` and `sieve serve` then use the tables where they lie in the file, \
        which is mapped into memory, instead of building them on every load (a 10M-entry \
        set is ready in about a second instead of tens). With --remove, writes the set \
        without them. The output is written atomically (a new file renamed into place), \
        so a service using the input meanwhile is unaffected.

        Examples:
          sieve hashset index known.sieveset
          sieve hashset index --type pdq list.txt -o known.sieveset
        """)

    @Argument(help: "The set to read.")
    var input: String

    @Option(name: [.short, .long], help: "The .sieveset file to write (default: the input, replaced).")
    var output: String?

    @Flag(help: "Write the set without tables instead.")
    var remove = false

    @OptionGroup var text: TextSetOptions

    func run() throws {
      let errors = LineWriter.standardError()
      let loaded: HashSetLoader.Loaded
      do { loaded = try HashSetLoader.load(input, text: text.reader) } catch {
        errors.write("\(error)")
        throw ExitCode(ExitStatus.someFailed)
      }
      guard loaded.header != nil || output != nil else {
        errors.write("\(input) is a text list: give -o for the .sieveset to write")
        throw ExitCode(ExitStatus.usage)
      }
      var set = loaded.set
      // Always rebuilt from the hashes: tables a file carries may be stale or hostile.
      set.removePDQIndex()
      if !remove { set.buildPDQIndex() }
      set.sortDigests()
      let target = output ?? input
      do { try BinaryHashSet.write(set, to: target) } catch {
        errors.write("\(error)")
        throw ExitCode(ExitStatus.someFailed)
      }
      errors.write("\(target): \(SetSummary(set).text)" + (set.pdqIndexDescription.map { "; PDQ index: \($0)" } ?? "; no PDQ index"))
    }
  }

  struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "export",
      abstract: "Write a hash set as text: csv, plain, pdq-cli, threatexchange or vpdq (its videos).")

    @Argument(help: "A .sieveset file (or any text set).")
    var input: String

    @Option(help: "Output format: csv, plain, pdq-cli, threatexchange, or vpdq (each video as a '# ID' line and vPDQ's frame lines).")
    var format: HashSetWriter.Format = .csv

    @Option(help: "With --format plain: the kind to write (pdq, phash, md5, sha1, sha256).")
    var type: HashKind = .pdq

    func run() throws {
      let set = try loadSet(input)
      let output = LineWriter.standardOutput()
      HashSetWriter.write(set, format: format, kind: type) { output.write($0) }
      output.flush()
      if let failure = output.failure {
        LineWriter.standardError().write("sieve: cannot write the output: \(failure)")
        throw ExitCode(ExitStatus.someFailed)
      }
    }
  }

  struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Describe hash sets: name, counts by kind, labels, checksum.")

    @Argument(help: "Hash set files.")
    var inputs: [String]

    @OptionGroup var text: TextSetOptions

    func run() throws {
      let output = LineWriter.standardOutput(forPeople: true)
      var failed = false
      for input in inputs {
        do {
          let loaded = try HashSetLoader.load(input, text: text.reader)
          let format = loaded.header.map { "sieveset v\($0.version), checksum \($0.checksumHex)" } ?? "text (\(loaded.report!.format.rawValue))"
          output.write("\(input): \(format)")
          output.write("  name: \(loaded.set.name)")
          output.write("  \(SetSummary(loaded.set).text)")
          if let index = loaded.set.pdqIndexDescription { output.write("  PDQ index: \(index)") }
          let labels = loaded.set.labels.filter { !$0.isEmpty }
          output.write("  labels: \(labels.isEmpty ? "none" : labels.prefix(20).joined(separator: ", ") + (labels.count > 20 ? ", … (\(labels.count))" : ""))")
        } catch {
          LineWriter.standardError().write("\(error)")
          failed = true
        }
      }
      output.flush()
      if failed { throw ExitCode(ExitStatus.someFailed) }
    }
  }

  struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "verify",
      abstract: "Check hash set files: structure and checksum (binary), every line (text).",
      discussion: "Exit status 0 when every file is sound, 1 otherwise.")

    @Argument(help: "Hash set files.")
    var inputs: [String]

    @OptionGroup var text: TextSetOptions

    func run() throws {
      var failed = false
      let output = LineWriter.standardOutput(forPeople: true)
      for input in inputs {
        var reader = text.reader
        reader.skipBadLines = true
        do {
          let loaded = try HashSetLoader.load(input, text: reader)
          if let report = loaded.report, !report.badLines.isEmpty {
            for line in report.badLines { LineWriter.standardError().write(line) }
            output.write("\(input): BAD (\(report.badLines.count) bad lines)")
            failed = true
          } else if !loaded.set.pdqIndexIsExact() {
            LineWriter.standardError().write("\(input): the prebuilt PDQ index is not the one its hashes give; rewrite it with `sieve hashset index`")
            output.write("\(input): BAD (PDQ index)")
            failed = true
          } else {
            output.write("\(input): OK, \(loaded.set.count) entries" + (loaded.header.map { ", checksum \($0.checksumHex)" } ?? ""))
          }
        } catch {
          LineWriter.standardError().write("\(error)")
          output.write("\(input): BAD")
          failed = true
        }
      }
      output.flush()
      if failed { throw ExitCode(ExitStatus.someFailed) }
    }
  }
}

/// "N entries: a pdq, b phash, …".
struct SetSummary {
  let text: String
  init(_ set: HashSet) {
    let kinds = HashKind.allCases.compactMap { kind -> String? in
      let n = set.count(of: kind)
      return n > 0 ? "\(n) \(kind)" : nil
    }
    let variants = set.pdqVariantCount
    let videos = set.videoCount
    text = "\(set.count) entries" + (kinds.isEmpty ? "" : ": " + kinds.joined(separator: ", "))
      + (variants > 0 ? ", and \(variants) PDQ hashes of variants (augmented)" : "")
      + (videos > 0 ? "\(kinds.isEmpty && variants == 0 ? ": " : ", ")\(videos) video\(videos == 1 ? "" : "s") (\(set.videoFrameCount) vPDQ frames)" : "")
      + (set.videoVariantCount > 0 ? " and \(set.videoVariantCount) hashes of their frames' variants (augmented)" : "")
  }
}

/// Loads a set for a command, mapping errors to a message and exit status 1.
func loadSet(_ path: String, text: TextHashSetReader = TextHashSetReader()) throws -> HashSet {
  do {
    return try HashSetLoader.load(path, text: text).set
  } catch {
    LineWriter.standardError().write("\(error)")
    throw ExitCode(ExitStatus.someFailed)
  }
}

extension TextHashSetReader.VICSCategories: ExpressibleByArgument {}
