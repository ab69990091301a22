import ArgumentParser
import Foundation
import SieveCase
import SieveCore
import SievePipeline

/// `sieve report CASE_DIR`: reports from a case database.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write a report of a scanned case: jsonl, csv or one self-contained html file.",
    discussion: """
      The report states the tool version, parameters, evidence and hash-set checksums of the \
      run, and any notes recorded with it; counts files by status and type; lists matches \
      grouped by set and label with the files' digests, distances and orientations; and \
      groups near-duplicate images found in the evidence (PDQ within --cluster-distance, \
      quality >= 50). Its SHA-256 is printed on standard error and recorded in the case \
      database. A report file inside the evidence is refused.
      """
  )

  @Argument(help: "The case folder.")
  var caseFolder: String

  @Option(help: "Report format: jsonl, csv or html.")
  var format: ReportWriter.Format = .html

  @Option(name: [.short, .long], help: "Write the report to this file (default: standard output).")
  var out: String?

  @Option(name: .customLong("run"), help: "The run to report (default: the latest).")
  var runID: Int64?

  @Option(help: "PDQ distance that links two evidence images into a near-duplicate group.")
  var clusterDistance: Int = 31

  @Flag(help: "HTML only: embed small thumbnails of matched images, blurred until clicked (read from the evidence, read-only).")
  var thumbnails = false

  func run() throws {
    let errors = LineWriter.standardError()
    do {
      let written = try CaseReporter(caseFolder: caseFolder).write(
        format: format, run: runID, clusterRadius: clusterDistance, thumbnails: thumbnails, to: out
      ) { bytes in
        let output = LineWriter.standardOutput()
        output.writeNow(String(decoding: bytes, as: UTF8.self))
        if let failure = output.failure { throw CaseError.cannotOpen(path: "standard output", reason: failure) }
      }
      errors.write(
        "sieve: report SHA-256 \(written.sha256) (\(written.bytes.count) bytes\(out.map { ", " + $0 } ?? "")), recorded in the case")
      if written.ledgerProblems > 0 {
        errors.write(
          "sieve: warning: the review ledger is BROKEN (\(written.ledgerProblems) problems; run `sieve review verify`): "
            + "the report says so, and the VICS report ignores the review")
      }
    } catch {
      errors.write("\(error)")
      throw ExitCode(ExitStatus.someFailed)
    }
  }
}

extension ReportWriter.Format: ExpressibleByArgument {}
