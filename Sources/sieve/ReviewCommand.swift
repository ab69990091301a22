import ArgumentParser
import Dispatch
import Foundation
import SieveCase
import SieveCore
import SieveHashSets
import SieveReview

/// `sieve review`: the examiner's review workspace, its ledger check and its exports.
struct ReviewCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "review",
    abstract: "Review a scanned case in the browser: confirm, reject and categorise matches, every decision in a tamper-evident ledger.",
    discussion: """
      sieve review CASE_DIR --examiner NAME starts the review workspace on loopback and \
      prints its address, with this session's token; open it in a browser. Decisions are \
      appended to the case database's ledger, each row chained to the one before by SHA-256: \
      sieve review verify finds any row edited, removed or moved. What the decisions feed: \
      sieve report (every format) shows them, the VICS report carries the categories of \
      confirmed files, and sieve review export writes the false matches as a negative list \
      (--negative on match, scan and serve) and the confirmed and categorised files as a new \
      hash set.

      Examples:
        sieve review cases/2026-017 --examiner "A. Examiner"
        sieve review verify cases/2026-017
        sieve review export cases/2026-017 --negative negative.sieveset
        sieve review export cases/2026-017 --confirmed case-2026-017.sieveset
      """,
    subcommands: [ReviewOpenCommand.self, ReviewVerifyCommand.self, ReviewExportCommand.self],
    defaultSubcommand: ReviewOpenCommand.self
  )
}

/// `sieve review [open] CASE_DIR`: serves the workspace.
struct ReviewOpenCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "open",
    abstract: "Start the review workspace (the default: `sieve review CASE_DIR` does this).",
    discussion: """
      The workspace is served on 127.0.0.1 only, unless --host names another address and \
      --allow-remote is given. The printed address carries a random token for this session; \
      anything without it is refused. Thumbnails are read from the evidence read-only, shown \
      blurred until revealed one at a time, and never written to disk. Stop with Ctrl-C.
      """
  )

  @Argument(help: "The case folder (made by `sieve scan`).")
  var caseFolder: String

  @Option(help: "The examiner's name, recorded with every decision.")
  var examiner: String?

  @Option(help: "The port to listen on (0: any free port).")
  var port: Int = 8765

  @Option(help: "The address to listen on (default: a random 127.x.y.z, so no other local service shares the session's cookie); only loopback unless --allow-remote is given.")
  var host: String?

  @Flag(help: "Allow --host to be an address other than loopback (the workspace shows evidence: think first).")
  var allowRemote = false

  @Option(name: .customLong("run"), help: "The run to review (default: the latest).")
  var runID: Int64?

  @Option(help: "A category scheme (JSON: {\"name\":…, \"categories\":[{\"id\":0,\"name\":…},…]}) to use from now on in this case; default: Project VIC's.")
  var categories: String?

  func run() throws {
    let errors = LineWriter.standardError()
    let name = examiner ?? ProcessInfo.processInfo.environment["SIEVE_EXAMINER"]
    guard let name, !name.trimmingCharacters(in: .whitespaces).isEmpty else {
      errors.write("sieve: say who reviews: --examiner NAME (recorded with every decision)")
      throw ExitCode(ExitStatus.usage)
    }
    let app: ReviewApp
    do {
      if let categories {
        let scheme = try CategoryScheme.decode(try Data(contentsOf: URL(fileURLWithPath: categories)))
        let browser = try CaseBrowser(caseFolder: caseFolder, run: runID)
        var settings = try ReviewSettings.load(from: browser.database)
        settings.scheme = scheme
        try settings.save(to: browser.database)
      }
      var configuration = ReviewApp.Configuration(caseFolder: caseFolder, examiner: name)
      configuration.port = port
      configuration.host = host ?? ReviewApp.randomLoopbackAddress()
      configuration.allowRemote = allowRemote
      configuration.run = runID
      app = try ReviewApp(configuration: configuration)
    } catch {
      errors.write("sieve: \(error)")
      throw ExitCode(ExitStatus.someFailed)
    }
    let failure = runUntilStopped {
      try await app.run { url in
        // The address goes to standard output (scripts read it), the rest to standard error.
        LineWriter.standardOutput().writeNow(url + "\n")
        LineWriter.standardError().write("sieve: review workspace at the address above (this session's token in it); Ctrl-C stops")
      }
    }
    if let error = failure {
      errors.write("sieve: \(error)")
      throw ExitCode(ExitStatus.someFailed)
    }
  }
}

/// `sieve review verify CASE_DIR`: checks the ledger's chain.
struct ReviewVerifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Check the case's decision ledger: every row's hash, its link to the row before, and the current states.",
    discussion: """
      Prints the number of decisions and the head (the last row's hash). Give a head noted \
      earlier with --head to find rows cut off the end too. Exit status: 0 when the ledger \
      is intact, 1 when it is not (each problem on standard error), 2 on a usage error.
      """
  )

  @Argument(help: "The case folder.")
  var caseFolder: String

  @Option(help: "A head noted earlier (from a report or an earlier verify): it must still be in the ledger.")
  var head: String?

  func run() throws {
    let errors = LineWriter.standardError()
    do {
      let browser = try CaseBrowser(caseFolder: caseFolder)
      let result = try ReviewLedger(database: browser.database).verify(head: head)
      for problem in result.problems { errors.write("sieve: ledger: \(problem)") }
      LineWriter.standardOutput().writeNow(
        "\(result.isIntact ? "intact" : "BROKEN"): \(result.rows) decisions, head \(result.head)\n")
      if !result.isIntact { throw ExitCode(ExitStatus.someFailed) }
    } catch let exit as ExitCode {
      throw exit
    } catch {
      errors.write("sieve: \(error)")
      throw ExitCode(ExitStatus.someFailed)
    }
  }
}

/// `sieve review export CASE_DIR`: the negative list and the case's own set.
struct ReviewExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write the review's false matches as a negative list, and its confirmed and categorised files as a hash set.",
    discussion: """
      Both are .sieveset files. The negative list holds the files decided false matches \
      (give it to match, scan or serve with --negative); the other holds confirmed files and \
      files given a category, with their PDQ, pHash, digests and a video's frames, the \
      category number as label. Each file's SHA-256 is printed and recorded in the case.
      """
  )

  @Argument(help: "The case folder.")
  var caseFolder: String

  @Option(help: "Write the negative list (false matches) here.")
  var negative: String?

  @Option(help: "Write the confirmed and categorised files here.")
  var confirmed: String?

  @Option(name: .customLong("run"), help: "The run (default: the latest).")
  var runID: Int64?

  func validate() throws {
    guard negative != nil || confirmed != nil else { throw ValidationError("say what to write: --negative FILE and/or --confirmed FILE") }
  }

  func run() throws {
    let errors = LineWriter.standardError()
    do {
      let exporter = ReviewExporter(browser: try CaseBrowser(caseFolder: caseFolder, run: runID))
      for (kind, path) in [(ReviewExporter.Kind.negative, negative), (.confirmed, confirmed)] {
        guard let path else { continue }
        let (set, sha256) = try exporter.write(kind, to: path)
        errors.write("sieve: \(path): \(set.count) \(kind == .negative ? "false matches" : "confirmed or categorised files"), SHA-256 \(sha256), recorded in the case")
      }
    } catch {
      errors.write("sieve: \(error)")
      throw ExitCode(ExitStatus.someFailed)
    }
  }
}
