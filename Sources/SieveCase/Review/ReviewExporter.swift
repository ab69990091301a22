import Foundation
import GRDB
import SieveCore
import SieveHashSets
import SievePipeline
import SieveSystem

/// What the examiner's decisions feed, as hash sets:
///
/// - the **negative list**: the files found to be false matches, so that `match`, `scan`
///   and `serve` given it (`--negative`) stop reporting those known false hits;
/// - the **case's own set**: confirmed and categorised files, with their PDQ, pHash,
///   digests (and a video's frames), the category as label, so that the unit's database
///   grows from its cases.
///
/// Both are written as `.sieveset` files (atomically, outside the evidence), and each
/// written file's SHA-256 is recorded in the case as a report (format `negative-list` or
/// `hashset`).
public struct ReviewExporter: Sendable {
  public let browser: CaseBrowser

  public init(browser: CaseBrowser) {
    self.browser = browser
  }

  /// Which set to build.
  public enum Kind: String, Sendable, CaseIterable {
    /// Files decided false matches.
    case negative
    /// Files confirmed, and files given a category.
    case confirmed
  }

  /// The files the set of `kind` would hold.
  public func count(_ kind: Kind) throws -> Int {
    let runID = browser.run.id
    return try browser.database.read { db in
      try Int.fetchOne(
        db, sql: "SELECT COUNT(*) FROM files f JOIN review_state r ON r.file_id = f.id WHERE f.run_id = ? AND \(Self.condition(kind))",
        arguments: [runID]) ?? 0
    }
  }

  static func condition(_ kind: Kind) -> String {
    kind == .negative ? "r.state = 'false_match'" : "(r.state = 'confirmed' OR r.category IS NOT NULL)"
  }

  /// The set of `kind` for the reviewed run, made from what the ledger recorded of each
  /// file when it was decided on (its latest row), not from tables a later edit could
  /// change. A negative entry ties the file's hashes to one known item it was mistaken for
  /// (its id that item's id, its label the item's set: ``SieveMatching/NegativeList``), so a
  /// file mistaken for two items gives two entries. A confirmed entry is one file, named by
  /// its SHA-256 (or path), its category's number as label (empty when not categorised).
  public func hashSet(_ kind: Kind) throws -> HashSet {
    let runID = browser.run.id
    let caseID = browser.run.info.caseID
    // Nothing is exported from a ledger that does not check out.
    let check = try ReviewLedger(database: browser.database).verify()
    guard check.isIntact else {
      throw CaseError.badDecision(
        "the review ledger is broken (\(check.problems.count) problems, the first: \(check.problems[0])); run `sieve review verify`; nothing exported")
    }
    return try browser.database.read { db in
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT l.* FROM review_state r JOIN files f ON f.id = r.file_id
          JOIN review_ledger l ON l.seq = (SELECT max(seq) FROM review_ledger WHERE file_id = r.file_id)
          WHERE f.run_id = ? AND \(Self.condition(kind)) ORDER BY l.path_text, l.file_id
          """, arguments: [runID])
      let name = (kind == .negative ? "negative-" : "confirmed-") + (caseID.isEmpty ? "case" : caseID)
      var set = HashSet(name: name)
      for row in rows {
        let t = { (column: String) in ReviewLedger.text(row, column) }
        var entry = HashSetEntry(
          id: t("sha256") ?? t("path_text") ?? "-", label: "",
          pdq: t("pdq").flatMap(PDQHash.init), pdqQuality: nil, phash: t("phash").flatMap(PHash.init),
          md5: t("md5").flatMap { try? ExactDigest(kind: .md5, hex: $0) }, sha1: t("sha1").flatMap { try? ExactDigest(kind: .sha1, hex: $0) },
          sha256: t("sha256").flatMap { try? ExactDigest(kind: .sha256, hex: $0) })
        if kind == .negative {
          // One entry per known item (of one version of its set) the file was mistaken for,
          // by a perceptual match (digest matches are never suppressed).
          let matches = (try? JSONDecoder().decode([[String]].self, from: Data((ReviewLedger.text(row, "matched") ?? "[]").utf8))) ?? []
          var seen = Set<[String]>()
          for m in matches where m.count == 5 && (m[3] == "pdq" || m[3] == "phash") && !m[1].isEmpty {
            guard seen.insert([m[0], m[1], m[2]]).inserted else { continue }
            var negative = entry
            (negative.id, negative.label) = (m[2], "\(m[0])@\(m[1])")
            if !negative.isEmpty { set.append(negative) }
          }
        } else {
          guard case .some(let category) = ReviewLedger.optionalInt(row, "new_category") else { continue }
          entry.label = category.map(String.init) ?? ""
          guard case .int64(let fileID) = (row["file_id"] as DatabaseValue).storage else { continue }
          entry.vpdq = try Row.fetchAll(
            db, sql: "SELECT frame, time, pdq, quality FROM video_frames WHERE file_id = ? ORDER BY frame", arguments: [fileID]
          ).compactMap { f in
            PDQHash(f["pdq"] as String).map { VPDQFeature(frameNumber: f["frame"], hash: $0, quality: f["quality"], timestamp: f["time"]) }
          }
          if !entry.isEmpty { set.append(entry) }
        }
      }
      return set
    }
  }

  /// Builds the set of `kind` as `.sieveset` bytes and records their SHA-256 in the case
  /// (with `path` where they are written, nil for a download).
  public func encoded(_ kind: Kind) throws -> (set: HashSet, bytes: [UInt8], sha256: String) {
    let set = try hashSet(kind)
    let bytes = BinaryHashSet.encode(set)
    let sha256 = bytes.withUnsafeBytes { FileDigests(of: $0).sha256.hexString }
    try record(kind, path: nil, sha256: sha256, bytes: bytes.count)
    return (set, bytes, sha256)
  }

  private func record(_ kind: Kind, path: String?, sha256: String, bytes: Int) throws {
    try browser.database.recordReport(
      run: browser.run.id, format: kind == .negative ? "negative-list" : "hashset", path: path, sha256: sha256, bytes: bytes)
  }

  /// Builds the set of `kind` and writes it to `path` as `.sieveset` (atomically),
  /// refusing a path inside the evidence; records its SHA-256 in the case.
  @discardableResult
  public func write(_ kind: Kind, to path: String) throws -> (set: HashSet, sha256: String) {
    if let root = EvidenceGuard.root(containing: RawPath(path), evidence: browser.run.info.evidence.map(RawPath.init)) {
      throw CaseError.cannotOpen(path: path, reason: "the set would be written inside the evidence \(root); choose another place")
    }
    let set = try hashSet(kind)
    let bytes = BinaryHashSet.encode(set)
    do {
      try FileSystem.writeAtomically(bytes, to: path, mode: 0o644)
    } catch {
      throw CaseError.cannotOpen(path: path, reason: "\(error)")
    }
    let sha256 = bytes.withUnsafeBytes { FileDigests(of: $0).sha256.hexString }
    try record(kind, path: path, sha256: sha256, bytes: bytes.count)
    return (set, sha256)
  }
}
