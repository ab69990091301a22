import Foundation
import GRDB
import SieveCore
import SieveEvidence
import SieveMatching
import SievePipeline
import SieveTestSupport
import Testing

@testable import SieveCase

/// The scan workflow in-process: what it records, how it resumes, what it refuses.
@Suite struct CaseScannerTests {
  static let sample = TestData.repoRoot.appendingPathComponent("hashsets/sample-fixtures.sieveset").path
  static let wee = TestData.fixtureVectors.appendingPathComponent("pdq/images/misc-images/wee.jpg")

  /// Evidence: a known image twice, a text file, a corrupt JPEG, and a link.
  static func evidence() throws -> TemporaryDirectory {
    let dir = try TemporaryDirectory("sieve-evidence")
    let wee = try TestData.bytes(Self.wee)
    _ = try dir.write("disk/a/wee.jpg", wee)
    _ = try dir.write("disk/b/copy-of-wee.bin", wee)
    _ = try dir.write("disk/notes.txt", Array("not an image".utf8))
    _ = try dir.write("disk/broken.jpg", [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10])
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/disk/link.jpg", withDestinationPath: dir.path + "/disk/a/wee.jpg")
    return dir
  }

  static func configuration(_ evidence: TemporaryDirectory) -> CaseScanner.Configuration {
    var configuration = CaseScanner.Configuration(evidence: [RawPath(evidence.path + "/disk")], hashSetPaths: [sample])
    configuration.examiner = "E"
    configuration.caseID = "T-1"
    configuration.workers = 2
    return configuration
  }

  @Test func scanRecordsEveryFileWithItsStatusAndMatches() throws {
    let evidence = try Self.evidence()
    defer { evidence.remove() }
    let cases = try TemporaryDirectory("sieve-case")
    defer { cases.remove() }
    var events: [CaseScanner.Event] = []
    let summary = try CaseScanner(caseFolder: cases.path + "/c", configuration: Self.configuration(evidence)).run { events.append($0) }
    #expect(summary.files == [.hashed: 2, .notImage: 1, .failed: 1, .special: 1], "\(summary.files)")
    // Both copies of the known image match it (PDQ; pHash is off by default), whatever their names.
    #expect(summary.matches >= 2)
    guard case .started(_, let resumed, _, let files, _) = events.first else {
      Issue.record("\(events)")
      return
    }
    #expect(!resumed && files == 4)
    #expect(events.contains { if case .progress(let p) = $0 { p.processed == 4 && p.failed == 1 && p.matched == 2 } else { false } })

    let database = try CaseDatabase(folder: cases.path + "/c")
    let statuses = try database.read { try String.fetchAll($0, sql: "SELECT status FROM files ORDER BY path_text") }
    #expect(statuses.allSatisfy { FileStatus(rawValue: $0) != nil })
    let report = try CaseReport.load(from: database)
    #expect(report.run.info.evidence == [EvidenceGuard.resolve(RawPath(evidence.path + "/disk")).description])
    #expect(report.run.info.parameters.maxDistance == 31 && report.run.info.parameters.dihedral)
    #expect(report.run.info.hashSets.first?.version == "76f696bb4195608d")
    #expect(Set(report.matches.map(\.path)).count == 2)
  }

  /// An unfinished run is resumed only with the same inputs; different thresholds are
  /// refused with the reason, and `restart` abandons it.
  @Test func resumeNeedsTheSameParameters() throws {
    let evidence = try Self.evidence()
    defer { evidence.remove() }
    let cases = try TemporaryDirectory("sieve-case")
    defer { cases.remove() }
    let scanner = CaseScanner(caseFolder: cases.path + "/c", configuration: Self.configuration(evidence))
    // A run left unfinished with one file recorded.
    let database = try CaseDatabase(folder: cases.path + "/c")
    let (sets, records) = try scanner.loadSets()
    #expect(sets.count == 1)
    let info = CaseDatabase.RunInfo(
      toolVersion: ToolVersion.description, parameters: scanner.parameters(knownGood: []), hashSets: records,
      evidence: scanner.source.roots.map(\.description), examiner: "E", caseID: "T-1", host: ProcessInfo.processInfo.hostName)
    let unfinished = try database.startOrResume(info).run
    var row = CaseDatabase.FileRow(path: RawPath(scanner.source.roots[0].description + "/notes.txt"), status: .notImage)
    row.size = 12
    try database.insert([row], run: unfinished)

    var stricter = Self.configuration(evidence)
    stricter.matchOptions = MatchOptions(pdqMaxDistance: 10)
    #expect(throws: CaseError.self) { try CaseScanner(caseFolder: cases.path + "/c", configuration: stricter).run() }

    var events: [CaseScanner.Event] = []
    let summary = try scanner.run { events.append($0) }
    #expect(summary.run == unfinished)
    guard case .started(_, let resumed, let recorded, let files, _) = events.first else { return }
    #expect(resumed && recorded == 1 && files == 3, "the recorded file is not read again")
    #expect(summary.files.values.reduce(0, +) == 5)

    stricter.restart = true
    let fresh = try CaseScanner(caseFolder: cases.path + "/c", configuration: stricter).run()
    #expect(fresh.run != unfinished)
  }

  @Test func aCaseFolderInsideTheEvidenceIsRefusedBeforeAnythingIsWritten() throws {
    let evidence = try Self.evidence()
    defer { evidence.remove() }
    let scanner = CaseScanner(caseFolder: evidence.path + "/disk/a/../case", configuration: Self.configuration(evidence))
    #expect(throws: CaseError.self) { try scanner.run() }
    #expect(!FileManager.default.fileExists(atPath: evidence.path + "/disk/case"))
  }

  /// A report written through the reporter is refused inside the evidence, and its
  /// SHA-256 is recorded.
  @Test func reportsAreRecordedAndNeverWrittenInsideTheEvidence() throws {
    let evidence = try Self.evidence()
    defer { evidence.remove() }
    let cases = try TemporaryDirectory("sieve-case")
    defer { cases.remove() }
    _ = try CaseScanner(caseFolder: cases.path + "/c", configuration: Self.configuration(evidence)).run()
    let reporter = CaseReporter(caseFolder: cases.path + "/c")
    #expect(throws: CaseError.self) { try reporter.write(format: .html, to: evidence.path + "/disk/report.html") }
    #expect(!FileManager.default.fileExists(atPath: evidence.path + "/disk/report.html"))
    let written = try reporter.write(format: .csv, to: cases.path + "/report.csv")
    let recorded = try CaseDatabase(folder: cases.path + "/c").read { try String.fetchAll($0, sql: "SELECT sha256 FROM reports") }
    #expect(recorded == [written.sha256])
  }
}
