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
      // The line the record starts on, and its number in the list.
      #expect(error.description.contains("bad.json:3: media record 2: MD5 not hex"), "\(error)")
    }
    var reader = TextHashSetReader(skipBadLines: true)
    reader.vicsCategories = .current
    let loaded = try HashSetLoader.load(path, text: reader)
    // Field names in any case; a category of true or 1.5 is not a category number.
    #expect(loaded.set.entries.map(\.label) == ["1", "2"], "\(loaded.set.entries)")
    #expect(loaded.report?.badLines.count == 5, "\(loaded.report?.badLines ?? [])")
    #expect(loaded.report?.badLines.contains { $0.hasPrefix("\(path):4: media record 3: Category \"x\"") } == true, "\(loaded.report?.badLines ?? [])")
    #expect(loaded.report?.badLines.contains { $0.hasPrefix("\(path):6: media record 5: not an object") } == true)
    // Not VICS at all.
    let other = try dir.write("other.json", Array(#"{"something": 1}"#.utf8))
    #expect(throws: HashSetError.self) { try HashSetLoader.load(other) }
    let broken = try dir.write("broken.json", Array(#"{"value": [ {"MD5": "#.utf8))
    #expect(throws: HashSetError.self) { try HashSetLoader.load(broken) }
  }

  /// Project VIC's case model: a list of cases, each with its media records.
  @Test func readsCasesHoldingMedia() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write(
      "cases.json",
      Array(
        #"""
        {"odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml/$metadata#Cases",
         "value": [
          {"CaseID": 1, "CaseNumber": "example-1", "Media": [
            {"MediaID": "a", "MD5": "\u00300112233445566778899AABBCCDDEEFF", "Category": 1, "Tags": ["x", {"y": [1, 2]}]},
            {"MediaID": "b", "MD5": null, "SHA1": "00112233445566778899aabbccddeeff00112233", "Category": null}
          ]},
          {"CaseID": 2, "Media": []},
          {"CaseID": 3, "Media": [{"MediaID": 9, "SHA256": "\#(String(repeating: "ab", count: 32))", "Category": 0.2e1}],
           "media": [{"MediaID": 10, "MD5": "ffffffffffffffffffffffffffffffff", "Category": 3}]}
        ]}
        """#.utf8))
    let loaded = try HashSetLoader.load(path)
    let entries = loaded.set.entries
    // Every Media list of a case is read.
    #expect(entries.map(\.id) == ["media a", "media b", "media 9", "media 10"])
    #expect(entries.map(\.label) == ["1", "", "2", "3"])
    #expect(entries[0].md5?.hexString == "00112233445566778899aabbccddeeff")
    #expect(entries[1].md5 == nil && entries[1].sha1 != nil && entries[2].sha256 != nil)
  }

  /// What could be read two ways is a bad record: a field given twice, a case with digests
  /// of its own; a category is a whole number by its digits, exactly.
  @Test func ambiguousRecordsAreBad() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let md5 = "00112233445566778899aabbccddeeff"
    let path = try dir.write(
      "ambiguous.json",
      Array(
        #"""
        {"value": [
          {"MediaID": 1, "MD5": "\#(md5)", "md5": "ffffffffffffffffffffffffffffffff"},
          {"CaseID": 2, "MD5": "\#(md5)", "Media": [{"MediaID": 3, "MD5": "\#(md5)", "Category": 1.0000000000000001}]},
          {"MediaID": 4, "MD5": "\#(md5)", "Category": 1e-400},
          {"MediaID": 5, "MD5": "\#(md5)", "Category": 0.\#(String(repeating: "0", count: 62))1e63},
          {"MediaID": 6, "MD5": "\#(md5)", "Category": 45e-1},
          {"MediaID": 7, "MD5": "\#(md5)", "Category": -0},
          {"MediaID": 8, "MD5": "\#(md5)", "Category": 4000e-1}
        ]}
        """#.utf8))
    let loaded = try HashSetLoader.load(path, text: TextHashSetReader(skipBadLines: true))
    #expect(loaded.set.entries.map(\.id) == ["media 7", "media 8"])
    #expect(loaded.set.entries.map(\.label) == ["0", "400"])
    let bad = loaded.report?.badLines ?? []
    #expect(bad.count == 6, "\(bad)")
    #expect(bad.contains("\(path):2: media record 1: md5 is given twice"), "\(bad)")
    #expect(bad.contains { $0.hasPrefix("\(path):3: media record 2: Category 1.0000000000000001 is not") }, "\(bad)")
    #expect(bad.contains("\(path):3: media record 3: a case (it holds a Media list) with digests of its own, which are not read"), "\(bad)")
    #expect(bad.contains { $0.hasPrefix("\(path):5: media record 5: Category a number over 64 digits") }, "\(bad)")
    #expect(bad.contains { $0.hasPrefix("\(path):6: media record 6: Category 45e-1 is not") }, "\(bad)")
    for (text, value) in [("2", 2), ("2.000", 2), ("0.2e1", 2), ("-0", 0), ("0e9999999999", 0), ("1e3", 1000), ("1.5", nil), ("1e-400", nil), ("1e9999999", nil)] as [(String, Int?)] {
      #expect(VICSReader.wholeNumber(text) == value, "\(text)")
    }
  }

  /// A list of 20,000 records (over 5 MiB, so several blocks), with fields Sieve does not read
  /// in every shape: read whole and in order, its checksum that of every byte; a list cut
  /// short or followed by anything is an error naming its line.
  @Test func streamsLargeListsAndNamesWhereTheyBreak() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var text = "\u{FEFF}{\n  \"@odata.context\": \"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media\",\n  \"value\": [\n"
    var rng = SplitMix64(seed: 20_000)
    var expected: [(String, String, String)] = []
    for i in 0..<20_000 {
      let md5 = String(format: "%016llx%016llx", rng.next(), rng.next())
      let category = Int(rng.next() % 5)
      expected.append(("media \(i + 1)", md5, String(category)))
      text += "    {\n      \"MediaID\": \(i + 1),\n      \"Category\": \(category),\n      \"MD5\": \"\(md5.uppercased())\",\n"
      text += "      \"MediaSize\": \(rng.next() % 1_000_000),\n      \"IsPrecategorized\": \(i % 2 == 0),\n      \"Comments\": \"line one\\nline \\\"two\\\" \\u00e9\",\n"
      text += "      \"Exif\": {\"Model\": [\"x\", null, 1.5e3, {}]}\n    }\(i == 19_999 ? "" : ",")\n"
    }
    text += "  ]\n}\n"
    let bytes = Array(text.utf8)
    #expect(bytes.count > 5 << 20)
    let path = try dir.write("big.json", bytes)
    var observed = 0
    let loaded = try HashSetLoader.load(path, observing: { observed += $0.count })
    #expect(observed == bytes.count)
    let entries = loaded.set.entries
    #expect(entries.count == 20_000)
    #expect(entries.map(\.id) == expected.map(\.0))
    #expect(entries.map { $0.md5?.hexString ?? "" } == expected.map(\.1))
    #expect(entries.map(\.label) == expected.map(\.2))
    // The same bytes as a plain list would give the same version (a checksum of every byte).
    var whole = StreamingChecksum64()
    bytes.withUnsafeBytes { whole.update($0) }
    #expect(loaded.report?.checksum == whole.finalize())

    let lines = bytes.filter { $0 == 0x0A }.count
    let cut = try dir.write("cut.json", Array(bytes[0..<(bytes.count - 40)]))
    #expect(throws: HashSetError.self) { try HashSetLoader.load(cut) }
    let trailing = try dir.write("trailing.json", bytes + Array("\n\n{}".utf8))
    #expect(throws: HashSetError.badLine(file: trailing, line: lines + 3, reason: "not valid JSON: '{' after the end of the document")) {
      try HashSetLoader.load(trailing)
    }
    // Malformed JSON stops the read even when bad records are skipped.
    var broken = bytes
    let comma = (bytes.count / 2..<bytes.count).first { bytes[$0] == UInt8(ascii: ",") && bytes[$0 - 1] == UInt8(ascii: "}") }!
    broken[comma] = UInt8(ascii: ";")
    #expect(throws: HashSetError.self) { try HashSetLoader.load(try dir.write("broken.json", broken), text: TextHashSetReader(skipBadLines: true)) }
  }
}
