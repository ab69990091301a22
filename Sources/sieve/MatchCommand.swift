import ArgumentParser
import Foundation
import SieveCore
import SieveHashSets
import SieveHashing
import SieveMatching
import SievePipeline
import SieveVideo

/// `sieve match`: find images (or precomputed hashes) that are in known-hash sets.
struct MatchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "match",
    abstract: "Match images or precomputed hashes against known-hash sets.",
    discussion: """
      Images are hashed exactly as `sieve hash` hashes them, then compared with every set: \
      PDQ by Hamming distance, by default the picture and the picture inside its uniform \
      borders, each really turned and flipped, and the picture extended by reflection as \
      if it were cropped (--strategy, below), against every hash of a set, an augmented \
      set's variants included; MD5, SHA-1 and SHA-256 by exact digest (computed from \
      the same read of every file, images or not, when a set holds digests); pHash only \
      when --phash-max-distance is given.

      Defaults and what they cost, measured on the benign dev corpus (151 distinct photos, \
      11,325 pairs of different images): PDQ distance <= 31 with quality >= 50 gave 0 false \
      matches (closest pair 78 bits; mean 127, sd 9; the corpus was de-duplicated at PDQ <= \
      40, so read this as "no unrelated pair came near 31", not as a rate). pHash distance \
      <= 8 gave 10 false matches (0.09%), all between dark deep-sky astronomy photos, and \
      <= 4 one (9e-5): no useful pHash radius meets PDQ's 1e-5 budget, so pHash is off by \
      default. `sieve eval` measured the default strategy: 0 false pairs in 679,500 pairs \
      of an edited copy and another original (closest 40). Each PDQ match carries an \
      estimate of how many unrelated pictures would match this closely by chance \
      (expected_false_matches; see the README). A PDQ \
      hash with quality below --min-quality is reported as low quality (on standard error) \
      and not matched by PDQ.

      Output rows: path, set, id, label, kind (pdq, phash, md5, sha1, sha256), distance, \
      orientation (for PDQ: which rotation or flip of the query matched), picture \
      (query-trimmed: the query inside its borders matched; query-extended90 etc.: the \
      query extended as if cropped; entry-crop90 etc.: an augmented set's variant), \
      expected_false_matches.

      Exit status: 0 when every input was processed (matched or not), 1 when some failed, 2 \
      on a usage error.

      Examples:
        sieve match --hashset known.sieveset evidence/
        sieve match --hashset known.sieveset --hashset list.txt --type pdq \\
          --format jsonl photos/
        sieve hash --format csv photos/ > h.csv
        sieve match --hashset known.sieveset --hashes h.csv
      """
  )

  @Option(name: .customLong("hashset"), help: "A hash set to match against (.sieveset or a text list); repeatable.")
  var hashsets: [String] = []

  @Option(name: .customLong("negative"), help: "A negative list (.sieveset from `sieve review export --negative`): known false matches, not reported; repeatable.")
  var negative: [String] = []

  @Option(help: "Match precomputed hashes from this file (e.g. `sieve hash --format csv` output) instead of images.")
  var hashes: String?

  @Argument(help: "Image files and folders to match.")
  var paths: [String] = []

  @OptionGroup(title: "Match thresholds")
  var thresholds: ThresholdOptions

  @OptionGroup(title: "Match strategy")
  var strategy: StrategyOptions

  @Flag(help: ArgumentHelp("Match PDQ only as the image is stored: the same as --strategy plain.", visibility: .hidden))
  var noDihedral = false

  @OptionGroup(title: "Turned pictures")
  var turning: OrientationOptions

  @Option(help: "Index: auto, linear, bk-tree or mih.")
  var index: IndexKind = .auto

  @Option(help: "Output format: text, csv or jsonl.")
  var format: OutputFormat = .text

  @Option(help: "Videos: the least share of the query video's frames (distinct, quality-passing) that must match a known video's (vPDQ's query match %).")
  var videoQueryPercent: Double = 80

  @Option(help: "Videos: the least share of the known video's frames the query must match (vPDQ's compared match %).")
  var videoComparedPercent: Double = 0

  @OptionGroup(title: "Videos")
  var videos: VideoOptions

  @OptionGroup(title: "Reading text hash sets")
  var text: TextSetOptions

  @OptionGroup(title: "Limits and resources")
  var resources: ResourceOptions

  @OptionGroup var walking: WalkOptions

  @Flag(name: .shortAndLong, help: "No progress line and no summary on standard error.")
  var quiet = false

  func validate() throws {
    guard !hashsets.isEmpty else { throw ValidationError("give at least one --hashset") }
    guard hashes != nil || !paths.isEmpty else { throw ValidationError("give images to match, or --hashes FILE") }
    guard hashes == nil || paths.isEmpty else { throw ValidationError("give either images or --hashes, not both") }
    guard !(turning.orientations && noDihedral) else { throw ValidationError("--orientations and --no-dihedral contradict each other") }
    guard strategy.strategy == nil || !(turning.orientations || noDihedral) else {
      throw ValidationError("give --strategy alone, without --orientations or --no-dihedral")
    }
  }

  func run() throws {
    let errors = LineWriter.standardError()
    let start = Date()
    var sets: [HashSet] = []
    var versions: [String] = []
    for path in hashsets {
      do {
        let loaded = try HashSetLoader.load(path, text: text.reader)
        for line in loaded.report?.badLines ?? [] { errors.write(line) }
        sets.append(loaded.set)
        versions.append(loaded.version)
      } catch {
        errors.write("\(error)")
        throw ExitCode(ExitStatus.someFailed)
      }
    }
    var negativeSets: [HashSet] = []
    for path in negative {
      do {
        negativeSets.append(try HashSetLoader.load(path, text: text.reader).set)
      } catch {
        errors.write("\(error)")
        throw ExitCode(ExitStatus.someFailed)
      }
    }
    let matcher = Matcher(
      sets: sets, options: thresholds.matchOptions(index: index), negative: negativeSets.isEmpty ? nil : NegativeList(sets: negativeSets),
      versions: versions)
    // Known videos, matched by vPDQ's rule: one matcher a set that holds any.
    let videoMatchers = VideoMatcher.matchers(
      for: sets,
      options: VideoMatcher.Options(
        thresholds.matchOptions(index: index), queryMatchPercent: videoQueryPercent, comparedMatchPercent: videoComparedPercent))
    let output = LineWriter.standardOutput(forPeople: format == .text)
    let writer = MatchWriter(format: format)
    if let header = writer.header { output.write(header) }
    var processed = 0, matchedInputs = 0, matchCount = 0, failures = 0, lowQuality = 0

    func handle(path: String, query: MatchQuery, frame: VPDQFeature? = nil) {
      processed += 1
      if query.pdq != nil, !matcher.pdqQualityIsEnough(query) {
        lowQuality += 1
        if !quiet {
          errors.write("\(path): note: PDQ quality \(query.pdqQuality ?? 0) is below \(thresholds.minQuality); PDQ not matched")
        }
      }
      let found = matcher.matches(for: query)
      if !found.isEmpty { matchedInputs += 1 }
      matchCount += found.count
      for match in found { output.write(writer.line(path: path, match: match, frame: frame)) }
    }

    if let hashes {
      var reader = text.reader
      reader.type = text.type
      let queries = try loadSet(hashes, text: reader)
      let entries = queries.entries
      for entry in entries {
        handle(
          path: entry.id,
          query: MatchQuery(
            pdq: entry.pdq, pdqQuality: entry.pdqQuality, phash: entry.phash,
            digests: [entry.md5, entry.sha1, entry.sha256].compactMap { $0 }))
      }
    } else {
      let wantPHash = thresholds.phashMaxDistance != nil && sets.contains { !$0.phashes.isEmpty }
      var options = HashOptions(pdq: true, phash: wantPHash)
      let chosen = strategy.strategy ?? (noDihedral ? .plain : turning.orientations ? .orientations : strategy.resolved)
      chosen.apply(to: &options)
      turning.apply(to: &options)
      let (source, files, walkFailures) = walking.walk(paths, errors: errors)
      failures += walkFailures
      var configuration = try resources.configuration(options: options)
      // Exact-digest sets are matched on every file read, images or not.
      // (A negative list's digests name files found to be false matches.)
      configuration.digests = (sets + negativeSets).contains { !$0.digests.isEmpty }
      configuration.video = videos.hasher(files: files.count, workers: configuration.workers)
      let batch = BatchHasher(configuration: configuration)
      let progress = Progress(total: files.count, enabled: !quiet)
      var done = 0
      batch.run(files, from: source) { _, record in
        if record.member == nil { done += 1 }
        switch record.outcome {
        case .hashed:
          handle(path: record.path.description, query: record.query)
        case .video(let video):
          // Each hashed frame is matched as a picture, named by its time in the video.
          if let digests = record.digests {
            handle(path: record.path.description, query: MatchQuery(digests: digests.all))
          }
          var videoMatched = false
          for (name, videoMatcher) in videoMatchers {
            for match in videoMatcher.matches(video.features) {
              videoMatched = true
              matchCount += 1
              output.write(writer.line(path: record.path.description, set: name, video: match))
            }
          }
          if videoMatched { matchedInputs += 1 }
          for frame in video.features { handle(path: record.path.description, query: MatchQuery(frame: frame), frame: frame) }
          if let why = video.stoppedEarly {
            // Part of the video went unmatched: a failure for the exit status too.
            failures += 1
            progress.clearLine()
            errors.write("\(record.path): \(why); \(video.features.count) frames matched")
          }
        case .failed(let reason):
          failures += 1
          progress.clearLine()
          errors.write("\(record.path): \(reason)")
        case .knownGood, .special:
          break
        case .skipped, .container:
          // Not an image, but its digests may still be in a set.
          if let digests = record.digests {
            handle(path: record.path.description, query: MatchQuery(digests: digests.all))
          }
          if case .container(let outcome) = record.outcome, outcome.problem != nil {
            failures += 1
            progress.clearLine()
            errors.write("\(record.path): \(outcome.description)")
          }
        case .encrypted:
          failures += 1
          progress.clearLine()
          errors.write("\(record.path): encrypted; not read")
        }
        progress.update(done: done, failed: failures)
      }
      progress.clearLine()
    }
    output.flush()
    if !quiet {
      let seconds = Date().timeIntervalSince(start)
      errors.write(
        "sieve: \(matchedInputs) of \(processed) \(hashes == nil ? "images" : "hashes") matched (\(matchCount) matches) against \(sets.count) set\(sets.count == 1 ? "" : "s")"
          + (lowQuality > 0 ? ", \(lowQuality) with PDQ quality too low" : "")
          + (matcher.suppressedMatches > 0 ? ", \(matcher.suppressedMatches) known false matches suppressed (--negative)" : "")
          + (failures > 0 ? ", \(failures) failed" : "") + String(format: " in %.2f s", seconds))
    }
    if let failure = output.failure {
      errors.write("sieve: cannot write the output: \(failure)")
      throw ExitCode(ExitStatus.someFailed)
    }
    if failures > 0 { throw ExitCode(ExitStatus.someFailed) }
  }
}

extension IndexKind: ExpressibleByArgument {}

/// Formats match rows.
struct MatchWriter {
  let format: OutputFormat

  var header: String? {
    format == .csv
      ? "path,set,id,label,kind,distance,orientation,picture,expected_false_matches,frame_time,query_match,compared_match" : nil
  }

  /// A known video matched by vPDQ's rule: the two percentages and the matching frames.
  func line(path: String, set: String, video match: VideoMatcher.Match) -> String {
    let best = match.frames.map(\.distance).min() ?? 0
    let percent = { (v: Double) in String(format: "%.1f", v) }
    switch format {
    case .text:
      let first = match.frames.first.map { " first \($0.query.timestampText)s ~ \($0.known.timestampText)s" } ?? ""
      return "\(path)  \(set):\(match.id)  vpdq \(percent(match.queryMatchPercent))% of query, "
        + "\(percent(match.comparedMatchPercent))% of known (\(match.frames.count) frames,\(first), best \(best))"
        + (match.label.isEmpty ? "" : "  [\(match.label)]")
    case .csv:
      return [
        path, set, match.id, match.label, "vpdq", String(best), "", "", "", match.frames.first?.query.timestampText ?? "",
        percent(match.queryMatchPercent), percent(match.comparedMatchPercent),
      ]
        .map(CSVField.quote).joined(separator: ",")
    case .jsonl:
      var object = JSONObject()
      object.add("path", path)
      object.add("set", set)
      object.add("id", match.id)
      object.add("label", match.label)
      object.add("kind", "vpdq")
      object.add("distance", best)
      object.addRaw("query_match_percent", percent(match.queryMatchPercent))
      object.addRaw("compared_match_percent", percent(match.comparedMatchPercent))
      let frames = match.frames.map { pair -> String in
        var inner = JSONObject()
        inner.addRaw("query_time", pair.query.timestampText)
        inner.addRaw("known_time", pair.known.timestampText)
        inner.add("query_frame", pair.query.frameNumber)
        inner.add("known_frame", pair.known.frameNumber)
        inner.add("distance", pair.distance)
        return inner.text
      }
      object.addRaw("frames", "[" + frames.joined(separator: ",") + "]")
      return object.text
    }
  }

  /// A match of a picture, or of a video's frame (named by its time).
  func line(path: String, match: Match, frame: VPDQFeature? = nil) -> String {
    let orientation = match.orientation?.name ?? ""
    let picture = match.picture ?? ""
    let expected = match.expectedFalseMatches.map { String(format: "%.2g", $0) } ?? ""
    switch format {
    case .text:
      return "\(path)\(frame.map { "@" + $0.timestampText + "s" } ?? "")  \(match.set):\(match.id)  \(match.kind) \(match.distance)"
        + (orientation.isEmpty ? "" : " \(orientation)") + (picture.isEmpty ? "" : " \(picture)")
        + (expected.isEmpty ? "" : " (chance \(expected))") + (match.label.isEmpty ? "" : "  [\(match.label)]")
    case .csv:
      return [
        path, match.set, match.id, match.label, match.kind.rawValue, String(match.distance), orientation, picture, expected,
        frame?.timestampText ?? "", "", "",
      ]
        .map(CSVField.quote).joined(separator: ",")
    case .jsonl:
      var object = JSONObject()
      object.add("path", path)
      object.add("set", match.set)
      object.add("id", match.id)
      object.add("label", match.label)
      object.add("kind", match.kind.rawValue)
      object.add("distance", match.distance)
      if !orientation.isEmpty { object.add("orientation", orientation) }
      if !picture.isEmpty { object.add("picture", picture) }
      if let probe = match.queryPDQ { object.add("query_pdq", probe.hexString) }
      if let e = match.expectedFalseMatches { object.addRaw("expected_false_matches", String(format: "%.3g", e)) }
      if let frame {
        object.addRaw("frame_time", frame.timestampText)
        object.add("frame", frame.frameNumber)
      }
      return object.text
    }
  }
}
