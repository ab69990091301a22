import Foundation
import GRDB
import SieveCore
import SieveEvidence
import SievePipeline

/// Reads a scanned case for the examiner's review: the overview, lists of matched files
/// filtered and paged, a file with everything known of it, near-duplicate groups, and the
/// case's files by PDQ distance from any picture. One run of the case (the latest by
/// default); thread-safe.
public final class CaseBrowser: Sendable {
  public let database: CaseDatabase
  /// The run reviewed.
  public let run: CaseReport.Run
  /// The hashed pictures of the run (file id and PDQ), for groups and "find similar".
  private let pictures: [(id: Int64, pdq: PDQHash, quality: Int, folder: Int32)]
  private let groupCache = Locked<[Int: [Group]]>([:])
  private let index = Locked<MatchIndex?>(nil)
  private let overviewCache = Locked<Overview?>(nil)
  private let groupLock = NSLock()

  /// Opens the case in `caseFolder` (it must hold a case database with a run).
  public init(caseFolder: String, run requested: Int64? = nil) throws {
    guard FileManager.default.fileExists(atPath: (caseFolder as NSString).appendingPathComponent(CaseDatabase.fileName)) else {
      throw CaseError.cannotOpen(path: caseFolder, reason: "no case database here (run `sieve scan` first)")
    }
    database = try CaseDatabase(folder: caseFolder)
    run = try CaseReport.loadRun(from: database, run: requested)
    let runID = run.id
    pictures = try database.read { db in
      var folders: [String: Int32] = [:]
      return try Row.fetchAll(
        db, sql: "SELECT id, pdq, pdq_quality, path_text FROM files WHERE run_id = ? AND pdq IS NOT NULL ORDER BY id", arguments: [runID]
      ).compactMap { row in
        guard let hash = PDQHash(row["pdq"] as String) else { return nil }
        let path: String = row["path_text"]
        let folder = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        let number = folders[folder] ?? Int32(folders.count)
        folders[folder] = number
        return (row["id"], hash, row["pdq_quality"] ?? 0, number)
      }
    }
  }

  // MARK: - Overview

  /// What the overview page shows.
  public struct Overview: Sendable {
    public var filesByStatus: [(String, Int)]
    public var filesByType: [(String, Int)]
    public var matchedFiles: Int
    public var matches: Int
    /// Matched files by review state, and by category (nil: not categorised).
    public var byState: [ReviewState: Int]
    public var byCategory: [(Int?, Int)]
    /// Distances of matches, by kind: kind → count at each distance (0…max).
    public var distances: [(kind: String, counts: [Int])]
    /// Matched files by set and label.
    public var bySetAndLabel: [(set: String, label: String, files: Int)]
    /// Files by modification month ("2024-05"), all files and matched files, oldest first.
    public var timeline: [(month: String, files: Int, matched: Int)]
    /// The review ledger's length.
    public var decisions: Int
  }

  /// The overview: the run's counts, charts' data (read once: a run never changes after
  /// its scan) and the review's counts (current).
  public func overview() throws -> Overview {
    var overview = try fixedOverview()
    let index = try matchIndex()
    try database.read { try index.refresh($0) }
    let (states, categories) = index.reviewCounts()
    overview.byState = states
    overview.byCategory = categories
    overview.decisions = try database.read { try Int.fetchOne($0, sql: "SELECT ifnull(max(seq), 0) FROM review_ledger") ?? 0 }
    return overview
  }

  private func fixedOverview() throws -> Overview {
    if let cached = overviewCache.withLock({ $0 }) { return cached }
    let made = try readOverview()
    overviewCache.withLock { $0 = made }
    return made
  }

  private func readOverview() throws -> Overview {
    let runID = run.id
    return try database.read { db in
      let byStatus = try Row.fetchAll(
        db, sql: "SELECT status, COUNT(*) AS n FROM files WHERE run_id = ? GROUP BY status ORDER BY status", arguments: [runID]
      ).map { ($0["status"] as String, $0["n"] as Int) }
      let byType = try Row.fetchAll(
        db, sql: "SELECT ifnull(type, 'other') AS t, COUNT(*) AS n FROM files WHERE run_id = ? GROUP BY t ORDER BY n DESC, t",
        arguments: [runID]
      ).map { ($0["t"] as String, $0["n"] as Int) }
      let matchedFiles =
        try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT m.file_id) FROM matches m JOIN files f ON f.id = m.file_id WHERE f.run_id = ?", arguments: [runID]) ?? 0
      let matches = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM matches m JOIN files f ON f.id = m.file_id WHERE f.run_id = ?", arguments: [runID]) ?? 0
      var distances: [String: [Int]] = [:]
      for row in try Row.fetchAll(
        db,
        sql: "SELECT m.kind, m.distance, COUNT(*) AS n FROM matches m JOIN files f ON f.id = m.file_id WHERE f.run_id = ? GROUP BY 1, 2",
        arguments: [runID])
      {
        let kind: String = row["kind"], distance: Int = max(0, min(256, row["distance"]))
        var counts = distances[kind] ?? []
        if counts.count <= distance { counts += [Int](repeating: 0, count: distance + 1 - counts.count) }
        counts[distance] += row["n"] as Int
        distances[kind] = counts
      }
      let bySetAndLabel = try Row.fetchAll(
        db,
        sql: """
          SELECT m.set_name, m.label, COUNT(DISTINCT m.file_id) AS n FROM matches m JOIN files f ON f.id = m.file_id
          WHERE f.run_id = ? GROUP BY 1, 2 ORDER BY n DESC, 1, 2 LIMIT 50
          """, arguments: [runID]
      ).map { (set: $0["set_name"] as String, label: $0["label"] as String, files: $0["n"] as Int) }
      let timeline = try Row.fetchAll(
        db,
        sql: """
          SELECT strftime('%Y-%m', f.modified, 'unixepoch') AS month, COUNT(*) AS n,
            SUM(EXISTS (SELECT 1 FROM matches m WHERE m.file_id = f.id)) AS matched
          FROM files f WHERE f.run_id = ? AND f.modified IS NOT NULL GROUP BY 1 ORDER BY 1
          """, arguments: [runID]
      ).compactMap { row -> (month: String, files: Int, matched: Int)? in
        guard let month = row["month"] as String? else { return nil }
        return (month, row["n"], row["matched"])
      }
      return Overview(
        filesByStatus: byStatus, filesByType: byType, matchedFiles: matchedFiles, matches: matches, byState: [:],
        byCategory: [], distances: distances.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, bySetAndLabel: bySetAndLabel,
        timeline: timeline, decisions: 0)
    }
  }

  /// The sets, labels and kinds of the run's matches, for filter menus (at most 500 labels).
  public func filterChoices() throws -> (sets: [String], labels: [String], kinds: [String]) {
    let index = try matchIndex()
    return (index.sets.sorted(), Array(index.labels.sorted().prefix(500)), index.kinds.sorted())
  }

  // MARK: - Lists

  /// Largest page size.
  public static let maxPageSize = 500

  /// One page (from 1) of the matched files `filter` keeps, `pageSize` a page: selected,
  /// sorted and paged in memory (``MatchIndex``), then the page's files read.
  public func matchPage(_ filter: MatchFilter, page: Int = 1, pageSize: Int = 50) throws -> MatchPage {
    let pageSize = max(1, min(Self.maxPageSize, pageSize))
    // (A page past the end is an empty page, never an overflow.)
    let page = max(1, min(page, 1 << 31))
    let index = try matchIndex()
    try database.read { try index.refresh($0) }
    let (ids, total) = index.select(filter, offset: (page - 1) * pageSize, limit: pageSize)
    guard !ids.isEmpty else { return MatchPage(rows: [], total: total, page: page, pageSize: pageSize) }
    return try database.read { db in
      let marks = ids.map { _ in "?" }.joined(separator: ",")
      var files: [Int64: Row] = [:]
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT f.id, f.path_text, f.size, f.type, f.status, f.modified, f.sha256, r.state, r.category, r.note
          FROM files f LEFT JOIN review_state r ON r.file_id = f.id WHERE f.id IN (\(marks))
          """, arguments: StatementArguments(ids))
      {
        files[row["id"]] = row
      }
      var detailWhere = ["m.file_id IN (\(marks))"]
      var detailArguments: [any DatabaseValueConvertible] = ids
      if let set = filter.set { detailWhere.append("m.set_name = ?"); detailArguments.append(set) }
      if let label = filter.label { detailWhere.append("m.label = ?"); detailArguments.append(label) }
      if let kind = filter.kind { detailWhere.append("m.kind = ?"); detailArguments.append(kind) }
      if let d = filter.maxDistance { detailWhere.append("m.distance <= ?"); detailArguments.append(d) }
      var summaries: [Int64: [MatchPage.MatchSummary]] = [:]
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT m.file_id, m.set_name, m.entry_id, m.label, m.kind, m.distance, m.orientation FROM matches m
          WHERE \(detailWhere.joined(separator: " AND ")) ORDER BY m.distance, m.set_name, m.entry_id
          """, arguments: StatementArguments(detailArguments))
      {
        summaries[row["file_id"], default: []].append(
          MatchPage.MatchSummary(
            set: row["set_name"], entry: row["entry_id"], label: row["label"], kind: row["kind"], distance: row["distance"],
            orientation: row["orientation"]))
      }
      let rows = ids.compactMap { id -> MatchPage.Row? in
        guard let row = files[id] else { return nil }
        let matches = summaries[id] ?? []
        return MatchPage.Row(
          fileID: id, path: row["path_text"], size: row["size"], type: row["type"], isVideo: (row["status"] as String) == "video",
          modified: row["modified"], sha256: row["sha256"], bestDistance: matches.map(\.distance).min() ?? 0, matches: matches,
          review: ReviewLedger.Review(
            state: (row["state"] as String?).flatMap(ReviewState.init(rawValue:)) ?? .unreviewed, category: row["category"],
            note: row["note"] ?? ""))
      }
      return MatchPage(rows: rows, total: total, page: page, pageSize: pageSize)
    }
  }

  /// The run's matches in memory, read at first use.
  func matchIndex() throws -> MatchIndex {
    if let index = index.withLock({ $0 }) { return index }
    let runID = run.id
    let made = try database.read { try MatchIndex($0, run: runID) }
    return index.withLock { current in
      if let current { return current }
      current = made
      return made
    }
  }

  // MARK: - One file

  /// Everything recorded about one file.
  public struct FileDetail: Sendable {
    public var id: Int64
    public var path: String
    public var pathBytes: [UInt8]
    public var size: Int?
    public var modified: Double?
    public var changed: Double?
    public var accessed: Double?
    public var created: Double?
    public var md5: String?
    public var sha1: String?
    public var sha256: String?
    public var type: String?
    public var width: Int?
    public var height: Int?
    public var pdq: String?
    public var pdqQuality: Int?
    public var phash: String?
    public var status: String
    public var error: String?
    public var location: EvidenceLocation?
    public var member: ArchiveMember?
    /// Every match of the file, as reports list them.
    public var matches: [CaseReport.MatchRow]
    public var review: ReviewLedger.Review
    public var history: [ReviewLedger.Entry]
    /// A video's hashed frames.
    public var videoFrames: Int
    public var isVideo: Bool { status == "video" }
  }

  /// The file `id` of the reviewed run; nil when there is none.
  public func file(_ id: Int64) throws -> FileDetail? {
    let runID = run.id
    return try database.read { db in
      guard let row = try Row.fetchOne(db, sql: "SELECT * FROM files WHERE id = ? AND run_id = ?", arguments: [id, runID]) else { return nil }
      let matches = try CaseReport.MatchRow.fetchAll(
        db, sql: CaseReport.matchQuery(where: "f.id = ?") + " ORDER BY m.distance, m.set_name, m.entry_id", arguments: [id])
      let review = try ReviewLedger.review(of: id, db)
      let history = try ReviewLedger.Entry.fetchAll(db, sql: "SELECT * FROM review_ledger WHERE file_id = ? ORDER BY seq", arguments: [id])
      let frames = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM video_frames WHERE file_id = ?", arguments: [id]) ?? 0
      return FileDetail(
        id: id, path: row["path_text"], pathBytes: [UInt8](row["path"] as Data), size: row["size"], modified: row["modified"],
        changed: row["changed"], accessed: row["accessed"], created: row["created"], md5: row["md5"], sha1: row["sha1"],
        sha256: row["sha256"], type: row["type"], width: row["width"], height: row["height"], pdq: row["pdq"],
        pdqQuality: row["pdq_quality"], phash: row["phash"], status: row["status"], error: row["error"],
        location: CaseDatabase.FileRecord.location(row["location"]), member: CaseDatabase.FileRecord.member(row["archive_member"]),
        matches: matches, review: review, history: history, videoFrames: frames)
    }
  }

  /// Short descriptions of files by id (path, size, type, review), for group and
  /// similarity lists.
  public struct FileSummary: Sendable {
    public var id: Int64
    public var path: String
    public var size: Int?
    public var type: String?
    public var matches: Int
    public var review: ReviewLedger.Review
  }

  /// (Files of the reviewed run only.)
  public func summaries(_ ids: [Int64]) throws -> [Int64: FileSummary] {
    guard !ids.isEmpty else { return [:] }
    let runID = run.id
    return try database.read { db in
      var out: [Int64: FileSummary] = [:]
      for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min(ids.count, $0 + 500)]) }) {
        for row in try Row.fetchAll(
          db,
          sql: """
            SELECT f.id, f.path_text, f.size, f.type, (SELECT COUNT(*) FROM matches m WHERE m.file_id = f.id) AS n,
              r.state, r.category, r.note
            FROM files f LEFT JOIN review_state r ON r.file_id = f.id
            WHERE f.id IN (\(chunk.map { _ in "?" }.joined(separator: ","))) AND +f.run_id = ?
            """, arguments: StatementArguments(chunk + [runID]))
        {
          let id: Int64 = row["id"]
          out[id] = FileSummary(
            id: id, path: row["path_text"], size: row["size"], type: row["type"], matches: row["n"],
            review: ReviewLedger.Review(
              state: (row["state"] as String?).flatMap(ReviewState.init(rawValue:)) ?? .unreviewed, category: row["category"],
              note: row["note"] ?? ""))
        }
      }
      return out
    }
  }

  // MARK: - Groups and similar pictures

  /// A group of near-duplicate pictures of the evidence.
  public struct Group: Sendable {
    /// From 1, largest group first.
    public var number: Int
    public var files: [Int64]
    /// The largest PDQ distance of a direct link inside the group.
    public var maxLinkDistance: Int
  }

  /// The run's pictures grouped by PDQ within `radius` (single linkage; quality ≥ 50;
  /// singletons left out), largest first. Computed once per radius (one computation at a
  /// time; others wait for it).
  public func groups(radius: Int = 31) -> [Group] {
    let radius = max(0, min(radius, 96))
    if let cached = groupCache.withLock({ $0[radius] }) { return cached }
    groupLock.lock()
    defer { groupLock.unlock() }
    if let cached = groupCache.withLock({ $0[radius] }) { return cached }
    let usable = pictures.filter { $0.quality >= 50 }
    var clusters: [CaseReport.Cluster] = []
    if radius <= Self.caseWideRadius {
      clusters = CaseReport.clusters(usable.map { (String($0.id), $0.pdq) }, radius: radius)
    } else {
      // Series: looser links, within each folder only (a series is kept together; a case-wide
      // search this loose would compare every picture with every other).
      for folder in Dictionary(grouping: usable, by: \.folder).values where folder.count > 1 {
        clusters += CaseReport.clusters(folder.map { (String($0.id), $0.pdq) }, radius: radius)
      }
      clusters.sort { ($0.paths.count, $1.paths.first ?? "") > ($1.paths.count, $0.paths.first ?? "") }
    }
    let groups = clusters.enumerated().map { i, c in
      Group(number: i + 1, files: c.paths.compactMap { Int64($0) }.sorted(), maxLinkDistance: c.maxLinkDistance)
    }
    groupCache.withLock { $0[radius] = groups }
    return groups
  }

  /// The largest radius linking pictures across the whole case; beyond it, only pictures
  /// of one folder are linked (series).
  public static let caseWideRadius = 31

  /// The groups within `radius` if they are computed already; nil while they are not.
  public func groupsIfReady(radius: Int = 31) -> [Group]? {
    groupCache.withLock { $0[max(0, min(radius, 96))] }
  }

  /// The group holding `file`, if any.
  public func group(of file: Int64, radius: Int = 31) -> Group? {
    groups(radius: radius).first { $0.files.contains(file) }
  }

  /// The run's pictures closest to `hash` by PDQ distance, closest first (at most `limit`,
  /// at most `maxDistance` away).
  public func similar(to hash: PDQHash, limit: Int = 100, maxDistance: Int = 128) -> [(id: Int64, distance: Int, quality: Int)] {
    var hits: [(id: Int64, distance: Int, quality: Int)] = []
    for p in pictures {
      let d = p.pdq.distance(to: hash)
      if d <= maxDistance { hits.append((p.id, d, p.quality)) }
    }
    hits.sort { ($0.distance, $0.id) < ($1.distance, $1.id) }
    return Array(hits.prefix(max(1, limit)))
  }

  /// A file's PDQ hash, if it was hashed.
  public func pdq(of file: Int64) -> PDQHash? {
    pictures.first { $0.id == file }?.pdq
  }
}

extension CaseBrowser {
  /// A thumbnail of file `id` as JPEG bytes, made from the evidence (read-only, checked by
  /// the SHA-256 the scan recorded) and never written anywhere: scaled to fit `side`
  /// pixels, in grey when asked. A video shows its first matched frame (its first frame
  /// when none matched). Nil when the file is not of this run, is missing, changed since
  /// the scan, or cannot be decoded.
  public func thumbnail(_ id: Int64, side: Int, greyscale: Bool = false) throws -> [UInt8]? {
    let runID = run.id
    let found = try database.read { db -> (Row, Int?)? in
      guard let row = try Row.fetchOne(
        db, sql: "SELECT path, size, sha256, status, location, archive_member FROM files WHERE id = ? AND run_id = ?", arguments: [id, runID])
      else { return nil }
      let frame = try Int.fetchOne(
        db,
        sql: """
          SELECT v.frame FROM matches m JOIN video_frames v ON v.file_id = m.file_id AND abs(v.time - m.frame_time) < 0.0005
          WHERE m.file_id = ? ORDER BY m.frame_time LIMIT 1
          """, arguments: [id])
      return (row, frame)
    }
    guard let (row, frame) = found else { return nil }
    var reader = RecordedFileReader()
    guard
      let picture = Thumbnail.picture(
        RawPath(bytes: [UInt8](row["path"] as Data)),
        location: CaseDatabase.FileRecord.location(row["location"]), member: CaseDatabase.FileRecord.member(row["archive_member"]),
        size: row["size"], expectedSHA256: row["sha256"], video: (row["status"] as String) == "video", frame: frame, reader: &reader)
    else { return nil }
    return Thumbnail.jpeg(of: picture, side: max(4, min(side, 1024)), greyscale: greyscale)
  }
}
