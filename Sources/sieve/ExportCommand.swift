import ArgumentParser
import SieveCase

/// `sieve export CASE_DIR --matched --out DIR`: the matched files, copied out.
struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Copy the matched files of a scanned case into a new folder, their digests verified.",
    discussion: """
      Every file of the run with at least one match is read again from the evidence \
      (read-only; a file inside a disk image through its file system) and written into \
      the folder only when it still has the SHA-256 the scan recorded. Files are named by \
      number and their own name (00001-photo.jpg), never by a path from the evidence, and \
      made read-only. manifest.csv beside them says for each file where it was found, its \
      digests, its matches and whether it was copied; its SHA-256 is printed and recorded \
      in the case. The folder must be new or empty, and outside the evidence. Exit status: \
      0 when every matched file was copied, 1 when some were not (each is in the manifest \
      with the reason).
      """
  )

  @Argument(help: "The case folder.")
  var caseFolder: String

  @Flag(help: "Export the files that matched a hash set (the only selection for now; required).")
  var matched = false

  @Option(name: [.short, .long], help: "The folder to write into (created; must be new or empty).")
  var out: String

  @Option(name: .customLong("run"), help: "The run to export from (default: the latest).")
  var runID: Int64?

  func validate() throws {
    guard matched else { throw ValidationError("say what to export: --matched") }
  }

  func run() throws {
    let errors = LineWriter.standardError()
    do {
      let summary = try CaseExporter(caseFolder: caseFolder).export(run: runID, to: out)
      for failure in summary.failed { errors.write("\(failure.path): \(failure.reason)") }
      errors.write(
        "sieve: run \(summary.run): \(summary.copied) matched files copied to \(out)"
          + (summary.failed.isEmpty ? "" : ", \(summary.failed.count) not copied")
          + "; manifest.csv SHA-256 \(summary.manifestSHA256), recorded in the case")
      if !summary.failed.isEmpty { throw ExitCode(ExitStatus.someFailed) }
    } catch let exit as ExitCode {
      throw exit
    } catch {
      errors.write("\(error)")
      throw ExitCode(ExitStatus.someFailed)
    }
  }
}
