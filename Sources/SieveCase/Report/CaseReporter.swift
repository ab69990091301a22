import Foundation
import SieveCore
import SievePipeline

/// Writes a report of a scanned case and records it: the report of a run (the latest by
/// default), rendered in one format, written to a file outside the evidence or handed to
/// the caller, and its SHA-256 recorded in the case database, so that a copy presented
/// later can be checked.
public struct CaseReporter: Sendable {
  public let caseFolder: String

  public init(caseFolder: String) {
    self.caseFolder = caseFolder
  }

  /// A rendered, recorded report.
  public struct Written: Sendable {
    public var bytes: [UInt8]
    public var sha256: String
    public var run: Int64
    /// Problems the review ledger has (0: intact); the report says so too.
    public var ledgerProblems = 0
  }

  /// Renders the report and records its SHA-256; writes it to `path` when given.
  ///
  /// - Parameter deliver: called with the bytes before they are recorded when there is no
  ///   `path` (the command writes them to standard output); a throw stops the recording.
  /// - Throws: ``CaseError``: no case database, no run, a `path` inside the evidence the
  ///   run scanned, a file that cannot be written.
  public func write(
    format: ReportWriter.Format, run: Int64? = nil, clusterRadius: Int = 31, thumbnails: Bool = false, to path: String? = nil,
    deliver: ([UInt8]) throws -> Void = { _ in }
  ) throws -> Written {
    guard FileManager.default.fileExists(atPath: (caseFolder as NSString).appendingPathComponent(CaseDatabase.fileName)) else {
      throw CaseError.cannotOpen(path: caseFolder, reason: "no case database here (run `sieve scan` first)")
    }
    let database = try CaseDatabase(folder: caseFolder)
    let report = try CaseReport.load(from: database, run: run, clusterRadius: clusterRadius)
    let bytes = ReportWriter.render(report, format: format, thumbnails: thumbnails)
    if let path {
      // Never write inside the evidence the run scanned.
      if let root = EvidenceGuard.root(containing: RawPath(path), evidence: report.run.info.evidence.map(RawPath.init)) {
        throw CaseError.cannotOpen(path: path, reason: "the report would be written inside the evidence \(root); choose another place")
      }
      guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
        throw CaseError.cannotOpen(path: path, reason: "cannot write the report")
      }
    } else {
      try deliver(bytes)
    }
    let sha256 = bytes.withUnsafeBytes { FileDigests(of: $0).sha256.hexString }
    try database.recordReport(run: report.run.id, format: format.rawValue, path: path, sha256: sha256, bytes: bytes.count)
    return Written(bytes: bytes, sha256: sha256, run: report.run.id, ledgerProblems: report.ledgerProblems)
  }
}
