import Foundation
import GRDB
import SieveCore
import SieveHashSets
import SieveMatching
import SievePipeline
import SieveTestSupport
import Testing

@testable import SieveCase

/// The review workflow in the library: decisions appended to the chained ledger, its
/// verification finding every kind of tampering, what decisions feed (reports, exports,
/// the negative list).
@Suite struct ReviewLedgerTests {
  /// A scanned case of the PDQ fixture images against the sample set (8 matched files).
  static func scannedCase() throws -> (TemporaryDirectory, CaseBrowser) {
    let cases = try TemporaryDirectory("sieve-review")
    var configuration = CaseScanner.Configuration(
      evidence: [RawPath(TestData.fixtureVectors.appendingPathComponent("pdq/images").path)], hashSetPaths: [CaseScannerTests.sample])
    configuration.examiner = "E"
    configuration.caseID = "R-1"
    configuration.workers = 2
    _ = try CaseScanner(caseFolder: cases.path + "/c", configuration: configuration).run { _ in }
    return (cases, try CaseBrowser(caseFolder: cases.path + "/c"))
  }

  static func matchedFiles(_ browser: CaseBrowser) throws -> [Int64] {
    try browser.matchPage(MatchFilter(), pageSize: 100).rows.map(\.fileID)
  }

  /// Runs SQL as a tamperer would: the append-only triggers dropped first.
  static func tamper(_ browser: CaseBrowser, _ sql: String) throws {
    try browser.database.queue.write { db in
      try db.execute(sql: "DROP TRIGGER IF EXISTS review_ledger_append_only_update; DROP TRIGGER IF EXISTS review_ledger_append_only_delete")
      try db.execute(sql: sql)
    }
  }

  @Test func decisionsAreChainedAndReplayed() throws {
    let (dir, browser) = try Self.scannedCase()
    defer { dir.remove() }
    let files = try Self.matchedFiles(browser)
    #expect(files.count == 8)
    let ledger = ReviewLedger(database: browser.database)
    let scheme = CategoryScheme.projectVIC
    try ledger.record(.confirm, files: [files[0], files[1]], examiner: "A. Examiner", note: "same scene", scheme: scheme)
    try ledger.record(.falseMatch, files: [files[2]], examiner: "A. Examiner", scheme: scheme)
    try ledger.record(.categorise(4), files: [files[0]], examiner: "B. Examiner", scheme: scheme)
    try ledger.record(.categorise(0), files: [files[1]], examiner: "B. Examiner", scheme: scheme)
    // Not categorised is no category, never 0.
    try ledger.record(.categorise(nil), files: [files[1]], examiner: "B. Examiner", scheme: scheme)
    // Nothing changes and no note: nothing recorded.
    #expect(try ledger.record(.confirm, files: [files[0]], examiner: "A", scheme: scheme).isEmpty)

    let entries = try ledger.entries()
    #expect(entries.map(\.seq) == [1, 2, 3, 4, 5, 6])
    #expect(entries.first?.previousHash == ReviewLedger.genesis)
    #expect(zip(entries, entries.dropFirst()).allSatisfy { $0.hash == $1.previousHash })
    #expect(entries[0].note == "same scene" && entries[0].examiner == "A. Examiner" && entries[0].sha256 != nil)
    #expect(try ledger.review(of: files[0]) == .init(state: .confirmed, category: 4, note: "same scene"))
    #expect(try ledger.review(of: files[1]).category == nil)
    #expect(try browser.database.read { try Int?.fetchOne($0, sql: "SELECT category FROM review_state WHERE file_id = ?", arguments: [files[1]]) } == .some(nil))
    #expect(try ledger.review(of: files[2]).state == .falseMatch)
    let check = try ledger.verify()
    #expect(check.isIntact && check.rows == 6 && check.head == entries.last?.hash, "\(check.problems)")
    #expect(try ledger.verify(head: entries[3].hash).isIntact)

    // Refusals: a category the scheme lacks, no examiner, an unknown file.
    #expect(throws: CaseError.self) { try ledger.record(.categorise(9), files: [files[0]], examiner: "A", scheme: scheme) }
    #expect(throws: CaseError.self) { try ledger.record(.confirm, files: [files[3]], examiner: "  ", scheme: scheme) }
    #expect(throws: CaseError.self) { try ledger.record(.confirm, files: [999_999], examiner: "A", scheme: scheme) }
    // The database itself refuses edits of the ledger.
    #expect(throws: (any Error).self) { try browser.database.queue.write { try $0.execute(sql: "UPDATE review_ledger SET note = 'x' WHERE seq = 1") } }
    #expect(throws: (any Error).self) { try browser.database.queue.write { try $0.execute(sql: "DELETE FROM review_ledger WHERE seq = 6") } }
  }

  @Test func verifyFindsEditedRemovedMovedAndCutRows() throws {
    let scheme = CategoryScheme.projectVIC
    func prepared() throws -> (TemporaryDirectory, CaseBrowser, ReviewLedger, [ReviewLedger.Entry]) {
      let (dir, browser) = try Self.scannedCase()
      let files = try Self.matchedFiles(browser)
      let ledger = ReviewLedger(database: browser.database)
      for (i, file) in files.prefix(4).enumerated() {
        try ledger.record(i % 2 == 0 ? .confirm : .falseMatch, files: [file], examiner: "A", note: "n\(i)", scheme: scheme)
      }
      try ledger.record(.categorise(3), files: [files[0]], examiner: "A", scheme: scheme)
      return (dir, browser, ledger, try ledger.entries())
    }
    // Edited: a note changed.
    do {
      let (dir, browser, ledger, _) = try prepared()
      defer { dir.remove() }
      try Self.tamper(browser, "UPDATE review_ledger SET note = 'changed' WHERE seq = 2")
      let check = try ledger.verify()
      #expect(!check.isIntact && check.problems.contains { $0.contains("row 2") && $0.contains("edited") }, "\(check.problems)")
    }
    // Edited with its hash recomputed: the next row's link breaks.
    do {
      let (dir, browser, ledger, entries) = try prepared()
      defer { dir.remove() }
      var forged = entries[1]
      forged.note = "forged"
      forged.hash = forged.expectedHash
      try Self.tamper(browser, "UPDATE review_ledger SET note = 'forged', hash = '\(forged.hash)' WHERE seq = 2")
      let check = try ledger.verify()
      #expect(check.problems.contains { $0.hasPrefix("row 3") && $0.contains("link") }, "\(check.problems)")
    }
    // Removed: a middle row.
    do {
      let (dir, browser, ledger, _) = try prepared()
      defer { dir.remove() }
      try Self.tamper(browser, "DELETE FROM review_ledger WHERE seq = 3")
      let check = try ledger.verify()
      #expect(check.problems.contains { $0.contains("missing") }, "\(check.problems)")
    }
    // Moved: two rows' numbers swapped.
    do {
      let (dir, browser, ledger, _) = try prepared()
      defer { dir.remove() }
      try Self.tamper(browser, "UPDATE review_ledger SET seq = seq + 100 WHERE seq IN (2, 3); UPDATE review_ledger SET seq = 3 WHERE seq = 102; UPDATE review_ledger SET seq = 2 WHERE seq = 103")
      #expect(!(try ledger.verify().isIntact))
    }
    // Cut off the end: found against a head noted earlier.
    do {
      let (dir, browser, ledger, entries) = try prepared()
      defer { dir.remove() }
      try Self.tamper(browser, "DELETE FROM review_ledger WHERE seq = 5")
      #expect(!(try ledger.verify(head: entries[4].hash).isIntact))
    }
    // The file decided on changed in the files table (another file's digest put in).
    do {
      let (dir, browser, ledger, entries) = try prepared()
      defer { dir.remove() }
      try Self.tamper(browser, "UPDATE files SET sha256 = '\(String(repeating: "0", count: 64))' WHERE id = \(entries[0].fileID)")
      #expect(try ledger.verify().problems.contains { $0.contains("files table") })
    }
    // A note put in the current review, or a category of the wrong kind: found, no crash.
    do {
      let (dir, browser, ledger, _) = try prepared()
      defer { dir.remove() }
      try Self.tamper(browser, "UPDATE review_state SET note = 'fabricated' WHERE seq = 2")
      #expect(!(try ledger.verify().isIntact))
      try Self.tamper(browser, "UPDATE review_state SET category = 'x' WHERE seq = 3")
      #expect(try ledger.verify().problems.contains { $0.contains("damaged") })
    }
    // INSERT OR REPLACE (which fires no delete trigger) is refused by the database too.
    do {
      let (dir, browser, _, _) = try prepared()
      defer { dir.remove() }
      #expect(throws: (any Error).self) {
        try browser.database.queue.write { db in
          try db.execute(sql: "INSERT OR REPLACE INTO review_ledger SELECT * FROM review_ledger WHERE seq = 1")
        }
      }
    }
    // A current state changed without a decision.
    do {
      let (dir, browser, ledger, _) = try prepared()
      defer { dir.remove() }
      try Self.tamper(browser, "UPDATE review_state SET state = 'confirmed' WHERE state = 'false_match'")
      #expect(try ledger.verify().problems.contains { $0.contains("review_state") })
    }
  }

  @Test func decisionsFeedReportsExportsAndTheNegativeList() throws {
    let (dir, browser) = try Self.scannedCase()
    defer { dir.remove() }
    let rows = try browser.matchPage(MatchFilter(), pageSize: 100).rows
    let wee = try #require(rows.first { $0.path.hasSuffix("wee.jpg") })
    let q0122 = try #require(rows.first { $0.path.hasSuffix("q0122.jpg") })
    let ledger = ReviewLedger(database: browser.database)
    try ledger.record(.confirm, files: [q0122.fileID], examiner: "A", scheme: .projectVIC)
    try ledger.record(.categorise(4), files: [q0122.fileID], examiner: "A", scheme: .projectVIC)
    try ledger.record(.falseMatch, files: [wee.fileID], examiner: "A", scheme: .projectVIC)

    // Lists filter by review state and category.
    var filter = MatchFilter()
    filter.state = .confirmed
    #expect(try browser.matchPage(filter).rows.map(\.fileID) == [q0122.fileID])
    filter.state = .unreviewed
    #expect(try browser.matchPage(filter).total == 6)
    filter = MatchFilter()
    filter.category = .some(4)
    #expect(try browser.matchPage(filter).rows.map(\.fileID) == [q0122.fileID])
    filter.category = .some(nil)
    #expect(try browser.matchPage(filter).total == 7)

    // Reports show the review.
    let report = try CaseReport.load(from: browser.database)
    let jsonl = ReportWriter.jsonl(report)
    #expect(jsonl.contains("\"review\":\"confirmed\"") && jsonl.contains("\"category\":4") && jsonl.contains("\"review\":\"false_match\""))
    let csv = ReportWriter.csv(report)
    #expect(csv.contains(",review,category") && csv.contains(",confirmed,4"))
    // VICS: the confirmed file carries its category; the false match is left out.
    let vics = try JSONSerialization.jsonObject(with: Data(ReportWriter.vics(report).utf8)) as? [String: Any]
    let media = vics?["value"] as? [[String: Any]] ?? []
    #expect(media.count == 7)
    #expect(media.first { ($0["FileName"] as? String) == "q0122.jpg" }?["Category"] as? Int == 4)
    #expect(!media.contains { ($0["FileName"] as? String) == "wee.jpg" })

    // Exports: the negative list and the confirmed set.
    let exporter = ReviewExporter(browser: browser)
    let negative = try exporter.hashSet(.negative)
    #expect(negative.count == 1 && negative.entries[0].sha256?.hexString == wee.sha256 && negative.entries[0].pdq != nil)
    // Tied to the known item it was mistaken for, in the version of its set the scan used.
    let sampleVersion = try HashSetLoader.load(CaseScannerTests.sample).version
    #expect(negative.entries[0].label == "sample-fixtures@\(sampleVersion)" && negative.entries[0].id == wee.matches[0].entry)
    let confirmed = try exporter.hashSet(.confirmed)
    #expect(confirmed.count == 1 && confirmed.entries[0].label == "4")
    // Written sets are recorded in the case, and refused inside the evidence.
    _ = try exporter.write(.negative, to: dir.path + "/negative.sieveset")
    let recorded = try browser.database.read { try String.fetchAll($0, sql: "SELECT format FROM reports") }
    #expect(recorded.contains("negative-list"))
    #expect(throws: CaseError.self) {
      try exporter.write(.negative, to: TestData.fixtureVectors.appendingPathComponent("pdq/images/n.sieveset").path)
    }

    // The negative list suppresses the false hit, and only it.
    let (set, _) = try BinaryHashSet.read(CaseScannerTests.sample)
    let plain = Matcher(sets: [set])
    let filtered = Matcher(sets: [set], negative: NegativeList(sets: [negative]), versions: [sampleVersion])
    func query(_ row: MatchPage.Row) throws -> MatchQuery {
      let file = try #require(try browser.file(row.fileID))
      return MatchQuery(
        pdq: PDQHash(file.pdq ?? ""), pdqQuality: file.pdqQuality, digests: [try ExactDigest(kind: .sha256, hex: file.sha256 ?? "")])
    }
    #expect(!plain.matches(for: try query(wee)).isEmpty)
    #expect(filtered.matches(for: try query(wee)).isEmpty)
    #expect(filtered.matches(for: try query(q0122)) == plain.matches(for: try query(q0122)))
  }

  /// A near copy of a known false match is suppressed; a copy of the known item is not,
  /// even where it lies within the negative radius too; digest matches never are.
  @Test func negativeListSuppressesOnlyWhatIsNearerTheFalseMatch() throws {
    let known = PDQHash(w0: 0, w1: 0, w2: 0, w3: 0)
    let falseMatch = PDQHash(w0: (1 << 28) - 1, w1: 0, w2: 0, w3: 0)  // 28 bits from the known item
    var set = HashSet(name: "known")
    set.append(HashSetEntry(id: "k", label: "x", pdq: known, sha256: try ExactDigest(kind: .sha256, hex: String(repeating: "ab", count: 32))))
    // The negative entry names the known item it was mistaken for: entry "k" of set "known"
    // in its version 0123456789abcdef.
    let version = "0123456789abcdef"
    var negativeSet = HashSet(name: "negative")
    negativeSet.append(HashSetEntry(id: "k", label: "known@\(version)", pdq: falseMatch, pdqQuality: 100))
    let matcher = Matcher(sets: [set], negative: NegativeList(sets: [negativeSet]), versions: [version])
    // Another version of the set (a list updated since): nothing suppressed.
    #expect(Matcher(sets: [set], negative: NegativeList(sets: [negativeSet]), versions: ["fedcba9876543210"]).matches(for: MatchQuery(pdq: PDQHash(w0: (1 << 28) - 1 - 3, w1: 0, w2: 0, w3: 0), pdqQuality: 100)).count == 1)
    let plain = Matcher(sets: [set])
    func query(_ h: PDQHash, digests: [ExactDigest] = []) -> MatchQuery { MatchQuery(pdq: h, pdqQuality: 100, digests: digests) }
    // Two bits from the false match (26 from the known item): suppressed.
    let nearFalse = PDQHash(w0: (1 << 28) - 1 - 3, w1: 0, w2: 0, w3: 0)
    #expect(plain.matches(for: query(nearFalse)).count == 1 && matcher.matches(for: query(nearFalse)).isEmpty)
    // The known item and a copy 14 bits from it (14 from the false match too): kept.
    #expect(matcher.matches(for: query(known)).count == 1)
    let between = PDQHash(w0: (1 << 14) - 1, w1: 0, w2: 0, w3: 0)
    #expect(matcher.matches(for: query(between)).count == 1)
    // A negative entry of another known item suppresses nothing here.
    var otherItem = HashSet(name: "negative")
    otherItem.append(HashSetEntry(id: "other", label: "known@\(version)", pdq: falseMatch, pdqQuality: 100))
    #expect(Matcher(sets: [set], negative: NegativeList(sets: [otherItem]), versions: [version]).matches(for: query(nearFalse)).count == 1)
    #expect(matcher.suppressedMatches == 1)
    // A digest match is kept even for a query at the false match itself.
    let digest = try ExactDigest(kind: .sha256, hex: String(repeating: "ab", count: 32))
    #expect(matcher.matches(for: query(falseMatch, digests: [digest])).map(\.kind) == [.sha256])
  }

  @Test func categorySchemesAreCheckedAndLegacyZeroIsNoCategory() throws {
    let scheme = try CategoryScheme.decode(Data(#"{"name":"Unit","categories":[{"id":1,"name":"A"},{"id":2,"name":"B"}],"legacy":{"3":2}}"#.utf8))
    #expect(scheme.fromLegacy(0) == nil && scheme.fromLegacy(3) == 2 && scheme.fromLegacy(1) == 1)
    #expect(CategoryScheme.projectVIC.fromLegacy(0) == nil)
    #expect(CategoryScheme.projectVIC.title(nil) == "not categorised" && CategoryScheme.projectVIC.title(0) == "0 · Non-pertinent")
    for bad in [
      #"{"name":"x","categories":[]}"#, #"{"name":"x","categories":[{"id":1,"name":"A"},{"id":1,"name":"B"}]}"#,
      #"{"name":"x","categories":[{"id":-1,"name":"A"}]}"#, #"{"name":"x","categories":[{"id":1,"name":" "}]}"#,
      #"{"name":"x","categories":[{"id":1,"name":"A"}],"legacy":{"2":7}}"#, "not json",
    ] {
      #expect(throws: CaseError.self, "\(bad)") { try CategoryScheme.decode(Data(bad.utf8)) }
    }
  }
}
