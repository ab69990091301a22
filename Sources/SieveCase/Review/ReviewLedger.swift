import Crypto
import Foundation
import GRDB
import SieveCore

/// The examiner's decisions on a case, appended to a ledger in the case database.
///
/// Every decision on every file is one row of `review_ledger`: who, when, which file
/// (its path and SHA-256 as scanned), the state and category before and after, and the
/// note. Each row carries the SHA-256 of its fields and of the row before, so that
/// ``verify()`` finds any row edited, removed or moved; the database also refuses updates
/// and deletes of the table. `review_state` holds each file's current state, written in the
/// same transaction as its row, and ``verify()`` replays the ledger to check it too.
public struct ReviewLedger: Sendable {
  let database: CaseDatabase

  public init(database: CaseDatabase) {
    self.database = database
  }

  /// The hash a chain starts from.
  public static let genesis = String(repeating: "0", count: 64)

  /// Longest note kept with a decision, in characters.
  public static let maxNoteLength = 4000

  /// One ledger row.
  public struct Entry: Sendable, Equatable, Codable, FetchableRecord {
    public var seq: Int64
    public var at: String
    public var examiner: String
    public var runID: Int64
    public var fileID: Int64
    public var path: String
    /// The file as it was decided on: its digests and hashes (exports are made from these).
    public var sha256: String?
    public var md5: String?
    public var sha1: String?
    public var pdq: String?
    public var phash: String?
    /// Its matches then: JSON `[[set, set version, entry, kind, distance], …]`, sorted.
    public var matched: String
    /// The SHA-256 of a video's recorded frames (`""` for none).
    public var frames: String
    public var previousState: ReviewState
    public var newState: ReviewState
    public var previousCategory: Int?
    public var newCategory: Int?
    public var note: String
    public var previousHash: String
    public var hash: String

    enum CodingKeys: String, CodingKey {
      case seq, at, examiner, runID = "run_id", fileID = "file_id", path = "path_text", sha256, md5, sha1, pdq, phash, matched, frames
      case previousState = "previous_state", newState = "new_state", previousCategory = "previous_category"
      case newCategory = "new_category", note, previousHash = "previous_hash", hash
    }

    /// The SHA-256 this row must carry: over every field, each as its length and bytes (so
    /// that no two different rows read the same), then the previous row's hash.
    public var expectedHash: String {
      let fields: [String] = [
        String(seq), at, examiner, String(runID), String(fileID), path, sha256 ?? "-", md5 ?? "-", sha1 ?? "-", pdq ?? "-", phash ?? "-",
        matched, frames, previousState.rawValue, newState.rawValue,
        previousCategory.map(String.init) ?? "-", newCategory.map(String.init) ?? "-", note, previousHash,
      ]
      var bytes: [UInt8] = Array("sieve-review-ledger-v1\n".utf8)
      for field in fields {
        let utf8 = Array(field.utf8)
        bytes += Array("\(utf8.count):".utf8) + utf8 + [0x0A]
      }
      return Hex.string(SHA256.hash(data: bytes))
    }
  }

  /// A file's current review.
  public struct Review: Sendable, Equatable {
    public var state: ReviewState
    public var category: Int?
    public var note: String

    public static let none = Review(state: .unreviewed, category: nil, note: "")
  }

  /// Appends one decision for each of `files` (ids of the `files` table; of run `run` only,
  /// when given), in one transaction: all are recorded or none. Each row records the file
  /// as decided on: path, digests, hashes and the known items it matched. A file whose state and category would not
  /// change is still recorded when the decision carries a note.
  ///
  /// - Returns: the rows appended.
  /// - Throws: ``CaseError/badDecision(_:)`` for an unknown file, a category the scheme
  ///   lacks, an empty examiner or a note too long.
  @discardableResult
  public func record(
    _ action: ReviewAction, files: [Int64], examiner: String, note: String = "", scheme: CategoryScheme, run: Int64? = nil,
    at date: Date = Date()
  ) throws -> [Entry] {
    let examiner = examiner.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !examiner.isEmpty else { throw CaseError.badDecision("the examiner's name is needed (--examiner)") }
    guard note.count <= Self.maxNoteLength else { throw CaseError.badDecision("the note is longer than \(Self.maxNoteLength) characters") }
    if case .categorise(let id?) = action, scheme.category(id) == nil {
      throw CaseError.badDecision("category \(id) is not in the scheme \(scheme.name)")
    }
    if case .note = action, note.isEmpty { throw CaseError.badDecision("a note decision needs a note") }
    let timestamp = CaseDatabase.timestamp(date)
    return try database.queue.write { db in
      var entries: [Entry] = []
      let last = try Row.fetchOne(db, sql: "SELECT seq, hash FROM review_ledger ORDER BY seq DESC LIMIT 1")
      var seq: Int64 = last?["seq"] ?? 0
      var previousHash: String = last?["hash"] ?? Self.genesis
      // The sets' versions of each run, read once (a group decision covers thousands of files).
      var versionsByRun: [Int64: [String: String]] = [:]
      func versions(_ run: Int64) throws -> [String: String] {
        if let known = versionsByRun[run] { return known }
        let read = try Self.setVersions(run: run, db)
        versionsByRun[run] = read
        return read
      }
      for file in Set(files).sorted() {
        guard let row = try Row.fetchOne(db, sql: "SELECT run_id, path_text, sha256, md5, sha1, pdq, phash FROM files WHERE id = ?", arguments: [file])
        else {
          throw CaseError.badDecision("no file \(file) in this case")
        }
        if let run, (row["run_id"] as Int64) != run { throw CaseError.badDecision("file \(file) is not in run \(run)") }
        let current = try Self.review(of: file, db)
        let (state, category) = action.apply(to: current.state, category: current.category)
        if state == current.state, category == current.category, note.isEmpty, action != .reset { continue }
        seq += 1
        var entry = Entry(
          seq: seq, at: timestamp, examiner: examiner, runID: row["run_id"], fileID: file, path: row["path_text"], sha256: row["sha256"],
          md5: row["md5"], sha1: row["sha1"], pdq: row["pdq"], phash: row["phash"],
          matched: try Self.matched(file, db, versions: try versions(row["run_id"])), frames: try Self.frames(file, db),
          previousState: current.state, newState: state, previousCategory: current.category, newCategory: category, note: note,
          previousHash: previousHash, hash: "")
        entry.hash = entry.expectedHash
        try db.execute(
          sql: """
            INSERT INTO review_ledger (seq, at, examiner, run_id, file_id, path_text, sha256, md5, sha1, pdq, phash, matched, frames,
              previous_state, new_state, previous_category, new_category, note, previous_hash, hash)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
          arguments: [
            entry.seq, entry.at, entry.examiner, entry.runID, entry.fileID, entry.path, entry.sha256, entry.md5, entry.sha1, entry.pdq,
            entry.phash, entry.matched, entry.frames, entry.previousState.rawValue, entry.newState.rawValue, entry.previousCategory, entry.newCategory,
            entry.note, entry.previousHash, entry.hash,
          ])
        try db.execute(
          sql: "INSERT OR REPLACE INTO review_state (file_id, state, category, note, seq) VALUES (?, ?, ?, ?, ?)",
          arguments: [file, state.rawValue, category, note.isEmpty ? current.note : note, seq])
        previousHash = entry.hash
        entries.append(entry)
      }
      return entries
    }
  }

  /// The current review of a file.
  public func review(of file: Int64) throws -> Review {
    try database.read { try Self.review(of: file, $0) }
  }

  static func review(of file: Int64, _ db: Database) throws -> Review {
    guard let row = try Row.fetchOne(db, sql: "SELECT state, category, note FROM review_state WHERE file_id = ?", arguments: [file]) else {
      return .none
    }
    guard case .some(let category) = Self.optionalInt(row, "category") else {
      throw CaseError.badDecision("the review of file \(file) is damaged (its category is not a number): run `sieve review verify`")
    }
    guard let state = text(row, "state").flatMap(ReviewState.init(rawValue:)), let note = text(row, "note") else {
      throw CaseError.badDecision("the review of file \(file) is damaged: run `sieve review verify`")
    }
    return Review(state: state, category: category, note: note)
  }

  /// A column that holds a whole number or NULL: `.some(value)`; `nil` when it holds
  /// anything else (a tampered row: reported, never a crash).
  static func optionalInt(_ row: Row, _ column: String) -> Int?? {
    guard row.hasColumn(column) else { return nil }
    switch (row[column] as DatabaseValue).storage {
    case .null: return .some(nil)
    case .int64(let v): return .some(Int(v))
    default: return nil
    }
  }

  /// File `file`'s matches, as a ledger row records them (each set named with its version,
  /// from the run's record of its sets).
  static func matched(_ file: Int64, _ db: Database, versions: [String: String]) throws -> String {
    var rows: [[String]] = []
    for row in try Row.fetchAll(
      db, sql: "SELECT DISTINCT set_name, entry_id, kind, distance FROM matches WHERE file_id = ? ORDER BY 1, 2, 3, 4", arguments: [file])
    {
      guard let set = text(row, "set_name"), let entry = text(row, "entry_id"), let kind = text(row, "kind"),
        case .some(.some(let distance)) = optionalInt(row, "distance")
      else { throw CaseError.badDecision("file \(file)'s matches are damaged: run `sieve review verify`") }
      rows.append([set, versions[set] ?? "", entry, kind, String(distance)])
    }
    return matchedText(rows)
  }

  /// The versions of a run's sets, by name (from its record).
  static func setVersions(run: Int64, _ db: Database) throws -> [String: String] {
    guard let record = try? CaseDatabase.RunRecord.fetchOne(db, key: run) else { return [:] }
    return Dictionary(record.hashsets.map { ($0.name, $0.version) }, uniquingKeysWith: { a, _ in a })
  }

  /// The SHA-256 of file `file`'s recorded video frames, `""` when it has none.
  static func frames(_ file: Int64, _ db: Database) throws -> String {
    framesDigest(try Row.fetchAll(db, sql: "SELECT frame, time, pdq, quality FROM video_frames WHERE file_id = ? ORDER BY frame, time", arguments: [file]))
  }

  /// The digest of one file's frame rows (in frame order), `""` for none.
  static func framesDigest(_ rows: some Sequence<Row>) -> String {
    var lines: [UInt8] = []
    for row in rows {
      let fields = ["frame", "time", "pdq", "quality"].map { (row[$0] as DatabaseValue).description }
      lines += Array((fields.joined(separator: ",") + "\n").utf8)
    }
    return lines.isEmpty ? "" : Hex.string(SHA256.hash(data: lines))
  }

  /// A text column's value; nil for NULL or a value of another kind.
  static func text(_ row: Row, _ column: String) -> String? {
    if row.hasColumn(column), case .string(let s) = (row[column] as DatabaseValue).storage { return s }
    return nil
  }

  /// Pairs of set and entry as a ledger row records them (JSON, in the order given).
  static func matchedText(_ pairs: [[String]], encoder: JSONEncoder = matchedEncoder()) -> String {
    (try? String(decoding: encoder.encode(pairs), as: UTF8.self)) ?? "[]"
  }

  static func matchedEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return encoder
  }

  /// A file's ledger rows, oldest first.
  public func history(of file: Int64) throws -> [Entry] {
    try database.read { db in
      try Entry.fetchAll(db, sql: "SELECT * FROM review_ledger WHERE file_id = ? ORDER BY seq", arguments: [file])
    }
  }

  /// The latest `limit` rows, newest first.
  public func latest(_ limit: Int) throws -> [Entry] {
    try database.read { db in try Entry.fetchAll(db, sql: "SELECT * FROM review_ledger ORDER BY seq DESC LIMIT ?", arguments: [limit]) }
  }

  /// The whole ledger, oldest first.
  public func entries() throws -> [Entry] {
    try database.read { db in try Entry.fetchAll(db, sql: "SELECT * FROM review_ledger ORDER BY seq") }
  }

  /// What ``verify()`` found.
  public struct Verification: Sendable, Equatable {
    /// Rows checked.
    public var rows: Int
    /// The last row's hash: note it (reports print it) to detect, later, rows cut off the end.
    public var head: String
    /// Each problem found, for people ("row 7: its hash does not match its fields (edited)").
    public var problems: [String]
    public var isIntact: Bool { problems.isEmpty }
  }

  /// Checks the chain: sequence numbers 1, 2, 3… without gaps, each row's hash over its
  /// fields, each row's link to the one before, each row's file as recorded against the
  /// `files` and `matches` tables, and the current states (and notes) replayed from the
  /// ledger against `review_state`. When `head` is given (a hash noted earlier), it must be
  /// a row's hash, so that rows cut off the end, or a chain rewritten whole, are found too.
  public func verify(head expected: String? = nil) throws -> Verification {
    try database.read { db in
      var problems: [String] = []
      var previous = Self.genesis
      var count = 0
      var replayed: [Int64: (state: ReviewState, category: Int?, note: String)] = [:]
      var seenHead = expected == nil
      // The decided files as the case holds them now, read in passes (not queries a row);
      // a value of the wrong kind reads as nil and so differs.
      var filesNow: [Int64: [String?]] = [:]
      for file in try Row.fetchAll(
        db,
        sql: """
          SELECT id, run_id, path_text, sha256, md5, sha1, pdq, phash FROM files
          WHERE id IN (SELECT DISTINCT file_id FROM review_ledger)
          """)
      {
        guard case .int64(let id) = (file["id"] as DatabaseValue).storage else { continue }
        let run: String? = { if case .int64(let r) = (file["run_id"] as DatabaseValue).storage { return String(r) } else { return nil } }()
        filesNow[id] = [run] + ["path_text", "sha256", "md5", "sha1", "pdq", "phash"].map { Self.text(file, $0) }
      }
      var versionsByRun: [Int64: [String: String]] = [:]
      var matchesNow: [Int64: [[String]]] = [:]
      for match in try Row.fetchAll(
        db,
        sql: """
          SELECT DISTINCT m.file_id, f.run_id, m.set_name, m.entry_id, m.kind, m.distance FROM matches m JOIN files f ON f.id = m.file_id
          WHERE m.file_id IN (SELECT DISTINCT file_id FROM review_ledger) ORDER BY 1, 3, 4, 5, 6
          """)
      {
        guard case .int64(let file) = (match["file_id"] as DatabaseValue).storage else { continue }
        guard case .int64(let run) = (match["run_id"] as DatabaseValue).storage, let set = Self.text(match, "set_name"),
          let entry = Self.text(match, "entry_id"), let kind = Self.text(match, "kind"),
          case .some(.some(let distance)) = Self.optionalInt(match, "distance")
        else {
          matchesNow[file, default: []].append(["damaged"])
          continue
        }
        if versionsByRun[run] == nil { versionsByRun[run] = try Self.setVersions(run: run, db) }
        matchesNow[file, default: []].append([set, versionsByRun[run]?[set] ?? "", entry, kind, String(distance)])
      }
      var framesNow: [Int64: [Row]] = [:]
      for frame in try Row.fetchAll(
        db,
        sql: """
          SELECT file_id, frame, time, pdq, quality FROM video_frames WHERE file_id IN (SELECT DISTINCT file_id FROM review_ledger)
          ORDER BY file_id, frame, time
          """)
      {
        if case .int64(let file) = (frame["file_id"] as DatabaseValue).storage { framesNow[file, default: []].append(frame) }
      }
      let encoder = Self.matchedEncoder()
      let rows = try Row.fetchCursor(db, sql: "SELECT * FROM review_ledger ORDER BY seq")
      while let row = try rows.next() {
        count += 1
        guard row.hasColumn("seq"), case .int64(let seq) = (row["seq"] as DatabaseValue).storage else {
          problems.append("row \(count): no sequence number (edited)")
          continue
        }
        let text = { (column: String) -> String? in Self.text(row, column) }
        let whole = { (column: String) -> Int64? in
          if row.hasColumn(column), case .int64(let v) = (row[column] as DatabaseValue).storage { return v }
          return nil
        }
        guard let previousState = text("previous_state").flatMap(ReviewState.init(rawValue:)),
          let newState = text("new_state").flatMap(ReviewState.init(rawValue:)),
          case .some(let previousCategory) = Self.optionalInt(row, "previous_category"),
          case .some(let newCategory) = Self.optionalInt(row, "new_category"),
          let at = text("at"), let examiner = text("examiner"), let runID = whole("run_id"), let fileID = whole("file_id"),
          let path = text("path_text"), let matched = text("matched"), let frames = text("frames"), let note = text("note"),
          let previousHash = text("previous_hash"),
          let hash = text("hash")
        else {
          problems.append("row \(seq): a field of the wrong kind (edited)")
          if let hash = text("hash") { previous = hash }
          continue
        }
        let entry = Entry(
          seq: seq, at: at, examiner: examiner, runID: runID, fileID: fileID, path: path, sha256: text("sha256"), md5: text("md5"),
          sha1: text("sha1"), pdq: text("pdq"), phash: text("phash"), matched: matched, frames: frames, previousState: previousState,
          newState: newState,
          previousCategory: previousCategory, newCategory: newCategory, note: note, previousHash: previousHash, hash: hash)
        if seq != Int64(count) {
          problems.append(
            seq > Int64(count) ? "row \(seq): rows \(count)…\(seq - 1) are missing (removed)" : "row \(seq): out of order (moved or renumbered)")
          count = Int(seq)
        }
        if entry.previousHash != previous {
          problems.append("row \(seq): it does not link to the row before it (a row before it was removed, moved or edited)")
        }
        if entry.hash != entry.expectedHash { problems.append("row \(seq): its hash does not match its fields (edited)") }
        let before = replayed[entry.fileID] ?? (.unreviewed, nil, "")
        if before.state != entry.previousState || before.category != entry.previousCategory {
          problems.append("row \(seq): its previous state is not what the rows before it left (a row was removed or edited)")
        }
        // The file decided on is still the file the case holds.
        if let now = filesNow[fileID] {
          let recorded: [String?] = [String(runID), path, entry.sha256, entry.md5, entry.sha1, entry.pdq, entry.phash]
          if recorded != now {
            problems.append("row \(seq): file \(fileID)'s path, digests or hashes are not those decided on (the files table was edited)")
          }
          if Self.matchedText(matchesNow[fileID] ?? [], encoder: encoder) != matched {
            problems.append("row \(seq): file \(fileID)'s matches are not those decided on (the matches table was edited)")
          }
          if Self.framesDigest(framesNow[fileID] ?? []) != entry.frames {
            problems.append("row \(seq): file \(fileID)'s video frames are not those decided on (the video_frames table was edited)")
          }
        } else {
          problems.append("row \(seq): file \(fileID) is no longer in the case (removed)")
        }
        replayed[entry.fileID] = (entry.newState, entry.newCategory, entry.note.isEmpty ? before.note : entry.note)
        if entry.hash == expected { seenHead = true }
        previous = entry.hash
      }
      if !seenHead, let expected {
        problems.append("the noted head \(expected) is not in the ledger (rows were cut off the end, or the ledger was rewritten)")
      }
      var stored: [Int64: (state: ReviewState, category: Int?, note: String)] = [:]
      for row in try Row.fetchAll(db, sql: "SELECT file_id, state, category, note FROM review_state") {
        guard case .int64(let file) = (row["file_id"] as DatabaseValue).storage,
          let state = Self.text(row, "state").flatMap(ReviewState.init(rawValue:)), case .some(let category) = Self.optionalInt(row, "category"),
          let note = Self.text(row, "note")
        else {
          problems.append("a current review (review_state) is damaged: a value of the wrong kind")
          continue
        }
        stored[file] = (state, category, note)
      }
      for (file, state) in replayed {
        guard let current = stored[file] else {
          problems.append("file \(file): its current review (review_state) is missing")
          continue
        }
        if current.state != state.state || current.category != state.category || current.note != state.note {
          problems.append("file \(file): its current review (review_state) is not what the ledger says")
        }
      }
      for file in stored.keys where replayed[file] == nil {
        problems.append("file \(file): a current review with no decision in the ledger")
      }
      return Verification(rows: count, head: previous, problems: problems)
    }
  }
}
