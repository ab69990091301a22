import Foundation
import GRDB
import SieveCore
import SieveTestSupport
import Testing

@testable import SieveCase

/// `sieve review verify` and `sieve review export`, and the negative list they feed given to
/// `sieve match` and `sieve scan` (`--negative`).
@Suite struct ReviewCommandTests {
  static let sample = TestData.repoRoot.appendingPathComponent("hashsets/sample-fixtures.sieveset").path
  static let images = TestData.fixtureVectors.appendingPathComponent("pdq/images").path

  /// A scanned case with one file confirmed (category 4) and one decided a false match.
  static func reviewedCase(_ dir: TemporaryDirectory) throws -> (falseMatch: String, confirmed: String) {
    let scan = try CommandRunner.run(
      "sieve", ["scan", images, "--case", dir.path + "/case", "--hashset", sample, "--examiner", "T", "--case-id", "RV-1", "--quiet"])
    #expect(scan.status == 0, "\(scan.stderr)")
    let browser = try CaseBrowser(caseFolder: dir.path + "/case")
    let rows = try browser.matchPage(MatchFilter(), pageSize: 100).rows
    let wee = try #require(rows.first { $0.path.hasSuffix("/wee.jpg") })
    let q = try #require(rows.first { $0.path.hasSuffix("/q0122.jpg") })
    let ledger = ReviewLedger(database: browser.database)
    try ledger.record(.falseMatch, files: [wee.fileID], examiner: "A", note: "not the known item", scheme: .projectVIC)
    try ledger.record(.confirm, files: [q.fileID], examiner: "A", scheme: .projectVIC)
    try ledger.record(.categorise(4), files: [q.fileID], examiner: "A", scheme: .projectVIC)
    return (wee.path, q.path)
  }

  @Test func verifyExitsOneWhenTheLedgerWasTamperedWith() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    _ = try Self.reviewedCase(dir)
    let good = try CommandRunner.run("sieve", ["review", "verify", dir.path + "/case"])
    #expect(good.status == 0 && good.stdout.hasPrefix("intact: 3 decisions, head "), "\(good.stdout) \(good.stderr)")
    let head = String(good.stdout.split(separator: " ").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(try CommandRunner.run("sieve", ["review", "verify", dir.path + "/case", "--head", head]).status == 0)
    // A row edited (the triggers dropped first, as a tamperer would).
    let database = try CaseDatabase(folder: dir.path + "/case")
    try database.queue.write { db in
      try db.execute(sql: "DROP TRIGGER review_ledger_append_only_update")
      try db.execute(sql: "UPDATE review_ledger SET examiner = 'B' WHERE seq = 1")
    }
    let bad = try CommandRunner.run("sieve", ["review", "verify", dir.path + "/case"])
    #expect(bad.status == 1 && bad.stdout.hasPrefix("BROKEN") && bad.stderr.contains("row 1: its hash does not match its fields (edited)"), "\(bad.stderr)")
    let missing = try CommandRunner.run("sieve", ["review", "verify", dir.path + "/nope"])
    #expect(missing.status == 1 && missing.stderr.contains("no case database"), "\(missing.stderr)")
  }

  @Test func exportedNegativeListSuppressesTheFalseMatchInMatchAndScan() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (falseMatch, confirmed) = try Self.reviewedCase(dir)
    let export = try CommandRunner.run(
      "sieve", ["review", "export", dir.path + "/case", "--negative", dir.path + "/neg.sieveset", "--confirmed", dir.path + "/own.sieveset"])
    #expect(export.status == 0 && export.stderr.contains("1 false matches") && export.stderr.contains("1 confirmed or categorised"), "\(export.stderr)")
    // The new set holds the confirmed file with its category as label.
    let own = try CommandRunner.run("sieve", ["match", "--hashset", dir.path + "/own.sieveset", "--format", "jsonl", "-q", confirmed])
    #expect(own.stdout.contains("\"label\":\"4\""), "\(own.stdout)")

    let plain = try CommandRunner.run("sieve", ["match", "--hashset", Self.sample, "--format", "jsonl", "-q", Self.images])
    let filtered = try CommandRunner.run(
      "sieve", ["match", "--hashset", Self.sample, "--negative", dir.path + "/neg.sieveset", "--format", "jsonl", "-q", Self.images])
    let lines = { (out: String) in out.split(separator: "\n").map(String.init) }
    #expect(lines(plain.stdout).contains { $0.contains("wee.jpg") })
    #expect(!lines(filtered.stdout).contains { $0.contains("wee.jpg") }, "\(filtered.stdout)")
    #expect(lines(filtered.stdout).count == lines(plain.stdout).count - lines(plain.stdout).filter { $0.contains("wee.jpg") }.count)

    // A scan with the negative list records no match for the false match, and records the list.
    let scan = try CommandRunner.run(
      "sieve", ["scan", Self.images, "--case", dir.path + "/case2", "--hashset", Self.sample, "--negative", dir.path + "/neg.sieveset",
                "--examiner", "T", "--quiet"])
    #expect(scan.status == 0, "\(scan.stderr)")
    let report = try CaseReport.load(from: try CaseDatabase(folder: dir.path + "/case2"))
    #expect(!report.matches.contains { $0.path == falseMatch } && report.matches.contains { $0.path == confirmed })
    #expect(report.run.info.parameters.negative?.first?.entries == 1)
    let missing = try CommandRunner.run("sieve", ["match", "--hashset", Self.sample, "--negative", dir.path + "/none.sieveset", Self.images])
    #expect(missing.status == 1)
  }

  @Test func reviewRefusesWithoutAnExaminerOrOffLoopback() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    _ = try Self.reviewedCase(dir)
    let noExaminer = try CommandRunner.run("sieve", ["review", dir.path + "/case", "--port", "0"])
    #expect(noExaminer.status == 2 && noExaminer.stderr.contains("--examiner"), "\(noExaminer.stderr)")
    let remote = try CommandRunner.run("sieve", ["review", dir.path + "/case", "--examiner", "A", "--host", "0.0.0.0", "--port", "0"])
    #expect(remote.status == 1 && remote.stderr.contains("not a loopback address"), "\(remote.stderr)")
  }
}
