import Foundation
import GRDB
import SieveCore
import SieveMatching
import SievePipeline

/// A forensic case's SQLite database (`case.sqlite` in the case folder), through GRDB.
///
/// It records every scan run (tool version, parameters, hash-set checksums, examiner,
/// case id, host, start and end), every file (path, size, times, digests, type,
/// dimensions, PDQ, quality, pHash, status, error) and every match. Files and their
/// matches are written in the same transaction, in batches, and SQLite's write-ahead
/// log makes each committed batch durable: a scan killed at any moment resumes from the
/// last committed file, and no file is counted twice.
public final class CaseDatabase: Sendable {
  /// The database file.
  public let path: String
  let queue: DatabaseQueue

  /// The database file name inside a case folder.
  public static let fileName = "case.sqlite"

  /// Opens (creating if needed) the case database in `folder`.
  public init(folder: String) throws {
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    } catch {
      throw CaseError.cannotOpen(path: folder, reason: "\(error)")
    }
    path = (folder as NSString).appendingPathComponent(Self.fileName)
    do {
      var configuration = Configuration()
      // Another process on the same case (a scan, a report, a second review) waits its turn.
      configuration.busyMode = .timeout(10)
      configuration.prepareDatabase { db in
        try db.execute(sql: "PRAGMA journal_mode = WAL")
        try db.execute(sql: "PRAGMA synchronous = FULL")
      }
      queue = try DatabaseQueue(path: path, configuration: configuration)
      try Self.migrator.migrate(queue)
    } catch {
      throw CaseError.cannotOpen(path: path, reason: "\(error)")
    }
  }

  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            status TEXT NOT NULL,            -- running | finished
            started_at TEXT NOT NULL,
            finished_at TEXT,
            tool_version TEXT NOT NULL,
            parameters TEXT NOT NULL,        -- JSON, compared on resume
            hashsets TEXT NOT NULL,          -- JSON: name, path, checksum, entries
            evidence TEXT NOT NULL,          -- JSON list of paths
            examiner TEXT NOT NULL,
            case_id TEXT NOT NULL,
            host TEXT NOT NULL,
            resumed INTEGER NOT NULL DEFAULT 0
          );
          CREATE TABLE files (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            path BLOB NOT NULL,              -- raw bytes, as the file system holds them
            path_text TEXT NOT NULL,         -- for people: invalid UTF-8 bytes as \\xNN
            size INTEGER,
            modified REAL, changed REAL, accessed REAL,
            md5 TEXT, sha1 TEXT, sha256 TEXT,
            type TEXT,                       -- jpeg, png, gif, …, or NULL (not an image)
            width INTEGER, height INTEGER,
            pdq TEXT, pdq_quality INTEGER, phash TEXT,
            status TEXT NOT NULL,            -- hashed | not_image | failed
            error TEXT,
            UNIQUE (run_id, path)
          );
          CREATE TABLE matches (
            id INTEGER PRIMARY KEY,
            file_id INTEGER NOT NULL REFERENCES files(id),
            set_name TEXT NOT NULL, entry_id TEXT NOT NULL, label TEXT NOT NULL,
            kind TEXT NOT NULL, distance INTEGER NOT NULL, orientation TEXT
          );
          CREATE INDEX matches_file ON matches(file_id);
          """)
    }
    migrator.registerMigration("v2-reports") { db in
      try db.execute(
        sql: """
          CREATE TABLE reports (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            created_at TEXT NOT NULL,
            format TEXT NOT NULL,
            path TEXT,                       -- where it was written (NULL: standard output)
            sha256 TEXT NOT NULL,
            bytes INTEGER NOT NULL
          );
          """)
    }
    migrator.registerMigration("v3-run-notes") { db in
      try db.execute(
        sql: """
          CREATE TABLE run_notes (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            created_at TEXT NOT NULL,
            note TEXT NOT NULL               -- what an examiner must know about the run
          );
          """)
    }
    migrator.registerMigration("v4-locations") { db in
      // Files inside disk images: allocated or deleted, and where (JSON: image, volume,
      // its offset, file system, path in it, metadata address, creation time).
      try db.execute(
        sql: """
          ALTER TABLE files ADD COLUMN allocation TEXT;   -- allocated | deleted; NULL: a file of a folder
          ALTER TABLE files ADD COLUMN location TEXT;     -- JSON EvidenceLocation; NULL: a file of a folder
          ALTER TABLE files ADD COLUMN created REAL;      -- the file system's creation time, where it has one
          """)
    }
    migrator.registerMigration("v5-archive-members") { db in
      // Files inside archives: the outer archive's path length and size, and each member
      // on the way down (JSON ArchiveMember); `location` is then the outer archive's.
      try db.execute(sql: "ALTER TABLE files ADD COLUMN archive_member TEXT;  -- JSON ArchiveMember; NULL: not in an archive")
    }
    migrator.registerMigration("v6-match-pictures") { db in
      // Which pictures matched (Match.picture: the query inside its borders, an augmented
      // set's variant), and how many unrelated images would match as closely by chance.
      try db.execute(sql: "ALTER TABLE matches ADD COLUMN picture TEXT;  -- NULL: both whole images")
      try db.execute(sql: "ALTER TABLE matches ADD COLUMN expected_false REAL;  -- NULL: not estimated")
    }
    migrator.registerMigration("v7-videos") { db in
      // Videos: their hashed frames (vPDQ features), the frame a match was found in, and
      // for a whole video matched by vPDQ's rule (kind vpdq) its two percentages.
      try db.execute(
        sql: """
          CREATE TABLE video_frames (
            file_id INTEGER NOT NULL REFERENCES files(id),
            frame INTEGER NOT NULL,          -- frame number, from 0, in decoding order
            time REAL NOT NULL,              -- seconds (frame / frame rate, as vPDQ computes it)
            pdq TEXT NOT NULL, quality INTEGER NOT NULL
          );
          CREATE INDEX video_frames_file ON video_frames(file_id);
          ALTER TABLE matches ADD COLUMN frame_time REAL;      -- a video's frame that matched: its time; NULL: not a frame
          ALTER TABLE matches ADD COLUMN query_match REAL;     -- kind vpdq: share of the video's frames that match (%)
          ALTER TABLE matches ADD COLUMN compared_match REAL;  -- kind vpdq: share of the known video's frames matched (%)
          """)
    }
    migrator.registerMigration("v8-review") { db in
      // The examiner's review: an append-only ledger of decisions, each row chained to the
      // one before by SHA-256 (ReviewLedger), the current state of each reviewed file
      // (replayed from the ledger by `sieve review verify`), and the workspace's settings.
      try db.execute(
        sql: """
          CREATE TABLE review_ledger (
            seq INTEGER PRIMARY KEY,         -- 1, 2, 3, … without gaps
            at TEXT NOT NULL,                -- ISO 8601, UTC
            examiner TEXT NOT NULL,
            run_id INTEGER NOT NULL,
            file_id INTEGER NOT NULL REFERENCES files(id),
            path_text TEXT NOT NULL,
            sha256 TEXT, md5 TEXT, sha1 TEXT, pdq TEXT, phash TEXT,  -- the file as decided on (exports use these)
            matched TEXT NOT NULL,           -- JSON [[set, set version, entry, kind, distance], …]: its matches, sorted
            frames TEXT NOT NULL,            -- SHA-256 of a video's recorded frames ('' for none)
            previous_state TEXT NOT NULL, new_state TEXT NOT NULL,   -- unreviewed | confirmed | false_match
            previous_category INTEGER, new_category INTEGER,         -- NULL: not categorised (never 0)
            note TEXT NOT NULL,
            previous_hash TEXT NOT NULL,     -- the row before's hash (64 zeros for the first)
            hash TEXT NOT NULL               -- SHA-256 over this row's fields and previous_hash
          );
          CREATE TRIGGER review_ledger_append_only_insert BEFORE INSERT ON review_ledger
            WHEN NEW.seq IS NOT (SELECT ifnull(max(seq), 0) + 1 FROM review_ledger)
            BEGIN SELECT RAISE(ABORT, 'the review ledger is append-only: rows are numbered 1, 2, 3, …'); END;
          CREATE TRIGGER review_ledger_append_only_update BEFORE UPDATE ON review_ledger
            BEGIN SELECT RAISE(ABORT, 'the review ledger is append-only'); END;
          CREATE TRIGGER review_ledger_append_only_delete BEFORE DELETE ON review_ledger
            BEGIN SELECT RAISE(ABORT, 'the review ledger is append-only'); END;
          CREATE TABLE review_state (
            file_id INTEGER PRIMARY KEY REFERENCES files(id),
            state TEXT NOT NULL, category INTEGER, note TEXT NOT NULL, seq INTEGER NOT NULL
          );
          CREATE INDEX review_state_state ON review_state(state, category);
          CREATE TABLE review_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
          CREATE INDEX matches_set ON matches(set_name, label, kind, distance);
          CREATE INDEX files_run ON files(run_id, status);
          """)
    }
    return migrator
  }

  /// Records something an examiner must know about a run (shown in every report).
  public func addNote(run: Int64, _ note: String) throws {
    try queue.write { db in
      try db.execute(
        sql: "INSERT INTO run_notes (run_id, created_at, note) VALUES (?, ?, ?)", arguments: [run, Self.timestamp(Date()), note])
    }
  }

  /// The notes of a run, oldest first.
  public func notes(run: Int64) throws -> [String] {
    try queue.read { db in
      try String.fetchAll(db, sql: "SELECT note FROM run_notes WHERE run_id = ? ORDER BY id", arguments: [run])
    }
  }

  /// Records a report's SHA-256, so a copy presented later can be checked against it.
  public func recordReport(run: Int64, format: String, path: String?, sha256: String, bytes: Int) throws {
    try queue.write { db in
      try db.execute(
        sql: "INSERT INTO reports (run_id, created_at, format, path, sha256, bytes) VALUES (?, ?, ?, ?, ?, ?)",
        arguments: [run, Self.timestamp(Date()), format, path, sha256, bytes])
    }
  }

  /// What a scan run records about itself.
  public struct RunInfo: Sendable, Equatable {
    public var toolVersion: String
    public var parameters: ScanParameters
    public var hashSets: [HashSetRecord]
    /// The evidence roots, absolute and resolved by the file system.
    public var evidence: [String]
    public var examiner: String
    public var caseID: String
    public var host: String

    public init(
      toolVersion: String, parameters: ScanParameters, hashSets: [HashSetRecord], evidence: [String], examiner: String, caseID: String,
      host: String
    ) {
      self.toolVersion = toolVersion
      self.parameters = parameters
      self.hashSets = hashSets
      self.evidence = evidence
      self.examiner = examiner
      self.caseID = caseID
      self.host = host
    }
  }

  /// A row of `runs`. Parameters, sets and evidence are stored as JSON text, written and
  /// read back by GRDB's Codable support.
  struct RunRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "runs"
    var id: Int64?
    var status: String
    var startedAt: String
    var finishedAt: String?
    var toolVersion: String
    var parameters: ScanParameters
    var hashsets: [HashSetRecord]
    var evidence: [String]
    var examiner: String
    var caseID: String
    var host: String
    var resumed: Int

    enum CodingKeys: String, CodingKey {
      case id, status, startedAt = "started_at", finishedAt = "finished_at", toolVersion = "tool_version", parameters
      case hashsets, evidence, examiner, caseID = "case_id", host, resumed
    }

    /// JSON columns with sorted keys and plain slashes: stable, and readable in the database.
    static func databaseJSONEncoder(for column: String) -> JSONEncoder {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
      return encoder
    }

    var info: RunInfo {
      RunInfo(
        toolVersion: toolVersion, parameters: parameters, hashSets: hashsets, evidence: evidence, examiner: examiner, caseID: caseID,
        host: host)
    }
  }

  /// Starts a run, or resumes the unfinished one when its parameters, sets and
  /// evidence are the same. Returns the run id and the paths already recorded.
  ///
  /// - Throws: ``CaseError/parametersChanged(_:)`` when an unfinished run differs.
  public func startOrResume(_ info: RunInfo) throws -> (run: Int64, done: Set<[UInt8]>, resumed: Bool) {
    try queue.write { db in
      if let row = try RunRecord.filter(Column("status") == "running").order(Column("id").desc).fetchOne(db) {
        let run = row.id!
        // The same run only with the same inputs (a row that no longer decodes, from an
        // older version, is not the same either).
        guard row.parameters == info.parameters, row.hashsets == info.hashSets, row.evidence == info.evidence else {
          throw CaseError.parametersChanged("run \(run) started \(row.startedAt); --restart abandons it")
        }
        try db.execute(sql: "UPDATE runs SET resumed = resumed + 1 WHERE id = ?", arguments: [run])
        var done = Set<[UInt8]>()
        let cursor = try Data.fetchCursor(db, sql: "SELECT path FROM files WHERE run_id = ?", arguments: [run])
        while let path = try cursor.next() { done.insert([UInt8](path)) }
        return (run, done, true)
      }
      var record = RunRecord(
        id: nil, status: "running", startedAt: Self.timestamp(Date()), finishedAt: nil, toolVersion: info.toolVersion,
        parameters: info.parameters, hashsets: info.hashSets, evidence: info.evidence, examiner: info.examiner, caseID: info.caseID,
        host: info.host, resumed: 0)
      try record.insert(db)
      record.id = db.lastInsertedRowID
      return (db.lastInsertedRowID, [], false)
    }
  }

  /// Marks every unfinished run abandoned, so the next scan starts a new run.
  public func abandonUnfinishedRuns() throws {
    try queue.write { db in
      try db.execute(
        sql: "UPDATE runs SET status = 'abandoned', finished_at = ? WHERE status = 'running'",
        arguments: [Self.timestamp(Date())])
    }
  }

  /// One file's row and its matches, ready to insert.
  public struct FileRow: Sendable {
    public var path: RawPath
    public var size: Int?
    public var modified: Double?
    public var changed: Double?
    public var accessed: Double?
    public var digests: FileDigests?
    public var type: String?
    public var width: Int?
    public var height: Int?
    public var pdq: String?
    public var pdqQuality: Int?
    public var phash: String?
    public var status: FileStatus
    public var error: String?
    public var matches: [Match]
    /// A video's hashed frames.
    public var videoFrames: [VPDQFeature] = []
    /// Matches of a video's frames, each with the frame.
    public var frameMatches: [(frame: VPDQFeature, match: Match)] = []
    /// Known videos this video matches by vPDQ's rule, with their set's name.
    public var videoMatches: [(set: String, match: VideoMatcher.Match)] = []
    /// Where the file lies inside a disk image; nil for a file of a folder.
    public var location: EvidenceLocation?
    /// Where the file lies inside an archive.
    public var member: ArchiveMember?

    public init(path: RawPath, status: FileStatus) {
      self.path = path
      self.status = status
      self.matches = []
    }
  }

  /// A row of `files`, as inserted.
  struct FileRecord: Encodable, PersistableRecord {
    static let databaseTableName = "files"
    var runID: Int64
    var path: Data
    var pathText: String
    var size: Int?
    var modified: Double?
    var changed: Double?
    var accessed: Double?
    var md5: String?
    var sha1: String?
    var sha256: String?
    var type: String?
    var width: Int?
    var height: Int?
    var pdq: String?
    var pdqQuality: Int?
    var phash: String?
    var status: FileStatus
    var error: String?
    var allocation: String?
    var location: String?
    var created: Double?
    var archiveMember: String?

    enum CodingKeys: String, CodingKey {
      case runID = "run_id", path, pathText = "path_text", size, modified, changed, accessed, md5, sha1, sha256, type, width
      case height, pdq, pdqQuality = "pdq_quality", phash, status, error, allocation, location, created
      case archiveMember = "archive_member"
    }

    init(_ r: FileRow, run: Int64) {
      runID = run
      path = Data(r.path.bytes)
      pathText = r.path.description
      (size, modified, changed, accessed) = (r.size, r.modified, r.changed, r.accessed)
      (md5, sha1, sha256) = (r.digests?.md5.hexString, r.digests?.sha1.hexString, r.digests?.sha256.hexString)
      (type, width, height, pdq, pdqQuality, phash) = (r.type, r.width, r.height, r.pdq, r.pdqQuality, r.phash)
      (status, error) = (r.status, r.error)
      allocation = r.location?.allocation.rawValue
      location = r.location.flatMap { try? Self.locationEncoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) }
      created = r.location?.created
      archiveMember = r.member.map { Self.json($0) }
    }

    /// An archive member's chain as stored (keys sorted: equal chains, equal text).
    static func json(_ member: ArchiveMember?) -> String {
      member.flatMap { try? locationEncoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// A stored location (JSON ``EvidenceLocation``) read back; nil for none or one that no
    /// longer decodes.
    static func location(_ text: String?) -> EvidenceLocation? {
      text.flatMap { try? JSONDecoder().decode(EvidenceLocation.self, from: Data($0.utf8)) }
    }

    /// A stored archive member chain (JSON ``ArchiveMember``) read back.
    static func member(_ text: String?) -> ArchiveMember? {
      text.flatMap { try? JSONDecoder().decode(ArchiveMember.self, from: Data($0.utf8)) }
    }

    static let locationEncoder: JSONEncoder = {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
      return encoder
    }()
  }

  /// A row of `matches`, as inserted.
  struct MatchRecord: Encodable, PersistableRecord {
    static let databaseTableName = "matches"
    var fileID: Int64
    var setName: String
    var entryID: String
    var label: String
    var kind: String
    var distance: Int
    var orientation: String?
    var picture: String?
    var expectedFalse: Double?
    var frameTime: Double?
    var queryMatch: Double?
    var comparedMatch: Double?

    enum CodingKeys: String, CodingKey {
      case fileID = "file_id", setName = "set_name", entryID = "entry_id", label, kind, distance, orientation, picture
      case expectedFalse = "expected_false", frameTime = "frame_time", queryMatch = "query_match", comparedMatch = "compared_match"
    }
  }

  /// Inserts files and their matches in one transaction.
  public func insert(_ rows: [FileRow], run: Int64) throws {
    try queue.write { db in
      for row in rows {
        try FileRecord(row, run: run).insert(db)
        let file = db.lastInsertedRowID
        for m in row.matches {
          try MatchRecord(
            fileID: file, setName: m.set, entryID: m.id, label: m.label, kind: m.kind.rawValue, distance: m.distance,
            orientation: m.orientation?.name, picture: m.picture, expectedFalse: m.expectedFalseMatches
          ).insert(db)
        }
        for f in row.videoFrames {
          try db.execute(
            sql: "INSERT INTO video_frames (file_id, frame, time, pdq, quality) VALUES (?, ?, ?, ?, ?)",
            arguments: [file, f.frameNumber, f.timestamp, f.hash.hexString, f.quality])
        }
        for (frame, m) in row.frameMatches {
          try MatchRecord(
            fileID: file, setName: m.set, entryID: m.id, label: m.label, kind: m.kind.rawValue, distance: m.distance,
            orientation: m.orientation?.name, picture: m.picture, expectedFalse: m.expectedFalseMatches, frameTime: frame.timestamp
          ).insert(db)
        }
        for (set, v) in row.videoMatches {
          try MatchRecord(
            fileID: file, setName: set, entryID: v.id, label: v.label, kind: "vpdq", distance: v.frames.map(\.distance).min() ?? 0,
            orientation: nil, picture: nil, expectedFalse: nil, frameTime: v.frames.first?.query.timestamp,
            queryMatch: v.queryMatchPercent, comparedMatch: v.comparedMatchPercent
          ).insert(db)
        }
      }
    }
  }

  /// The archive members a run has recorded: each one's path and chain (as stored).
  public func archiveMembers(run: Int64) throws -> [[UInt8]: String] {
    try queue.read { db in
      var members: [[UInt8]: String] = [:]
      let rows = try Row.fetchCursor(db, sql: "SELECT path, archive_member FROM files WHERE run_id = ? AND archive_member IS NOT NULL", arguments: [run])
      while let row = try rows.next() { members[[UInt8](row["path"] as Data)] = row["archive_member"] }
      return members
    }
  }

  /// Marks a run finished.
  public func finish(run: Int64) throws {
    try queue.write { db in
      try db.execute(
        sql: "UPDATE runs SET status = 'finished', finished_at = ? WHERE id = ?", arguments: [Self.timestamp(Date()), run])
    }
  }

  /// Counts of files by status and of matches, for one run.
  public func summary(run: Int64) throws -> (files: [FileStatus: Int], matches: Int) {
    try queue.read { db in
      var files: [FileStatus: Int] = [:]
      for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM files WHERE run_id = ? GROUP BY status", arguments: [run]) {
        if let status = FileStatus(rawValue: row["status"]) { files[status] = row["n"] }
      }
      let matches = try Int.fetchOne(
        db, sql: "SELECT COUNT(*) FROM matches JOIN files ON files.id = matches.file_id WHERE files.run_id = ?",
        arguments: [run]) ?? 0
      return (files, matches)
    }
  }

  /// Runs a read-only query (for reports and tests).
  public func read<T>(_ body: (Database) throws -> T) throws -> T {
    try queue.read(body)
  }

  static func timestamp(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: date)
  }
}
