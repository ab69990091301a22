import Foundation
import SieveCore
import SieveTestSupport
import Testing

@testable import SieveHashSets

/// Project VIC (VICS) JSON lists: digests and categories, the legacy scheme's 0 read as no
/// category (never as the current scheme's 0, non-pertinent), bad records named.
@Suite struct VICSReaderTests {
  static let example = TestData.repoRoot.appendingPathComponent("hashsets/sample-fixtures.legacy.vics.json").path

  @Test func readsDigestsAndCategoriesInEitherScheme() throws {
    let current = try HashSetLoader.load(Self.example)
    #expect(current.report?.format == .vics && current.set.count == 8)
    #expect(current.set.entries.allSatisfy { $0.md5 != nil && $0.sha1 != nil })
    #expect(Set(current.set.entries.map(\.label)) == ["0", "4"])
    var reader = TextHashSetReader()
    reader.vicsCategories = .legacy
    let legacy = try HashSetLoader.load(Self.example, text: reader)
    // Legacy 0 (uncategorised) is no category; 4 stays 4.
    #expect(Set(legacy.set.entries.map(\.label)) == ["", "4"])
    #expect(legacy.set.entries.filter { $0.label.isEmpty }.count == 4)
    // The digests match the files they name (read in any case, stored as they are).
    let md5sum = try String(contentsOfFile: TestData.repoRoot.appendingPathComponent("hashsets/sample-fixtures.md5").path, encoding: .utf8)
    let known = Set(md5sum.split(separator: "\n").compactMap { $0.split(separator: " ").first.map { $0.lowercased() } })
    #expect(legacy.set.entries.allSatisfy { known.contains($0.md5?.hexString ?? "-") })
    #expect(current.report?.checksum != 0)
  }

  @Test func badRecordsAreNamedOrSkippedAndListed() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write(
      "bad.json",
      Array(
        #"""
        {"value": [
          {"MediaID": 1, "MD5": "00112233445566778899AABBCCDDEEFF", "Category": 1},
          {"MediaID": 2, "MD5": "not hex", "Category": 1},
          {"MediaID": 3, "SHA1": "00112233445566778899aabbccddeeff00112233", "Category": "x"},
          {"MediaID": 4, "FileName": "no digest"},
          7,
          {"MediaID": 6, "md5": "00112233445566778899aabbccddee00", "Category": true},
          {"MediaID": 7, "Md5": "00112233445566778899aabbccddee11", "Category": 1.5},
          {"MediaID": 8, "md5": "00112233445566778899aabbccddee22", "category": "2"}
        ]}
        """#.utf8))
    #expect(throws: HashSetError.self) { try HashSetLoader.load(path) }
    do {
      _ = try HashSetLoader.load(path)
    } catch {
      #expect(error.description.contains("bad.json:2: MD5 not hex"), "\(error)")
    }
    var reader = TextHashSetReader(skipBadLines: true)
    reader.vicsCategories = .current
    let loaded = try HashSetLoader.load(path, text: reader)
    // Field names in any case; a category of true or 1.5 is not a category number.
    #expect(loaded.set.entries.map(\.label) == ["1", "2"], "\(loaded.set.entries)")
    #expect(loaded.report?.badLines.count == 5, "\(loaded.report?.badLines ?? [])")
    #expect(loaded.report?.badLines.contains { $0.contains("media record 3") && $0.contains("Category") } == true)
    // Not VICS at all.
    let other = try dir.write("other.json", Array(#"{"something": 1}"#.utf8))
    #expect(throws: HashSetError.self) { try HashSetLoader.load(other) }
    let broken = try dir.write("broken.json", Array(#"{"value": [ {"MD5": "#.utf8))
    #expect(throws: HashSetError.self) { try HashSetLoader.load(broken) }
  }
}
