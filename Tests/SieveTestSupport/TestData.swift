import Foundation

/// Where test data lives: the repo's own fixtures, and `../shared` beside the repo
/// (reference vectors and the dev corpus) when it is present.
public enum TestData {
  /// The repository root, found from this file's path.
  public static let repoRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// `../shared` (or `$SIEVE_SHARED`), or `nil` when it is not there.
  public static let shared: URL? = {
    let candidate = ProcessInfo.processInfo.environment["SIEVE_SHARED"].map { URL(fileURLWithPath: $0) }
      ?? repoRoot.deletingLastPathComponent().appendingPathComponent("shared")
    return FileManager.default.fileExists(atPath: candidate.appendingPathComponent("vectors").path) ? candidate : nil
  }()

  /// The folder of PDQ reference vectors in `../shared`, if present.
  public static var pdqVectors: URL? { shared?.appendingPathComponent("vectors/pdq") }

  /// The folder of pHash reference vectors in `../shared`, if present.
  public static var phashVectors: URL? { shared?.appendingPathComponent("vectors/phash") }

  /// The repo's own copy of a subset of the vectors: `Tests/Fixtures/vectors`.
  public static let fixtureVectors: URL = repoRoot.appendingPathComponent("Tests/Fixtures/vectors")

  /// Reads a file's bytes.
  public static func bytes(_ url: URL) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: url))
  }

  /// Reads a CSV file with a header row into dictionaries. Lines starting with `#` are
  /// skipped; fields may be double-quoted.
  public static func csv(_ url: URL) throws -> [[String: String]] {
    let text = try String(contentsOf: url, encoding: .utf8)
    var lines = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.hasPrefix("#") }
    guard !lines.isEmpty else { return [] }
    let header = fields(lines.removeFirst())
    return lines.map { line in
      var row: [String: String] = [:]
      for (key, value) in zip(header, fields(line)) { row[key] = value }
      return row
    }
  }

  /// Splits one CSV line, honouring double quotes.
  public static func fields(_ line: String) -> [String] {
    var out: [String] = []
    var current = ""
    var quoted = false
    var iterator = line.makeIterator()
    while let ch = iterator.next() {
      if ch == "\"" {
        quoted.toggle()
      } else if ch == "," && !quoted {
        out.append(current)
        current = ""
      } else {
        current.append(ch)
      }
    }
    out.append(current)
    return out
  }
}

extension TestData {
  /// The disk images of `Scripts/make_disk_images.py` (raw, split raw, E01, MBR with FAT
  /// and ext4; live and deleted files) with their `manifest.json`, made once per test
  /// process into a temporary folder. Needs python3, dosfstools, mtools, e2fsprogs and
  /// ewf-tools (`Scripts/setup.sh` installs them).
  public static let diskImages: String = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sieve-disk-images-\(getpid())").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", repoRoot.appendingPathComponent("Scripts/make_disk_images.py").path, dir]
    process.standardOutput = FileHandle.nullDevice
    try? process.run()
    process.waitUntilExit()
    return dir
  }()
}
