import SieveCore
import Testing

@testable import SieveCase

/// The HTML report is opened by examiners in a browser, and every name in it comes from
/// evidence or from a hash list: nothing in it may become markup.
@Suite struct ReportWriterTests {
  /// Scalars that fuse with a neighbour into one grapheme cluster: a prepend mark (fuses
  /// with what follows), joiners, combining marks and a variation selector (fuse with what
  /// precedes).
  static let fusing: [Unicode.Scalar] = ["\u{0600}", "\u{0605}", "\u{110BD}", "\u{200D}", "\u{200C}", "\u{0301}", "\u{034F}", "\u{FE0F}"]
  static let specials: [Unicode.Scalar] = ["<", ">", "\"", "'", "&"]

  @Test func escapingHoldsAroundGraphemeFusingScalars() {
    for mark in Self.fusing {
      for special in Self.specials {
        for text in ["\(mark)\(special)", "\(special)\(mark)", "a\(mark)\(special)b\(mark)"] {
          let escaped = ReportWriter.escape(text)
          #expect(!escaped.unicodeScalars.contains { "<>\"'".unicodeScalars.contains($0) }, "\(Array(text.unicodeScalars))")
          // Every & left starts one of the five references.
          // (Compared as scalars: a mark after ";" makes `hasPrefix` on Characters fail.)
          let scalars = Array(escaped.unicodeScalars)
          let references = ["amp;", "lt;", "gt;", "quot;", "#39;"].map { Array($0.unicodeScalars) }
          for (i, scalar) in scalars.enumerated() where scalar == "&" {
            #expect(references.contains { Array(scalars[(i + 1)...].prefix($0.count)) == $0 })
          }
          // Nothing else changed.
          #expect(escaped.unicodeScalars.filter { $0 == mark }.count == text.unicodeScalars.filter { $0 == mark }.count)
        }
      }
    }
  }

  @Test func htmlReportHasAStrictContentSecurityPolicy() {
    let html = ReportWriter.html(Self.report(path: "/e/\u{0600}<img src=x onerror=alert(1)>.jpg", label: "\u{0600}<b>x</b>"))
    // Searched as UTF-8 bytes: `String.contains` matches on Character boundaries, and a
    // prepend mark fused with "<" would hide a live tag from it.
    #expect(Self.contains(html, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"))
    #expect(!Self.contains(html, "<img src=x") && !Self.contains(html, "<b>x") && !Self.contains(html, "<svg") && !Self.contains(html, "<i>"))
    #expect(Self.contains(html, "&lt;img src=x onerror=alert(1)&gt;"))
    #expect(!Self.contains(html, "script-src") && !Self.contains(html, "<script"))
  }

  static func contains(_ text: String, _ needle: String) -> Bool {
    let (haystack, pattern) = (Array(text.utf8), Array(needle.utf8))
    guard pattern.count <= haystack.count else { return false }
    return (0...(haystack.count - pattern.count)).contains { haystack[$0..<($0 + pattern.count)].elementsEqual(pattern) }
  }

  /// A hash-set name from a third-party set reaches the CSV's `#` lines: no comma or tab
  /// there may start a cell of its own (spreadsheets know no comments).
  @Test func csvCommentLinesAreOneCell() {
    var report = Self.report(path: "/e/a.jpg", label: "x")
    report.run.info.hashSets = [HashSetRecord(name: "n,=cmd|' /C calc'!A0\tz", path: "/s", version: "0", sha256: "0", entries: 1)]
    let csv = ReportWriter.csv(report)
    for line in csv.split(separator: "\n") where line.hasPrefix("#") {
      #expect(!line.contains(",") && !line.contains("\t"), "\(line)")
    }
    #expect(csv.contains("n;=cmd|' /C calc'!A0"))
  }

  static func report(path: String, label: String) -> CaseReport {
    let parameters = ScanParameters(
      maxDistance: 31, phashMaxDistance: 8, minQuality: 50, pdqMode: "fullres", dihedral: true, maxPixels: 1, maxPixelsPerByte: 1,
      maxBytes: 1, maxSeconds: 0, followSymlinks: false, fast: false, tool: "sieve test", setLabel: "", setType: "", setFormat: "",
      knownGood: [])
    let info = CaseDatabase.RunInfo(
      toolVersion: "sieve test", parameters: parameters, hashSets: [], evidence: ["/e"], examiner: "E", caseID: "C", host: "h")
    let match = CaseReport.MatchRow(
      path: path, pathBytes: Array(path.utf8), size: 1, md5: nil, sha1: nil, sha256: nil, set: "s\u{0600}<i>", entry: "1",
      label: label, kind: "pdq", distance: 3, orientation: nil)
    return CaseReport(
      run: .init(id: 1, status: "finished", startedAt: "t0", finishedAt: "t1", resumed: 0, info: info),
      byStatus: [("hashed", 2)], byType: [("jpeg", 2)], matches: [match],
      clusters: [.init(paths: [path, path + "\u{0600}<svg onload=x>"], maxLinkDistance: 0)])
  }
}
