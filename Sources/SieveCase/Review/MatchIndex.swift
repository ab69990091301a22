import Foundation
import GRDB

/// The run's matches held in memory, for lists that filter, sort and page 100,000 matches
/// and more in milliseconds: each match's file, set, label, kind and distance (strings as
/// numbers), each matched file's path rank, size and time, and the files' review states,
/// brought up to date from `review_state` (by its sequence numbers) before each list.
///
/// The run's files and matches never change once scanned; only reviews do.
final class MatchIndex: @unchecked Sendable {
  struct Entry {
    var file: Int32
    var set: Int32
    var label: Int32
    var kind: Int32
    var distance: Int32
  }

  struct File {
    var id: Int64
    var path: [UInt8]
    var pathRank: Int32
    var size: Int64
    var modified: Double
    var best: Int32
    var count: Int32
  }

  let entries: [Entry]
  let files: [File]
  let sets: [String], labels: [String], kinds: [String]
  private let position: [Int64: Int32]
  /// Review state (0 unreviewed, 1 confirmed, 2 false match) and category (-1: none) by
  /// file position; guarded by `lock`.
  private var states: [UInt8]
  private var categories: [Int32]
  private var seenSeq: Int64 = 0
  private let lock = NSLock()

  init(_ db: Database, run: Int64) throws {
    var setIDs: [String: Int32] = [:], labelIDs: [String: Int32] = [:], kindIDs: [String: Int32] = [:]
    var sets: [String] = [], labels: [String] = [], kinds: [String] = []
    func intern(_ s: String, _ ids: inout [String: Int32], _ list: inout [String]) -> Int32 {
      if let id = ids[s] { return id }
      let id = Int32(list.count)
      ids[s] = id
      list.append(s)
      return id
    }
    var files: [File] = []
    var position: [Int64: Int32] = [:]
    let fileRows = try Row.fetchCursor(
      db,
      sql: """
        SELECT f.id, f.path_text, ifnull(f.size, -1) AS size, ifnull(f.modified, 0) AS modified FROM files f
        WHERE f.run_id = ? AND EXISTS (SELECT 1 FROM matches m WHERE m.file_id = f.id) ORDER BY f.path_text, f.id
        """, arguments: [run])
    while let row = try fileRows.next() {
      let id: Int64 = row["id"]
      position[id] = Int32(files.count)
      files.append(
        File(id: id, path: Array((row["path_text"] as String).utf8), pathRank: Int32(files.count), size: row["size"], modified: row["modified"], best: .max, count: 0))
    }
    var entries: [Entry] = []
    let matchRows = try Row.fetchCursor(
      db, sql: "SELECT m.file_id, m.set_name, m.label, m.kind, m.distance FROM matches m JOIN files f ON f.id = m.file_id WHERE f.run_id = ?",
      arguments: [run])
    while let row = try matchRows.next() {
      guard let p = position[row["file_id"]] else { continue }
      let distance = Int32(clamping: row["distance"] as Int)
      entries.append(
        Entry(
          file: p, set: intern(row["set_name"], &setIDs, &sets), label: intern(row["label"], &labelIDs, &labels),
          kind: intern(row["kind"], &kindIDs, &kinds), distance: distance))
      files[Int(p)].best = min(files[Int(p)].best, distance)
      files[Int(p)].count += 1
    }
    self.entries = entries
    self.files = files
    self.position = position
    (self.sets, self.labels, self.kinds) = (sets, labels, kinds)
    states = [UInt8](repeating: 0, count: files.count)
    categories = [Int32](repeating: -1, count: files.count)
  }

  /// Brings the review states up to date (rows of `review_state` changed since last time).
  func refresh(_ db: Database) throws {
    let since = lock.withLock { seenSeq }
    let rows = try Row.fetchAll(db, sql: "SELECT file_id, state, category, seq FROM review_state WHERE seq > ?", arguments: [since])
    guard !rows.isEmpty else { return }
    lock.withLock {
      for row in rows {
        seenSeq = max(seenSeq, row["seq"])
        guard let p = position[row["file_id"]] else { continue }
        let state: String = row["state"]
        states[Int(p)] = state == "confirmed" ? 1 : state == "false_match" ? 2 : 0
        categories[Int(p)] = (row["category"] as Int?).map { Int32(clamping: $0) } ?? -1
      }
    }
  }

  /// Matched files by review state, and by category (nil: not categorised), fewest first.
  func reviewCounts() -> ([ReviewState: Int], [(Int?, Int)]) {
    let (states, categories) = lock.withLock { (self.states, self.categories) }
    var byState: [ReviewState: Int] = [:]
    var byCategory: [Int32: Int] = [:]
    for i in states.indices {
      byState[states[i] == 1 ? .confirmed : states[i] == 2 ? .falseMatch : .unreviewed, default: 0] += 1
      byCategory[categories[i], default: 0] += 1
    }
    return (byState, byCategory.keys.sorted().map { ($0 < 0 ? nil : Int($0), byCategory[$0]!) })
  }

  /// The files `filter` keeps, in its order: their ids, and the total.
  func select(_ filter: MatchFilter, offset: Int, limit: Int) -> (ids: [Int64], total: Int) {
    let set = filter.set.map { s in sets.firstIndex(of: s).map(Int32.init) ?? -2 }
    let label = filter.label.map { s in labels.firstIndex(of: s).map(Int32.init) ?? -2 }
    let kind = filter.kind.map { s in kinds.firstIndex(of: s).map(Int32.init) ?? -2 }
    let maxDistance = filter.maxDistance.map { Int32(clamping: $0) }
    var best: [Int32]
    var count: [Int32]
    if set != nil || label != nil || kind != nil || maxDistance != nil {
      best = [Int32](repeating: .max, count: files.count)
      count = [Int32](repeating: 0, count: files.count)
      for e in entries {
        if let set, e.set != set { continue }
        if let label, e.label != label { continue }
        if let kind, e.kind != kind { continue }
        if let maxDistance, e.distance > maxDistance { continue }
        let f = Int(e.file)
        best[f] = min(best[f], e.distance)
        count[f] += 1
      }
    } else {
      best = files.map(\.best)
      count = files.map(\.count)
    }
    let (states, categories) = lock.withLock { (self.states, self.categories) }
    let wantState: UInt8? = filter.state.map { $0 == .confirmed ? 1 : $0 == .falseMatch ? 2 : 0 }
    let wantCategory: Int32? = filter.category.map { $0.map { Int32(clamping: $0) } ?? -1 }
    let needle = filter.pathContains.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
    var kept: [Int32] = []
    kept.reserveCapacity(files.count)
    for i in files.indices where count[i] > 0 {
      if let wantState, states[i] != wantState { continue }
      if let wantCategory, categories[i] != wantCategory { continue }
      if let needle, !Self.contains(files[i].path, needle) { continue }
      kept.append(Int32(i))
    }
    // Files are held in path order: the position is the path's rank.
    switch filter.sort {
    case .distance: kept.sort { (best[Int($0)], $0) < (best[Int($1)], $1) }
    case .path: break
    case .size: kept.sort { (files[Int($1)].size, $0) < (files[Int($0)].size, $1) }
    case .modified: kept.sort { (files[Int($1)].modified, $0) < (files[Int($0)].modified, $1) }
    case .matches: kept.sort { (count[Int($1)], best[Int($0)], $0) < (count[Int($0)], best[Int($1)], $1) }
    }
    let page = kept.dropFirst(offset).prefix(limit).map { files[Int($0)].id }
    return (Array(page), kept.count)
  }

  static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= hay.count else { return false }
    let first = needle[0]
    var i = 0
    let last = hay.count - needle.count
    while i <= last {
      if hay[i] == first {
        var j = 1
        while j < needle.count, hay[i + j] == needle[j] { j += 1 }
        if j == needle.count { return true }
      }
      i += 1
    }
    return false
  }
}
