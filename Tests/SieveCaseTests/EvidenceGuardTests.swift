import Foundation
import SievePipeline
import SieveTestSupport
import Testing

@testable import SieveCase

/// The case folder and reports must never land inside the evidence, however the path
/// to them is spelled.
@Suite struct EvidenceGuardTests {
  /// `cases/link/../case1` with `link → evidence/sub`: the file system resolves the link
  /// first, so `..` leads to `evidence`, not back to `cases`. A textual clean-up of the
  /// path said `cases/case1`, and the case was created inside the evidence.
  @Test func dotDotAfterALinkIsResolvedByTheFileSystem() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    _ = try dir.write("evidence/sub/a.jpg", [1])
    try FileManager.default.createDirectory(atPath: dir.path + "/cases", withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/cases/link", withDestinationPath: dir.path + "/evidence/sub")
    let evidence = [RawPath(dir.path + "/evidence")]
    let sneaky = RawPath(dir.path + "/cases/link/../case1")
    let real = EvidenceGuard.resolve(RawPath(dir.path)).description
    #expect(EvidenceGuard.resolve(sneaky).description == real + "/evidence/case1")
    #expect(EvidenceGuard.root(containing: sneaky, evidence: evidence) == evidence[0])
    // Through a missing folder and back: still inside.
    #expect(EvidenceGuard.root(containing: RawPath(dir.path + "/cases/link/new/../../x"), evidence: evidence) != nil)
    // Outside: a sibling whose name starts like the evidence's.
    #expect(EvidenceGuard.root(containing: RawPath(dir.path + "/evidence-cases/c"), evidence: evidence) == nil)
    #expect(EvidenceGuard.root(containing: RawPath(dir.path + "/cases/case1"), evidence: evidence) == nil)
    // The evidence named through a link is the same evidence.
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/ev", withDestinationPath: dir.path + "/evidence")
    #expect(EvidenceGuard.root(containing: RawPath(dir.path + "/evidence/c"), evidence: [RawPath(dir.path + "/ev")]) != nil)
  }

  /// (The working directory is read, never changed: tests run in parallel.)
  @Test func relativePathsAreMadeAbsoluteFromTheWorkingDirectory() throws {
    let cwd = EvidenceGuard.resolve(RawPath(FileManager.default.currentDirectoryPath)).description
    #expect(EvidenceGuard.resolve(RawPath("./sieve-no-such/../case")).description == cwd + "/case")
    #expect(EvidenceGuard.root(containing: RawPath("case"), evidence: [RawPath(".")]) != nil)
    #expect(EvidenceGuard.root(containing: RawPath("../elsewhere"), evidence: [RawPath(".")]) == nil)
  }
}
