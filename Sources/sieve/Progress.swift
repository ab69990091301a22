import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A progress line on standard error while a long run goes on (only on a terminal),
/// and a one-line summary at the end.
final class Progress {
  private let total: Int
  private let enabled: Bool
  private let live: Bool
  private let start = Date()
  private var lastDraw = Date.distantPast
  private var drawn = false
  private let errors = LineWriter.standardError()

  init(total: Int, enabled: Bool) {
    self.total = total
    self.enabled = enabled
    self.live = enabled && isatty(STDERR_FILENO) == 1
  }

  func update(done: Int, failed: Int) {
    guard live else { return }
    let now = Date()
    guard now.timeIntervalSince(lastDraw) >= 0.2 || done == total else { return }
    lastDraw = now
    let elapsed = max(now.timeIntervalSince(start), 1e-9)
    let rate = Double(done) / elapsed
    let remaining = rate > 0 ? Double(total - done) / rate : 0
    let line = String(
      format: "\r%d/%d files  %.1f files/s  %d failed  ETA %@", done, total, rate, failed, Self.duration(remaining))
    errors.writeNow(line + "\u{1B}[K")
    drawn = true
  }

  func clearLine() {
    guard live && drawn else { return }
    errors.writeNow("\r\u{1B}[K")
    drawn = false
  }

  func finish(hashed: Int, failed: Int, skipped: Int) {
    clearLine()
    guard enabled else { return }
    let elapsed = Date().timeIntervalSince(start)
    var summary = "sieve: hashed \(hashed) image\(hashed == 1 ? "" : "s")"
    if failed > 0 { summary += ", \(failed) failed" }
    if skipped > 0 { summary += ", \(skipped) skipped (not images)" }
    summary += String(format: " in %.2f s (%.1f images/s)", elapsed, Double(hashed) / max(elapsed, 1e-9))
    errors.writeNow(summary + "\n")
  }

  static func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s / 60 % 60) : String(format: "%dm%02ds", s / 60, s % 60)
  }
}
