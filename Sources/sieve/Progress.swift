import Foundation

import SieveSystem

/// Progress on standard error while a long run goes on: a line redrawn in place on a
/// terminal (5 times a second), or a plain log line every `logInterval` seconds when
/// standard error is a file or pipe; and a one-line summary at the end.
final class Progress {
  private let total: Int
  private let totalBytes: Int?
  private let enabled: Bool
  private let live: Bool
  private let logInterval: TimeInterval
  private let start = Date()
  private var lastDraw = Date.distantPast
  private var drawn = false
  private let errors = LineWriter.standardError()

  /// - Parameter totalBytes: the bytes to process, from a pre-count, when known.
  init(total: Int, totalBytes: Int? = nil, enabled: Bool, logInterval: TimeInterval = 10) {
    self.total = total
    self.totalBytes = totalBytes
    self.enabled = enabled
    self.live = enabled && FileSystem.isTerminal(2)
    self.logInterval = logInterval
    lastDraw = live ? .distantPast : Date()
  }

  func update(done: Int, failed: Int, bytes: Int? = nil, matches: Int? = nil) {
    guard enabled else { return }
    let now = Date()
    guard now.timeIntervalSince(lastDraw) >= (live ? 0.2 : logInterval) || (live && done == total) else { return }
    lastDraw = now
    let elapsed = max(now.timeIntervalSince(start), 1e-9)
    var parts = ["\(done)/\(total) files"]
    var remaining = 0.0
    if let bytes, let totalBytes, totalBytes > 0 {
      let rate = Double(bytes) / elapsed
      parts.append(String(format: "%.0f/%.0f MB  %.1f MB/s", Double(bytes) / 1e6, Double(totalBytes) / 1e6, rate / 1e6))
      remaining = rate > 0 ? Double(totalBytes - bytes) / rate : 0
    } else {
      let rate = Double(done) / elapsed
      remaining = rate > 0 ? Double(total - done) / rate : 0
    }
    parts.append(String(format: "%.1f files/s", Double(done) / elapsed))
    if let matches { parts.append("\(matches) matched") }
    parts.append("\(failed) failed")
    parts.append("ETA " + Self.duration(remaining))
    if live {
      errors.writeNow("\r" + parts.joined(separator: "  ") + "\u{1B}[K")
      drawn = true
    } else {
      errors.writeNow("sieve: progress: " + parts.joined(separator: ", ") + "\n")
    }
  }

  func clearLine() {
    guard live && drawn else { return }
    errors.writeNow("\r\u{1B}[K")
    drawn = false
  }

  func finish(hashed: Int, failed: Int, skipped: Int, videos: Int = 0) {
    clearLine()
    guard enabled else { return }
    let elapsed = Date().timeIntervalSince(start)
    var summary = "sieve: hashed \(hashed) image\(hashed == 1 ? "" : "s")"
    if videos > 0 { summary += " and \(videos) video\(videos == 1 ? "" : "s")" }
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
