import Foundation
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
        ]))
    }
    for (i, c) in r.clusters.enumerated() {
      lines.append(json(["record": "cluster", "cluster": i + 1, "size": c.paths.count, "max_link_distance": c.maxLinkDistance, "paths": c.paths]))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// VICS-style JSON: one media record per matched file. Fields written (a subset of the
  /// Project VIC data model): `MediaID` (1, 2, …), `Category` (the matched entry's label:
  /// a number when the label is one, else the label text), `MD5`, `SHA1`, `MediaSize`,
  /// `RelativeFilePath` (relative to the evidence path it was found under), `FileName`,
  /// and `Comments` listing the matches (set, entry, kind, distance, orientation).
  static func vics(_ r: CaseReport) -> String {
    let roots = r.run.info.evidence
      .map { $0.hasSuffix("/") ? $0 : $0 + "/" }
    var order: [String] = []
    var byPath: [String: [CaseReport.MatchRow]] = [:]
    for m in r.matches {
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
        "Comments": rows.map { "\($0.set):\($0.entry) \($0.kind) \($0.distance)\($0.orientation.map { " " + $0 } ?? "")" }
          .joined(separator: "; "),
      ]
      if !label.isEmpty { record["Category"] = Int(label).map { $0 as Any } ?? label }
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
        "# text cells starting with = + - @ are prefixed with ' so that spreadsheets do not run them as formulas"
      ]
    ).map { line in
      String(String.UnicodeScalarView(line.unicodeScalars.map { $0 == "\n" || $0 == "\r" || $0 == "\t" ? " " : $0 == "," ? ";" : $0 }))
    }
    lines.append(
      "path,size,md5,sha1,sha256,set,entry,label,kind,distance,orientation,allocation,image,volume,file_system,"
        + "path_in_file_system,metadata_address,archive,archive_member,picture,expected_false_matches,frame_time,query_match,compared_match")
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
      lines.append((cells + place + archive + quality).map(CSVField.quote).joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// `s` escaped for HTML (``HTMLText/escape(_:replacingControls:)``).
  static func escape(_ s: String) -> String { HTMLText.escape(s) }

  /// The report page's Content-Security-Policy: no script, no network; only its own inline
  /// style and `data:` thumbnails. A tag that escaping missed still could not run or load.
  static let contentSecurityPolicy =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'"

  static func html(_ r: CaseReport, thumbnails: Bool = false) -> String {
    let e = escape
    var h = """
      <!DOCTYPE html>
      <html lang="en"><head><meta charset="utf-8">
      <meta http-equiv="Content-Security-Policy" content="\(contentSecurityPolicy)">
      <title>Sieve case report \(e(r.run.info.caseID))</title>
      <style>
      body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222;max-width:90em}
      h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
      table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
      th{background:#f3f3f3}code{font:12px ui-monospace,monospace;word-break:break-all}
      .num{text-align:right}.muted{color:#666}
      .thumb input{display:none}.thumb img{filter:blur(14px);cursor:pointer;max-width:160px;max-height:160px}
      .thumb input:checked+img{filter:none}
      </style></head><body>
      <h1>Sieve case report</h1>
      <table>
      <tr><th>Case id</th><td>\(e(r.run.info.caseID))</td></tr>
      <tr><th>Examiner</th><td>\(e(r.run.info.examiner))</td></tr>
      <tr><th>Scan run</th><td>\(r.run.id) (\(e(r.run.status)); resumed \(r.run.resumed)×)</td></tr>
      <tr><th>Started / finished</th><td>\(e(r.run.startedAt)) / \(e(r.run.finishedAt ?? "—"))</td></tr>
      <tr><th>Host</th><td>\(e(r.run.info.host))</td></tr>
      <tr><th>Tool</th><td>\(e(r.run.info.toolVersion))</td></tr>
      <tr><th>Evidence</th><td><code>\(e(jsonText(r.run.info.evidence)))</code></td></tr>
      <tr><th>Parameters</th><td><code>\(e(jsonText(r.run.info.parameters)))</code></td></tr>
      <tr><th>Hash sets</th><td><code>\(e(jsonText(r.run.info.hashSets)))</code></td></tr>
      \(r.run.notes.map { "<tr><th>Note</th><td><strong>\(e($0))</strong></td></tr>" }.joined(separator: "\n"))
      </table>
      <h2>Files</h2>
      <table><tr><th>Status</th><th>Files</th></tr>
      """
    for (status, n) in r.byStatus { h += "<tr><td>\(e(status))</td><td class=num>\(n)</td></tr>\n" }
    h += "</table>\n<table><tr><th>Type</th><th>Files</th></tr>\n"
    for (type, n) in r.byType { h += "<tr><td>\(e(type))</td><td class=num>\(n)</td></tr>\n" }
    h += "</table>\n<h2>Matches (\(r.matches.count))</h2>\n"
    var group: String?
    var thumbnailCache: [String: String] = [:]
    var reader = RecordedFileReader()
    // A video's matched frames: each video decoded once, as far as its last matched frame.
    var framesWanted: [String: Set<Int>] = [:]
    // A video matched whole by its digests shows its first frame.
    for m in r.matches where m.isVideo { framesWanted[m.path, default: []].insert(m.frameNumber ?? 0) }
    var frameThumbnails: [String: [Int: String]] = [:]
    for m in r.matches {
      let key = m.set + "\u{0}" + m.label
      if key != group {
        if group != nil { h += "</table>\n" }
        group = key
        h += "<h3>\(e(m.set)) — \(m.label.isEmpty ? "<span class=muted>no label</span>" : e(m.label))</h3>\n"
        h += "<table><tr>" + (thumbnails ? "<th>Image (click)</th>" : "")
          + "<th>Path</th><th>Entry</th><th>Kind</th><th>Distance</th><th>Orientation</th><th>MD5 / SHA-1 / SHA-256</th></tr>\n"
      }
      h += "<tr>"
      if thumbnails, m.isVideo {
        if let wanted = framesWanted[m.path] {
          let number = m.frameNumber ?? 0
          if frameThumbnails[m.path] == nil {
            frameThumbnails[m.path] = Thumbnail.frameDataURIs(
              wanted, for: RawPath(bytes: m.pathBytes), location: m.location, member: m.member, size: m.size, expectedSHA256: m.sha256,
              reader: &reader)
          }
          if let uri = frameThumbnails[m.path]?[number] {
            let frame = m.frameTime.map { "frame at " + String(format: "%.3f s", $0) } ?? "first frame"
            h += "<td><label class=thumb><input type=checkbox><img alt=\"blurred \(frame), click to show\" src=\"\(uri)\"></label></td>"
          } else {
            h += "<td class=muted>not shown (video missing, changed since the scan, or too large to read back)</td>"
          }
        } else {
          h += "<td class=muted>not shown (no frame recorded)</td>"
        }
      } else if thumbnails {
        if thumbnailCache[m.path] == nil {
          thumbnailCache[m.path] =
            Thumbnail.dataURI(
              for: RawPath(bytes: m.pathBytes), location: m.location, member: m.member, size: m.size, expectedSHA256: m.sha256,
              reader: &reader) ?? ""
        }
        let uri = thumbnailCache[m.path]!
        h += uri.isEmpty
          ? "<td class=muted>not shown (file missing or changed since the scan)</td>"
          : "<td><label class=thumb><input type=checkbox><img alt=\"blurred thumbnail, click to show\" src=\"\(uri)\"></label></td>"
      }
      h += "<td><code>\(e(m.path))</code></td><td><code>\(e(m.entry))</code></td><td>\(e(m.kind))</td>"
      h += "<td class=num>\(m.distance)"
        + (m.expectedFalse.map { "<br><small title=\"unrelated pictures expected to match this closely by chance\">chance \(String(format: "%.1g", $0))</small>" } ?? "")
        + "</td><td>\(e(m.orientation ?? ""))\(m.picture.map { "<br>" + e($0) } ?? "")"
        + (m.frameTime.map { "<br>" + (m.kind == "vpdq" ? "first frame at " : "frame at ") + String(format: "%.3f s", $0) } ?? "")
        + (m.queryMatch.map { q in String(format: "<br>%.1f %% of the video's frames, %.1f %% of the known video's", q, m.comparedMatch ?? 0) } ?? "")
        + "</td>"
      h += "<td><code>\(e(m.md5 ?? ""))<br>\(e(m.sha1 ?? ""))<br>\(e(m.sha256 ?? ""))</code></td></tr>\n"
    }
    if group != nil { h += "</table>\n" }
    h += "<h2>Near-duplicate groups in the evidence (\(r.clusters.count))</h2>\n"
    for (i, c) in r.clusters.enumerated() {
      h += "<h3>Group \(i + 1): \(c.paths.count) images (PDQ links up to \(c.maxLinkDistance))</h3><ul>\n"
      for p in c.paths { h += "<li><code>\(e(p))</code></li>\n" }
      h += "</ul>\n"
    }
    h += "<p class=muted>Generated by \(e(r.run.info.toolVersion)). The SHA-256 of this file is recorded in the case database.</p>\n</body></html>\n"
    return h
  }
}
