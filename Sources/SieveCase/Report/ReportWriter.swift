import Foundation
import Mustache
import SieveCore
import SieveEvidence
import SievePipeline

/// Renders a ``CaseReport`` as JSON Lines, CSV or one self-contained HTML file.
public enum ReportWriter {
  /// Report formats.
  public enum Format: String, Sendable, CaseIterable {
    case jsonl, csv, html
    /// Matched files as VICS-style JSON (Project VIC media records); see ``vics(_:)``.
    case vics
  }

  /// The report's bytes.
  ///
  /// - Parameter thumbnails: HTML only: embed a small thumbnail of each matched image,
  ///   blurred until clicked (examiner wellness); off by default.
  public static func render(_ report: CaseReport, format: Format, thumbnails: Bool = false) -> [UInt8] {
    switch format {
    case .jsonl: return Array(jsonl(report).utf8)
    case .csv: return Array(csv(report).utf8)
    case .html: return Array(html(report, thumbnails: thumbnails).utf8)
    case .vics: return Array(vics(report).utf8)
    }
  }

  /// A run's typed record as JSON text (sorted keys), for CSV and HTML.
  static func jsonText(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? ""
  }

  /// A run's typed record as a JSON object, for JSON Lines.
  static func jsonObject(_ value: some Encodable) -> Any {
    (try? JSONSerialization.jsonObject(with: Data(jsonText(value).utf8))) ?? NSNull()
  }

  static func json(_ object: [String: Any]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    return String(decoding: data, as: UTF8.self)
  }

  /// A location as a JSON object (the keys of ``EvidenceLocation``).
  static func locationObject(_ l: EvidenceLocation) -> [String: Any] {
    [
      "image": l.image, "volume": l.partition ?? NSNull(), "volume_offset": l.partitionOffset, "file_system": l.fileSystem,
      "path_in_file_system": l.pathInFileSystem, "metadata_address": l.metadataAddress, "allocation": l.allocation.rawValue,
      "created": l.created ?? NSNull(), "carved_offset": l.carvedOffset ?? NSNull(), "stream": l.stream ?? NSNull(),
    ]
  }

  static func jsonl(_ r: CaseReport) -> String {
    var lines: [String] = []
    lines.append(
      json([
        "record": "run", "run": r.run.id, "status": r.run.status, "started_at": r.run.startedAt,
        "finished_at": r.run.finishedAt ?? NSNull(), "tool_version": r.run.info.toolVersion, "examiner": r.run.info.examiner,
        "case_id": r.run.info.caseID, "host": r.run.info.host, "resumed": r.run.resumed,
        "parameters": jsonObject(r.run.info.parameters), "hashsets": jsonObject(r.run.info.hashSets),
        "evidence": r.run.info.evidence,
        "files_by_status": Dictionary(uniqueKeysWithValues: r.byStatus),
        "files_by_type": Dictionary(uniqueKeysWithValues: r.byType), "notes": r.run.notes,
        "review": [
          "decisions": r.decisions, "ledger_head": r.ledgerHead ?? NSNull(), "ledger_intact": r.ledgerProblems == 0, "scheme": r.scheme.name,
        ] as [String: Any],
      ]))
    for m in r.matches {
      lines.append(
        json([
          "record": "match", "path": m.path, "size": m.size ?? NSNull(), "md5": m.md5 ?? NSNull(), "sha1": m.sha1 ?? NSNull(),
          "sha256": m.sha256 ?? NSNull(), "set": m.set, "entry": m.entry, "label": m.label, "kind": m.kind,
          "distance": m.distance, "orientation": m.orientation ?? NSNull(),
          "picture": m.picture ?? NSNull(), "expected_false_matches": m.expectedFalse ?? NSNull(),
          "frame_time": m.frameTime ?? NSNull(), "query_match_percent": m.queryMatch ?? NSNull(),
          "compared_match_percent": m.comparedMatch ?? NSNull(),
          "allocation": m.location?.allocation.rawValue ?? NSNull(), "location": m.location.map(locationObject) ?? NSNull(),
          "archive": m.member.map { $0.containerPath(of: RawPath(bytes: m.pathBytes)).description } ?? NSNull(),
          "archive_member": m.member.map(\.memberPath) ?? NSNull(),
          "review": m.review.rawValue, "category": m.category ?? NSNull(), "review_note": m.reviewNote ?? NSNull(),
        ]))
    }
    for (i, c) in r.clusters.enumerated() {
      lines.append(json(["record": "cluster", "cluster": i + 1, "size": c.paths.count, "max_link_distance": c.maxLinkDistance, "paths": c.paths]))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// VICS-style JSON: one media record per matched file, false matches (by the review) left
  /// out. Fields written (a subset of the Project VIC data model): `MediaID` (1, 2, …),
  /// `Category` (a number, as VICS has it: a confirmed file's category from the review;
  /// else the matched entry's label when it is a number; a text label goes to `Comments`), `MD5`, `SHA1`, `MediaSize`,
  /// `RelativeFilePath` (relative to the evidence path it was found under), `FileName`,
  /// and `Comments` listing the matches (set, entry, kind, distance, orientation).
  static func vics(_ r: CaseReport) -> String {
    let roots = r.run.info.evidence
      .map { $0.hasSuffix("/") ? $0 : $0 + "/" }
    var order: [String] = []
    var byPath: [String: [CaseReport.MatchRow]] = [:]
    // Files the examiner found to be false matches are left out, and confirmed files carry
    // their categories, only while the ledger checks out: otherwise the review is ignored.
    let reviewed = r.ledgerProblems == 0
    for m in r.matches where !(reviewed && m.review == .falseMatch) {
      if byPath[m.path] == nil { order.append(m.path) }
      byPath[m.path, default: []].append(m)
    }
    var media: [[String: Any]] = []
    for (i, path) in order.enumerated() {
      let rows = byPath[path]!
      let first = rows[0]
      let label = rows.first { !$0.label.isEmpty }?.label ?? ""
      // In a disk image: the path in its file system (with its volume), as the image's
      // own root is the evidence path.
      // In an archive: the archive's, then the members down to the file (`a.zip!/b.jpg`).
      let relative =
        first.location.map { l in
          (l.partition.map { "vol\($0)" } ?? "") + l.pathInFileSystem + (first.member.map { "!/" + $0.memberPath } ?? "")
        }.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 }
        ?? roots.first { path.hasPrefix($0) }.map { String(path.dropFirst($0.count)) } ?? path
      var record: [String: Any] = [
        "MediaID": i + 1, "MD5": (first.md5 ?? "").uppercased(), "SHA1": (first.sha1 ?? "").uppercased(),
        "MediaSize": first.size ?? 0, "RelativeFilePath": relative, "FileName": (path as NSString).lastPathComponent,
        "Comments": rows.map {
          "\($0.set):\($0.entry) \($0.kind) \($0.distance)\($0.orientation.map { " " + $0 } ?? "")\($0.label.isEmpty ? "" : " label " + $0.label)"
        }.joined(separator: "; "),
      ]
      // A confirmed file carries the examiner's category; others the matched entry's label.
      if reviewed, first.review == .confirmed, let category = first.category {
        record["Category"] = category
      } else if let number = Int(label) {
        record["Category"] = number
      }
      media.append(record)
    }
    let document: [String: Any] = [
      "odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml/$metadata#Media", "value": media,
    ]
    let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data()
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  /// CSV of the matches, after `#` lines stating the run: tool version, parameters,
  /// hash sets with their SHA-256, evidence, examiner, case id (read it with a comment
  /// character of `#`, e.g. pandas `comment="#"`).
  static func csv(_ r: CaseReport) -> String {
    let i = r.run.info
    // Comment lines stay one line and one cell each: every CR and LF (a scalar, even inside
    // "\r\n") and tab is a space, every comma a semicolon, so that no part of a set name or
    // label from a hash list becomes a cell of its own (a spreadsheet knows no comments).
    var lines = (
      [
        "# sieve report, run \(r.run.id) (\(r.run.status)), \(r.run.startedAt) to \(r.run.finishedAt ?? "-")",
        "# tool: \(i.toolVersion)", "# examiner: \(i.examiner); case id: \(i.caseID); host: \(i.host)",
        "# evidence: \(jsonText(i.evidence))", "# parameters: \(jsonText(i.parameters))",
        "# hash sets: \(jsonText(i.hashSets))",
      ] + r.run.notes.map { "# note: \($0)" } + [
        "# review: \(r.decisions) decisions in the ledger"
          + (r.ledgerProblems > 0 ? " (BROKEN: \(r.ledgerProblems) problems; run sieve review verify)" : r.ledgerHead.map { " (verified); head " + $0 } ?? "")
          + "; categories: \(r.scheme.name)"
      ] + [
        "# text cells starting with = + - @ are prefixed with ' so that spreadsheets do not run them as formulas"
      ]
    ).map { line in
      String(String.UnicodeScalarView(line.unicodeScalars.map { $0 == "\n" || $0 == "\r" || $0 == "\t" ? " " : $0 == "," ? ";" : $0 }))
    }
    lines.append(
      "path,size,md5,sha1,sha256,set,entry,label,kind,distance,orientation,allocation,image,volume,file_system,"
        + "path_in_file_system,metadata_address,archive,archive_member,picture,expected_false_matches,frame_time,query_match,compared_match,"
        + "review,category")
    for m in r.matches {
      let cells: [String] = [
        CSVField.spreadsheetSafe(m.path), m.size.map(String.init) ?? "", m.md5 ?? "", m.sha1 ?? "", m.sha256 ?? "",
        CSVField.spreadsheetSafe(m.set), CSVField.spreadsheetSafe(m.entry), CSVField.spreadsheetSafe(m.label), m.kind,
        String(m.distance), m.orientation ?? "",
      ]
      var place: [String] = ["", "", "", "", "", ""]
      if let l = m.location {
        let volume: String = l.partition.map { String($0) } ?? ""
        place = [
          l.allocation.rawValue, CSVField.spreadsheetSafe(l.image), volume, l.fileSystem, CSVField.spreadsheetSafe(l.pathInFileSystem),
          String(l.metadataAddress),
        ]
      }
      let archive: [String] = m.member.map { member in
        [CSVField.spreadsheetSafe(member.containerPath(of: RawPath(bytes: m.pathBytes)).description), CSVField.spreadsheetSafe(member.memberPath)]
      } ?? ["", ""]
      let quality = [
        m.picture ?? "", m.expectedFalse.map { String(format: "%.2g", $0) } ?? "", m.frameTime.map { String(format: "%.3f", $0) } ?? "",
        m.queryMatch.map { String(format: "%.1f", $0) } ?? "", m.comparedMatch.map { String(format: "%.1f", $0) } ?? "",
      ]
      let review = [m.review.rawValue, m.category.map(String.init) ?? ""]
      lines.append((cells + place + archive + quality + review).map(CSVField.quote).joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// `s` escaped for HTML (``HTMLText/escape(_:replacingControls:)``).
  static func escape(_ s: String) -> String { HTMLText.escape(s) }

  // The report page's Content-Security-Policy (in its template): no script, no network;
  // only its own inline style and `data:` thumbnails. A tag that escaping missed still
  // could not run or load.

  /// The report page's template (the review app's look: ``PageStyle``).
  static let template: MustacheTemplate? = try? MustacheTemplate(string: String(decoding: PackageResources.report_mustache, as: UTF8.self))

  /// A scan parameter's name for people.
  static let parameterNames: [String: String] = [
    "max_distance": "PDQ: largest distance matched", "phash_max_distance": "pHash: largest distance matched",
    "min_quality": "PDQ: least quality matched", "pdq_mode": "PDQ mode", "dihedral": "Turned and mirrored pictures matched",
    "max_pixels": "Largest picture (pixels)", "max_pixels_per_byte": "Largest pixels per byte", "max_bytes": "Largest file read (bytes)",
    "max_seconds": "Time limit a file (s; 0: none)", "follow_symlinks": "Links followed", "carve": "Pictures carved from unallocated space",
    "archives": "Archives opened", "orientations": "Turned pictures hashed", "strategy": "Match strategy", "fast": "Fast mode",
    "tool": "Tool and decoders", "set_label": "Text sets: label", "set_type": "Text sets: hash type", "set_format": "Text sets: format",
    "known_good": "Known-good lists", "negative": "Negative lists (known false matches)",
  ]

  /// A JSON value, read back from a run's typed record to show it to people.
  enum JSONValue: Decodable {
    case bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue]), null

    init(from decoder: any Decoder) throws {
      let c = try decoder.singleValueContainer()
      if c.decodeNil() { self = .null }
      else if let b = try? c.decode(Bool.self) { self = .bool(b) }
      else if let n = try? c.decode(Double.self) { self = .number(n) }
      else if let s = try? c.decode(String.self) { self = .string(s) }
      else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
      else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// For people: scalars as they are, lists `; `-separated, objects as `key: value`.
    var readable: String {
      switch self {
      case .bool(let b): return b ? "yes" : "no"
      case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
      case .string(let s): return s.isEmpty ? "—" : s
      case .array(let a): return a.isEmpty ? "none" : a.map(\.readable).joined(separator: "; ")
      case .object(let d): return d.keys.sorted().map { "\($0): \(d[$0]!.readable)" }.joined(separator: "; ")
      case .null: return "—"
      }
    }
  }

  /// The run's parameters as rows for people.
  static func parameterRows(_ parameters: ScanParameters) -> [[String: String]] {
    guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(jsonText(parameters).utf8)) else { return [] }
    return object.keys.sorted { (parameterNames[$0] ?? $0) < (parameterNames[$1] ?? $1) }.map { key in
      ["name": parameterNames[key] ?? key.replacingOccurrences(of: "_", with: " "), "value": object[key]!.readable]
    }
  }

  static func html(_ r: CaseReport, thumbnails: Bool = false) -> String {
    // One entry per matched file, with all its matches, in the report's order.
    var order: [Int64] = []
    var byFile: [Int64: [CaseReport.MatchRow]] = [:]
    for m in r.matches {
      if byFile[m.fileID] == nil { order.append(m.fileID) }
      byFile[m.fileID, default: []].append(m)
    }
    order.sort { (byFile[$0]![0].path, $0) < (byFile[$1]![0].path, $1) }
    var reader = RecordedFileReader()
    var counts: [ReviewState: Int] = [:]
    var files: [[String: Any]] = []
    for id in order {
      let rows = byFile[id]!
      let first = rows[0]
      counts[first.review, default: 0] += 1
      var entry: [String: Any] = [
        "fileID": id, "path": first.path, "size": first.size.map(String.init) ?? "?", "md5": first.md5 ?? "—", "sha1": first.sha1 ?? "—",
        "sha256": first.sha256 ?? "—", "state": first.review.rawValue, "stateTitle": first.review.title,
        "note": first.reviewNote.flatMap { $0.isEmpty ? nil : $0 } ?? false,
      ]
      if let c = first.category { entry["category"] = r.scheme.title(c) }
      var place: [String] = []
      if let l = first.location {
        place.append("\(l.allocation.rawValue) in \(l.image)\(l.partition.map { " volume \($0)" } ?? ""), \(l.fileSystem) \(l.pathInFileSystem)")
      }
      if let member = first.member { place.append("archive member \(member.memberPath)") }
      if !place.isEmpty { entry["place"] = place.joined(separator: "; ") }
      entry["matches"] = rows.map { m -> [String: Any] in
        [
          "set": m.set, "entry": m.entry, "label": m.label, "kind": m.kind, "distance": m.distance,
          "orientation": [m.orientation, m.picture].compactMap { $0 }.joined(separator: " · "),
          "chance": m.expectedFalse.map { String(format: "%.1g", $0) } ?? "",
          "video": (m.frameTime.map { (m.kind == "vpdq" ? "first frame at " : "frame at ") + String(format: "%.3f s", $0) } ?? "")
            + (m.queryMatch.map { q in String(format: "; %.1f %% of the video's frames, %.1f %% of the known video's", q, m.comparedMatch ?? 0) } ?? ""),
        ]
      }
      if thumbnails {
        entry["hasThumbnails"] = true
        if first.isVideo {
          // Each matched frame (a digest match of the whole video shows its first frame).
          var frames: [Int: Double?] = [:]
          for m in rows {
            let number = m.frameNumber ?? 0
            if let time = m.frameTime {
              frames[number] = .some(time)
            } else if frames[number] == nil {
              frames[number] = .some(nil)
            }
          }
          let uris = Thumbnail.frameDataURIs(
            Set(frames.keys), for: RawPath(bytes: first.pathBytes), location: first.location, member: first.member, size: first.size,
            expectedSHA256: first.sha256, reader: &reader)
          entry["thumbnails"] = frames.keys.sorted().map { number -> [String: Any] in
            let what = frames[number]!.map { "frame at " + String(format: "%.3f s", $0) } ?? "first frame"
            var thumb: [String: Any] = ["why": "video missing, changed since the scan, or too large to read back", "alt": "blurred \(what), select to show"]
            if let uri = uris[number] { thumb["uri"] = uri }
            return thumb
          }
        } else {
          var thumb: [String: Any] = ["why": "file missing or changed since the scan", "alt": "blurred thumbnail, select to show"]
          if let uri = Thumbnail.dataURI(
            for: RawPath(bytes: first.pathBytes), location: first.location, member: first.member, size: first.size,
            expectedSHA256: first.sha256, reader: &reader)
          {
            thumb["uri"] = uri
          }
          entry["thumbnails"] = [thumb]
        }
      }
      files.append(entry)
    }
    let info = r.run.info
    let values: [String: Any] = [
      "css": PageValues.Markup(PageStyle.css), "caseID": info.caseID, "runID": r.run.id,
      "generated": info.toolVersion, "filesTotal": r.byStatus.map(\.1).reduce(0, +), "matchedFiles": order.count,
      "matchCount": r.matches.count, "confirmed": counts[.confirmed] ?? 0, "falseMatches": counts[.falseMatch] ?? 0,
      "unreviewed": counts[.unreviewed] ?? 0, "examiner": info.examiner, "status": r.run.status, "resumed": r.run.resumed,
      "startedAt": r.run.startedAt, "finishedAt": r.run.finishedAt ?? "—", "host": info.host, "tool": info.toolVersion,
      "evidence": info.evidence, "decisions": r.decisions, "ledgerHead": r.ledgerHead ?? false, "scheme": r.scheme.name,
      "ledgerBroken": r.ledgerProblems > 0 ? "the ledger is BROKEN (\(r.ledgerProblems) problems): run sieve review verify" : false,
      "notes": r.run.notes, "byStatus": r.byStatus.map { ["name": $0.0, "count": $0.1] as [String: Any] },
      "byType": r.byType.map { ["name": $0.0, "count": $0.1] as [String: Any] }, "parameters": parameterRows(info.parameters),
      "sets": info.hashSets.map { ["name": $0.name, "entries": $0.entries, "version": $0.version, "sha256": $0.sha256, "path": $0.path] as [String: Any] },
      "files": files, "groupCount": r.clusters.count,
      "groups": r.clusters.enumerated().map { i, c in
        ["number": i + 1, "size": c.paths.count, "maxLink": c.maxLinkDistance, "paths": c.paths] as [String: Any]
      },
    ]
    return template?.render(PageValues.escaped(values)) ?? ""
  }
}
