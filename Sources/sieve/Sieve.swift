import ArgumentParser
import Foundation
import SievePipeline

/// `sieve`: perceptual image hashing and matching for forensic triage and upload scanning.
@main
struct Sieve: ParsableCommand {

  static let configuration = CommandConfiguration(
    commandName: "sieve",
    abstract: "Perceptual image hashing (PDQ, pHash) for finding known images after edits.",
    discussion: """
      Sieve computes PDQ hashes bit-compatible with Meta's reference (the 256-bit hash that \
      hash-sharing programs exchange) and 64-bit DCT pHashes as Python imagehash computes them.

      Exit status: 0 when every file was processed, 1 when some failed (each failure is one \
      'path: reason' line on standard error), 2 on a usage error.
      """,
    // The codec list asks libheif its version, which loads it (see OnDemandLibrary): done
    // only when the version is asked for, since this is built at every start.
    version: CommandLine.arguments.dropFirst().contains("--version") ? ToolVersion.description : ToolVersion.number,
    subcommands: [
      HashCommand.self, MatchCommand.self, HashsetCommand.self, ScanCommand.self, ReportCommand.self, ExportCommand.self, ReviewCommand.self, ServeCommand.self, EvalCommand.self,
    ]
  )

  /// Runs the command, mapping usage errors to exit status 2 (argument-parser uses 64).
  static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch {
      let code = exitCode(for: error)
      if code == .validationFailure {
        LineWriter.standardError().writeLines(fullMessage(for: error))
        Foundation.exit(ExitStatus.usage)
      }
      exit(withError: error)
    }
  }
}

/// Exit statuses scripts can rely on.
enum ExitStatus {
  /// Every file was processed.
  static let success: Int32 = 0
  /// Some files failed; the others were processed.
  static let someFailed: Int32 = 1
  /// The command line was wrong.
  static let usage: Int32 = 2
}
