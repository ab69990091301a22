import Foundation
import SieveTestSupport
import Testing

/// Every command's `--help`, as a person reads it at 80 columns: paragraphs flow, and the
/// preformatted lines (tables, examples) fit.
@Suite struct HelpTextTests {
  /// Every command and subcommand, found from the SUBCOMMANDS sections of the help itself.
  static func commands() throws -> [[String]] {
    var found: [[String]] = []
    var queue: [[String]] = [[]]
    while let command = queue.popLast() {
      found.append(command)
      let help = try CommandRunner.run("sieve", command + ["--help"]).stdout
      guard let range = help.range(of: "SUBCOMMANDS:\n") else { continue }
      for line in help[range.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
        if line.isEmpty { break }
        // "  name   abstract" (continuation lines are indented further).
        guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first.map(String.init),
          name.allSatisfy({ $0.isLowercase || $0 == "-" }), name != "help"
        else { continue }
        queue.append(command + [name])
      }
    }
    return found
  }

  /// What is wrong with a help text at 80 columns, one line each.
  static func problems(_ help: String) -> [String] {
    var problems: [String] = []
    let lines = help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let usage = lines.firstIndex { $0.hasPrefix("USAGE:") } ?? lines.count
    for (i, line) in lines.enumerated() where line.count > 80 && !line.hasPrefix("USAGE:") {
      problems.append("over 80 columns: \(line)")
      _ = i
    }
    // The overview and discussion: a paragraph whose line ends short of where the next
    // word would have fit was broken by hand; a line that follows an indented one without
    // a blank line is a preformatted line the parser had to wrap.
    for i in 1..<max(usage, 1) {
      let (previous, line) = (lines[i - 1], lines[i])
      guard !line.isEmpty, !previous.isEmpty, !line.hasPrefix(" ") else { continue }
      if previous.hasPrefix(" ") {
        problems.append("a preformatted line wrapped: \(previous) / \(line)")
      } else if let word = line.split(separator: " ").first, previous.count + 1 + word.count < 80 {
        // (argument-parser fills lines to 79 columns.)
        problems.append("ragged paragraph: \(previous) / \(line)")
      }
    }
    return problems
  }

  @Test func everyHelpReadsWellAt80Columns() throws {
    let commands = try Self.commands()
    #expect(commands.count >= 15, "\(commands)")
    for command in commands {
      let result = try CommandRunner.run("sieve", command + ["--help"])
      #expect(result.status == 0)
      let problems = Self.problems(result.stdout)
      #expect(problems.isEmpty, "sieve \(command.joined(separator: " ")) --help:\n\(problems.joined(separator: "\n"))")
    }
  }

  /// The checker itself catches the faults it is for.
  @Test func theCheckerFindsRaggedText() {
    #expect(!Self.problems("OVERVIEW: x\n\nWalks the evidence read-only (files opened O_RDONLY, with O_NOATIME where\npermitted;\nnothing is written inside it).\n\nUSAGE: x").isEmpty)
    #expect(!Self.problems("Example:\n  sieve scan /mnt/evidence --hashset known.sieveset --case cases/2026-017\n--examiner x\n\nUSAGE: x").isEmpty)
    #expect(Self.problems("OVERVIEW: x\n\nA paragraph that flows.\n\nUSAGE: x").isEmpty)
  }
}
