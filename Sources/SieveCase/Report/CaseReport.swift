import Foundation
import GRDB
import SievePipeline
import SieveCore

/// Everything a report shows, read from the case database (the latest run by default).
public struct CaseReport: Sendable {
  /// One scan run's record.
  public struct Run: Sendable {
    public var id: Int64
    public var status: String
    public var startedAt: String
    public var finishedAt: String?
    public var resumed: Int
    /// Tool version, parameters, sets, evidence, examiner, case id, host.
    public var info: CaseDatabase.RunInfo
    /// What an examiner must know about the run (e.g. access times that may have changed).
    public var notes: [String] = []
  }

  /// One match with its file's identity.
  public struct MatchRow: Sendable, Decodable, FetchableRecord {
    /// The file's id in the case database.
    public var fileID: Int64 = 0
    public var path: String
    /// The path's raw bytes, to open the file again (thumbnails).
    public var pathBytes: [UInt8]
    public var size: Int?
    public var md5: String?
    public var sha1: String?
    public var sha256: String?
    public var set: String
    public var entry: String
    public var label: String
    public var kind: String
    public var distance: Int
    public var orientation: String?
    /// Which pictures matched (``SieveMatching/Match/picture``); nil: both whole images.
    public var picture: String?
    /// How many unrelated images would match this closely by chance (``SieveMatching/Match/expectedFalseMatches``).
    public var expectedFalse: Double?
    /// A video's frame that matched: its time (seconds); for a whole-video match (kind
    /// `vpdq`), the first matching frame's.
    public var frameTime: Double?
    /// That frame's number (as vPDQ numbers a video's frames), from the video's recorded
    /// frames; nil when not a video's.
    public var frameNumber: Int?
    /// Whether the matched file is a video (its status `video`).
    public var isVideo = false
    /// A whole-video match (kind `vpdq`): the shares of the video's frames that match and
    /// of the known video's frames matched (%).
    public var queryMatch: Double?
    public var comparedMatch: Double?
    /// Where the file lies inside a disk image; nil for a file of a folder. For an archive
    /// member: where its outermost archive lies.
    public var location: EvidenceLocation?
    /// Where the file lies inside an archive.
    public var member: ArchiveMember?
    /// The examiner's review of the file (``ReviewLedger``).
    public var review: ReviewState = .unreviewed
    /// Its category (nil: not categorised).
    public var category: Int?
    public var reviewNote: String?

    enum CodingKeys: String, CodingKey {
      case path = "path_text", pathBytes = "path", size, md5, sha1, sha256, set = "set_name", entry = "entry_id", label, kind
      case distance, orientation, location, member = "archive_member", picture, expectedFalse = "expected_false"
      case isVideo = "is_video"
      case frameTime = "frame_time", frameNumber = "frame_number", queryMatch = "query_match", comparedMatch = "compared_match"
      case fileID = "file_id", review = "review_state", category = "review_category", reviewNote = "review_note"
    }

    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      fileID = try c.decodeIfPresent(Int64.self, forKey: .fileID) ?? 0
      path = try c.decode(String.self, forKey: .path)
      pathBytes = [UInt8](try c.decode(Data.self, forKey: .pathBytes))
      size = try c.decodeIfPresent(Int.self, forKey: .size)
      md5 = try c.decodeIfPresent(String.self, forKey: .md5)
      sha1 = try c.decodeIfPresent(String.self, forKey: .sha1)
      sha256 = try c.decodeIfPresent(String.self, forKey: .sha256)
      set = try c.decode(String.self, forKey: .set)
      entry = try c.decode(String.self, forKey: .entry)
      label = try c.decode(String.self, forKey: .label)
      kind = try c.decode(String.self, forKey: .kind)
      distance = try c.decode(Int.self, forKey: .distance)
      orientation = try c.decodeIfPresent(String.self, forKey: .orientation)
      picture = try c.decodeIfPresent(String.self, forKey: .picture)
      expectedFalse = try c.decodeIfPresent(Double.self, forKey: .expectedFalse)
      frameTime = try c.decodeIfPresent(Double.self, forKey: .frameTime)
      frameNumber = try c.decodeIfPresent(Int.self, forKey: .frameNumber)
      isVideo = try c.decodeIfPresent(Bool.self, forKey: .isVideo) ?? false
      queryMatch = try c.decodeIfPresent(Double.self, forKey: .queryMatch)
      comparedMatch = try c.decodeIfPresent(Double.self, forKey: .comparedMatch)
      location = CaseDatabase.FileRecord.location(try c.decodeIfPresent(String.self, forKey: .location))
      member = CaseDatabase.FileRecord.member(try c.decodeIfPresent(String.self, forKey: .member))
      review = try c.decodeIfPresent(String.self, forKey: .review).flatMap(ReviewState.init(rawValue:)) ?? .unreviewed
      category = try c.decodeIfPresent(Int.self, forKey: .category)
      reviewNote = try c.decodeIfPresent(String.self, forKey: .reviewNote)
    }

    init(
      path: String, pathBytes: [UInt8], size: Int?, md5: String?, sha1: String?, sha256: String?, set: String, entry: String,
      label: String, kind: String, distance: Int, orientation: String?
    ) {
      (self.path, self.pathBytes, self.size, self.md5, self.sha1, self.sha256) = (path, pathBytes, size, md5, sha1, sha256)
      (self.set, self.entry, self.label, self.kind, self.distance, self.orientation) = (set, entry, label, kind, distance, orientation)
    }
  }

  /// A group of near-duplicate images found within the evidence.
  public struct Cluster: Sendable {
    public var paths: [String]
    /// The largest PDQ distance between two members linked directly (within the radius).
    public var maxLinkDistance: Int
  }

  public var run: Run
  /// File counts by status and by detected type.
  public var byStatus: [(String, Int)]
  public var byType: [(String, Int)]
  public var matches: [MatchRow]
  public var clusters: [Cluster]
  /// The review ledger's length and last hash (``ReviewLedger/verify(head:)``).
  public var decisions = 0
  /// The verified ledger's head (nil when the ledger is empty or broken).
  public var ledgerHead: String?
  /// Problems `sieve review verify` finds in the ledger (0: intact).
  public var ledgerProblems = 0
  /// The category scheme of the case's review.
  public var scheme: CategoryScheme = .projectVIC

  /// Reads the report for `run` (default: the latest) from `database`.
  ///
  /// - Parameter clusterRadius: PDQ distance that links two images of the evidence into
  ///   one near-duplicate group (quality ≥ `minQuality` only).
  public static func load(from database: CaseDatabase, run requested: Int64? = nil, clusterRadius: Int = 31, minQuality: Int = 50) throws -> CaseReport {
    let run = try loadRun(from: database, run: requested)
    let runID = run.id
    let scheme = try ReviewSettings.load(from: database).scheme
    // The ledger checked: a report never vouches for a head it has not verified.
    let ledger = try ReviewLedger(database: database).verify()
    return try database.read { db in
      let byStatus = try Row.fetchAll(
        db, sql: "SELECT status, COUNT(*) AS n FROM files WHERE run_id = ? GROUP BY status ORDER BY status", arguments: [runID]
      ).map { ($0["status"] as String, $0["n"] as Int) }
      let byType = try Row.fetchAll(
        db,
        sql: "SELECT ifnull(type, 'other') AS t, COUNT(*) AS n FROM files WHERE run_id = ? GROUP BY t ORDER BY t",
        arguments: [runID]
      ).map { ($0["t"] as String, $0["n"] as Int) }
      let matches = try MatchRow.fetchAll(
        db, sql: matchQuery(where: "f.run_id = ?") + " ORDER BY m.set_name, m.label, f.path_text, m.frame_time, m.distance, m.entry_id",
        arguments: [runID])
      let hashed = try Row.fetchAll(
        db,
        sql: "SELECT path_text, pdq FROM files WHERE run_id = ? AND pdq IS NOT NULL AND pdq_quality >= ? ORDER BY path_text",
        arguments: [runID, minQuality]
      ).compactMap { row -> (String, PDQHash)? in
        guard let hash = PDQHash(row["pdq"] as String) else { return nil }
        return (row["path_text"], hash)
      }
      return CaseReport(
        run: run, byStatus: byStatus, byType: byType, matches: matches,
        clusters: Self.clusters(hashed, radius: clusterRadius), decisions: ledger.rows, ledgerHead: ledger.isIntact ? ledger.head : nil,
        ledgerProblems: ledger.problems.count, scheme: scheme)
    }
  }

  /// A run's record (the latest run when `requested` is nil).
  static func loadRun(from database: CaseDatabase, run requested: Int64?) throws -> Run {
    try database.read { db in
      let requestedRun = try requested ?? Int64.fetchOne(db, sql: "SELECT max(id) FROM runs")
      guard let runID = requestedRun, let row = try CaseDatabase.RunRecord.fetchOne(db, key: runID) else {
        throw CaseError.cannotOpen(path: database.path, reason: requested.map { "the case has no scan run \($0)" } ?? "the case has no scan run")
      }
      return Run(
        id: runID, status: row.status, startedAt: row.startedAt, finishedAt: row.finishedAt, resumed: row.resumed, info: row.info,
        notes: try String.fetchAll(db, sql: "SELECT note FROM run_notes WHERE run_id = ? ORDER BY id", arguments: [runID]))
    }
  }

  /// The query for match rows (``MatchRow``) with their files and reviews, where `condition`.
  static func matchQuery(where condition: String) -> String {
    """
    SELECT f.id AS file_id, f.path_text, f.path, f.size, f.md5, f.sha1, f.sha256, m.set_name, m.entry_id, m.label, m.kind, m.distance,
      m.orientation, m.picture, m.expected_false, m.frame_time, m.query_match, m.compared_match, f.location, f.archive_member,
      (SELECT v.frame FROM video_frames v WHERE v.file_id = m.file_id AND abs(v.time - m.frame_time) < 0.0005
        ORDER BY v.frame LIMIT 1) AS frame_number, f.status = 'video' AS is_video,
      ifnull(r.state, 'unreviewed') AS review_state, r.category AS review_category, r.note AS review_note
    FROM matches m JOIN files f ON f.id = m.file_id LEFT JOIN review_state r ON r.file_id = f.id WHERE \(condition)
    """
  }

  /// Groups images whose PDQ hashes are within `radius` (single linkage, through an
  /// index), largest groups first; singletons are left out.
  static func clusters(_ images: [(String, PDQHash)], radius: Int) -> [Cluster] {
    // Identical hashes (copies, a picture saved many times) are one point of the search:
    // thousands of copies would otherwise each find all the others.
    var uniqueIndex: [PDQHash: Int] = [:]
    var hashes: [PDQHash] = []
    var members: [[Int]] = []
    for (i, image) in images.enumerated() {
      if let u = uniqueIndex[image.1] {
        members[u].append(i)
      } else {
        uniqueIndex[image.1] = hashes.count
        hashes.append(image.1)
        members.append([i])
      }
    }
    let index = IndexKind.auto.build(hashes, radius: radius)
    var parent = Array(0..<hashes.count)
    func find(_ x: Int) -> Int {
      var x = x
      while parent[x] != x {
        parent[x] = parent[parent[x]]
        x = parent[x]
      }
      return x
    }
    var link = [Int](repeating: 0, count: hashes.count)
    for (i, hash) in hashes.enumerated() {
      for hit in index.matches(for: hash, within: radius) where hit.id != i {
        let (a, b) = (find(i), find(hit.id))
        if a != b { parent[max(a, b)] = min(a, b) }
        link[i] = max(link[i], hit.distance)
      }
    }
    var groups: [Int: [Int]] = [:]
    for u in hashes.indices { groups[find(u), default: []].append(u) }
    return groups.values.map { points in (points.flatMap { members[$0] }.sorted(), points.map { link[$0] }.max() ?? 0) }
      .filter { $0.0.count > 1 }
      .map { images_, maxLink in Cluster(paths: images_.map { images[$0].0 }, maxLinkDistance: maxLink) }
      .sorted { ($0.paths.count, $1.paths.first ?? "") > ($1.paths.count, $0.paths.first ?? "") }
  }

}
