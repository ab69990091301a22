import BenchmarkSupport
import Foundation
import SieveCase
import SieveCore
import SieveMatching
import SievePipeline

/// Makes a case database shaped like a large seized drive's, for measuring the review
/// workspace: `files` hashed pictures in user folders, a share of them in series of
/// near-duplicates of known items (so matches come in runs of close distances), matched
/// against four sets with labels by PDQ, some also by pHash and MD5, until `matches`
/// matches are recorded; modification times over five years; and `decisions` files
/// already reviewed (confirmed, false matches, categorised) through the chained ledger.
/// Deterministic for a seed. No picture exists: thumbnails of it are "not shown".
public enum ReviewCaseMaker {
  public struct Made: Sendable {
    public var files: Int
    public var matchedFiles: Int
    public var matches: Int
    public var decisions: Int
    public var seconds: Double
  }

  public static func make(
    folder: String, files: Int = 200_000, matches target: Int = 100_000, decisions: Int = 20_000, seed: UInt64 = 7
  ) throws -> Made {
    let started = Date()
    try? FileManager.default.removeItem(atPath: folder)
    let database = try CaseDatabase(folder: folder)
    let parameters = try JSONDecoder().decode(
      ScanParameters.self,
      from: Data(
        #"{"max_distance":31,"min_quality":50,"pdq_mode":"fullres","dihedral":true,"max_pixels":1,"max_pixels_per_byte":1,"max_bytes":1,"max_seconds":0,"follow_symlinks":false,"fast":false,"tool":"generated","set_label":"","set_type":"","set_format":"","known_good":[]}"#
          .utf8))
    let sets = ["known-a", "known-b", "partner-list", "unit-own"]
    let labels = ["1", "2", "3", "4", "series-alpha", "series-beta", "vehicle", "landscape"]
    let info = CaseDatabase.RunInfo(
      toolVersion: "generated", parameters: parameters,
      hashSets: sets.map { HashSetRecord(name: $0, path: "/sets/\($0).sieveset", version: "0", sha256: String(repeating: "0", count: 64), entries: 1_000_000) },
      evidence: ["/evidence"], examiner: "Generator", caseID: "BENCH-100K", host: "bench")
    let (run, _, _) = try database.startOrResume(info)
    var rng = BenchmarkRandom(seed: seed)
    var rows: [CaseDatabase.FileRow] = []
    var matchCount = 0, matchedFiles = 0
    var matchedIDs: [Int] = []
    var file = 0
    let base = 1_450_000_000.0
    while file < files {
      // A series: a known item and its near-duplicates in one folder (or a lone picture).
      let matched = matchCount < target && rng.next() % 100 < 30
      let seriesLength = matched ? 1 + Int(rng.next() % 12) : 1
      let centre = PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next())
      let set = sets[Int(rng.next() % UInt64(sets.count))]
      let label = labels[Int(rng.next() % UInt64(labels.count))]
      let entry = Int(rng.next() % 1_000_000)
      let user = Int(rng.next() % 40)
      let time = base + Double(rng.next() % (5 * 365 * 86_400))
      for i in 0..<seriesLength where file < files {
        let path = "/evidence/user\(user)/Pictures/\(matched ? "series-\(file)" : "camera")/IMG_\(String(format: "%07d", file)).jpg"
        var row = CaseDatabase.FileRow(path: RawPath(path), status: .hashed)
        row.size = 20_000 + Int(rng.next() % 4_000_000)
        row.modified = time + Double(i * 60)
        row.changed = row.modified
        row.accessed = row.modified
        let bytes = Array(path.utf8)
        row.digests = bytes.withUnsafeBytes { FileDigests(of: $0) }
        row.type = "jpeg"
        (row.width, row.height) = (4000, 3000)
        let distance = matched ? Int(rng.next() % 30) : 0
        let hash = rng.flip(centre, bits: distance)
        row.pdq = hash.hexString
        row.pdqQuality = 60 + Int(rng.next() % 40)
        if matched, matchCount < target {
          row.matches.append(Match(set: set, entry: entry, id: "e\(entry)", label: label, kind: .pdq, distance: hash.distance(to: centre)))
          if rng.next() % 3 == 0 {
            row.matches.append(Match(set: set, entry: entry, id: "e\(entry)", label: label, kind: .phash, distance: Int(rng.next() % 8)))
          }
          if i == 0, rng.next() % 4 == 0 {
            row.matches.append(Match(set: set, entry: entry, id: "e\(entry)", label: label, kind: .md5, distance: 0))
          }
          matchCount += row.matches.count
          matchedFiles += 1
          matchedIDs.append(file + 1)
        }
        rows.append(row)
        file += 1
        if rows.count == 5_000 {
          try database.insert(rows, run: run)
          rows.removeAll(keepingCapacity: true)
        }
      }
    }
    try database.insert(rows, run: run)
    try database.finish(run: run)
    // Decisions in batches of 100 files, as an examiner decides on selections and groups.
    let ledger = ReviewLedger(database: database)
    var decided = 0
    var cursor = 0
    while decided < decisions, cursor < matchedIDs.count {
      let batch = Array(matchedIDs[cursor..<min(cursor + 100, matchedIDs.count)]).map(Int64.init)
      cursor += 100 + Int(rng.next() % 50)
      let action: ReviewAction
      switch rng.next() % 4 {
      case 0: action = .falseMatch
      case 1: action = .categorise(Int(rng.next() % 5))
      default: action = .confirm
      }
      decided += try ledger.record(action, files: batch, examiner: "Generator", scheme: .projectVIC).count
    }
    return Made(files: file, matchedFiles: matchedFiles, matches: matchCount, decisions: decided, seconds: Date().timeIntervalSince(started))
  }
}
