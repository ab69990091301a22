import Foundation
import GRDB
import SieveCore
import SieveEvidence
import SievePipeline
import SieveSystem

/// Copies the matched files of a scanned case out of the evidence, for the examiner's
/// next tool: from folders and from inside disk images alike, each read again (the
/// evidence read-only, an image through its file system) and kept only when it still
/// digests to the SHA-256 the scan recorded.
///
/// Files are written as `00001-photo.jpg`, `00002-…` (a number, then the file's own name
/// made safe: no folder separators, no control characters), never with a path taken from
/// the evidence, beside `manifest.csv`, one line per matched file: what was written, where
/// the file was found, its digests, its matches, and whether it was copied or why not. The
/// manifest's SHA-256 is recorded in the case as a report of format `export`.
public struct CaseExporter: Sendable {
  public let caseFolder: String

  public init(caseFolder: String) {
    self.caseFolder = caseFolder
  }

  /// What an export did.
  public struct Summary: Sendable {
    public var run: Int64
    /// Files written (their digests verified).
    public var copied: Int
    /// Matched files not written, with the reason: no longer readable, or changed.
    public var failed: [(path: String, reason: String)]
    public var manifestSHA256: String
  }

  /// One matched file, as recorded.
  struct Matched: FetchableRecord, Decodable {
    var path: Data
    var pathText: String
    var size: Int?
    var md5: String?
    var sha1: String?
    var sha256: String?
    var location: String?
    var archiveMember: String?
    var matches: String

    enum CodingKeys: String, CodingKey {
      case path, pathText = "path_text", size, md5, sha1, sha256, location, archiveMember = "archive_member", matches
    }
  }

  /// Exports the matched files of `run` (the latest by default) into the folder `out`
  /// (created; it must be new or empty, and outside the evidence).
  ///
  /// - Throws: ``CaseError``: no case database or run, `out` inside the evidence, not
  ///   empty, or not writable.
  public func export(run: Int64? = nil, to out: String, progress: (Int, Int) -> Void = { _, _ in }) throws -> Summary {
    guard FileManager.default.fileExists(atPath: (caseFolder as NSString).appendingPathComponent(CaseDatabase.fileName)) else {
      throw CaseError.cannotOpen(path: caseFolder, reason: "no case database here (run `sieve scan` first)")
    }
    let database = try CaseDatabase(folder: caseFolder)
    let report = try CaseReport.load(from: database, run: run, clusterRadius: 0)
    if let root = EvidenceGuard.root(containing: RawPath(out), evidence: report.run.info.evidence.map(RawPath.init)) {
      throw CaseError.cannotOpen(path: out, reason: "the export would be written inside the evidence \(root); choose another place")
    }
    if let existing = try? FileManager.default.contentsOfDirectory(atPath: out), !existing.isEmpty {
      throw CaseError.cannotOpen(path: out, reason: "the folder is not empty; export into a new folder")
    }
    do {
      try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    } catch {
      throw CaseError.cannotOpen(path: out, reason: "cannot create the folder: \(error.localizedDescription)")
    }
    let files = try database.queue.read { db in
      try Matched.fetchAll(
        db,
        sql: """
          SELECT f.path, f.path_text, f.size, f.md5, f.sha1, f.sha256, f.location, f.archive_member,
            group_concat(m.set_name || ':' || m.entry_id || ' ' || m.kind || ' ' || m.distance, '; ') AS matches
          FROM files f JOIN matches m ON m.file_id = f.id WHERE f.run_id = ?
          GROUP BY f.id ORDER BY f.path_text
          """, arguments: [report.run.id])
    }
    var reader = RecordedFileReader()
    var lines = ["file,path,image,volume,path_in_file_system,archive_member,allocation,size,md5,sha1,sha256,matches,status"]
    var copied = 0
    var failed: [(String, String)] = []
    for (index, file) in files.enumerated() {
      progress(index, files.count)
      let location = CaseDatabase.FileRecord.location(file.location)
      let member = CaseDatabase.FileRecord.member(file.archiveMember)
      // (A carve's location names the file whose slack held it, if any: not its name.)
      let own =
        member.flatMap { ($0.steps.last?.name as NSString?)?.lastPathComponent }
        ?? location.flatMap {
          $0.pathInFileSystem.isEmpty || $0.carvedOffset != nil ? nil : ($0.pathInFileSystem as NSString).lastPathComponent
        }
      let name = String(format: "%05d-", index + 1) + Self.safeName(own ?? (file.pathText as NSString).lastPathComponent)
      var status = "copied"
      do {
        let bytes = try reader.contents(path: RawPath(bytes: [UInt8](file.path)), location: location, member: member, size: file.size)
        let digest = bytes.withUnsafeBytes { FileDigests(of: $0).sha256.hexString }
        guard digest == file.sha256 else {
          throw CaseError.cannotRead(path: file.pathText, reason: "its SHA-256 is now \(digest), not \(file.sha256 ?? "-") as scanned")
        }
        try FileSystem.writeAtomically(bytes, to: (out as NSString).appendingPathComponent(name), mode: 0o444)
        copied += 1
      } catch {
        status = "not copied: \(error)"
        failed.append((file.pathText, "\(error)"))
      }
      let cells: [String] = [
        status == "copied" ? name : "", CSVField.spreadsheetSafe(file.pathText), location.map { CSVField.spreadsheetSafe($0.image) } ?? "",
        location?.partition.map { String($0) } ?? "", location.map { CSVField.spreadsheetSafe($0.pathInFileSystem) } ?? "",
        member.map { CSVField.spreadsheetSafe($0.memberPath) } ?? "",
        location?.allocation.rawValue ?? "", file.size.map { String($0) } ?? "", file.md5 ?? "", file.sha1 ?? "", file.sha256 ?? "",
        CSVField.spreadsheetSafe(file.matches), CSVField.spreadsheetSafe(status),
      ]
      lines.append(cells.map(CSVField.quote).joined(separator: ","))
    }
    progress(files.count, files.count)
    let manifest = Array((lines.joined(separator: "\n") + "\n").utf8)
    let manifestPath = (out as NSString).appendingPathComponent("manifest.csv")
    do {
      try FileSystem.writeAtomically(manifest, to: manifestPath, mode: 0o444)
    } catch {
      throw CaseError.cannotOpen(path: manifestPath, reason: "\(error)")
    }
    let sha256 = manifest.withUnsafeBytes { FileDigests(of: $0).sha256.hexString }
    try database.recordReport(run: report.run.id, format: "export", path: manifestPath, sha256: sha256, bytes: manifest.count)
    return Summary(run: report.run.id, copied: copied, failed: failed, manifestSHA256: sha256)
  }

  /// A file name that cannot leave the export folder or confuse a terminal: `/`, `\`,
  /// control characters and a leading dot replaced, at most 100 bytes kept.
  static func safeName(_ name: String) -> String {
    var scalars = String.UnicodeScalarView()
    for scalar in name.unicodeScalars {
      scalars.append(scalar == "/" || scalar == "\\" || scalar.properties.generalCategory == .control ? "_" : scalar)
    }
    var safe = String(scalars)
    if safe.hasPrefix(".") { safe = "_" + safe.dropFirst() }
    while safe.utf8.count > 100 { safe.removeFirst() }
    return safe.isEmpty ? "file" : safe
  }
}
