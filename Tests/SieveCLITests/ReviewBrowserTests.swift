import Foundation
import SieveTestSupport
import Testing

/// The review workspace end to end in a real browser: `Tests/Browser/review_e2e.py` starts
/// the built `sieve review` on a scanned case and drives Debian's Chromium through
/// Playwright for Python (both installed by `Scripts/setup.sh`): filters, a reveal,
/// decisions by button, keyboard and group, find similar from an upload, settings kept,
/// exports, then the ledger, its verification (and its failure after tampering) and the
/// exported files. Where Playwright or Chromium is missing the test is skipped, unless
/// `SIEVE_REQUIRE_BROWSER` is set (CI sets it).
@Suite struct ReviewBrowserTests {
  static let python: String = ProcessInfo.processInfo.environment["SIEVE_BROWSER_PYTHON"]
    ?? (ProcessInfo.processInfo.environment["SIEVE_BROWSER_VENV"] ?? NSHomeDirectory() + "/.cache/sieve/browser-venv") + "/bin/python"
  static let available = FileManager.default.isExecutableFile(atPath: python) && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
  static let required = ProcessInfo.processInfo.environment["SIEVE_REQUIRE_BROWSER"] != nil

  @Test(.enabled(if: available || required, "Playwright for Python or Chromium missing: run Scripts/setup.sh"))
  func reviewWorkspaceInHeadlessChromium() throws {
    #expect(Self.available, "Playwright (\(Self.python)) or /usr/bin/chromium is missing: run Scripts/setup.sh")
    guard Self.available else { return }
    let work = try TemporaryDirectory("sieve-browser")
    defer { work.remove() }
    let script = TestData.repoRoot.appendingPathComponent("Tests/Browser/review_e2e.py").path
    let result = try CommandRunner.run(
      Self.python,
      [
        script, "--sieve", CommandRunner.productsDirectory.appendingPathComponent("sieve").path,
        "--fixtures", TestData.repoRoot.appendingPathComponent("Tests/Fixtures").path,
        "--hashsets", TestData.repoRoot.appendingPathComponent("hashsets").path, "--work", work.path,
      ])
    #expect(result.status == 0, "review_e2e.py failed:\n\(result.stdout)\n\(result.stderr)")
  }
}
