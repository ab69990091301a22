import Foundation
import SieveCore
import SieveEvidence
import SievePipeline
import SieveTestSupport
import Testing

/// Members of an archive inside a disk image (the zip on `gpt.dd`'s NTFS volume, a tar.gz
/// inside it): found alike whether the zip is read whole or where it lies, and read back
/// by their location chain to the bytes the script wrote, with the outer archive held in
/// memory or read in place.
@Suite struct RecordedFileReaderTests {
  struct Member: Decodable {
    var path: String
    var sha256: String
  }

  static func sha256(_ bytes: [UInt8]) -> String { bytes.withUnsafeBytes { FileDigests(of: $0).sha256.hexString } }

  @Test func membersInAnImageAreExpandedAndReadBack() throws {
    let image = TestData.diskImages + "/gpt.dd"
    let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: TestData.diskImages + "/manifest.json")))
    let archive = try #require((manifest as? [String: Any])?["gpt.dd.archive"] as? [String: Any])
    let expected = try JSONDecoder().decode([Member].self, from: JSONSerialization.data(withJSONObject: archive["members"] ?? []))
    let source = EvidenceSet([RawPath(image)])
    var zip: InputFile?
    source.walk { entry in if case .file(let file) = entry, file.path.description.hasSuffix("/photos.zip") { zip = file } }
    let file = try #require(zip)
    var times = FileReader.FileTimes()
    let bytes = try source.read(file, maxBytes: 1 << 20, times: &times)

    var whole: [ContainedFile] = []
    var inPlace: [ContainedFile] = []
    let outcome = source.expand(file, bytes: bytes) { whole.append($0) }
    let outcomeInPlace = source.expandInPlace(file) { inPlace.append($0) }
    #expect(outcome == ContainerOutcome(format: "zip", members: 2) && outcomeInPlace == outcome)
    #expect(whole.map(\.file) == inPlace.map(\.file))
    var found: [String: (InputFile, [UInt8])] = [:]
    for inside in inPlace {
      if case .bytes(let data) = inside.content { found[inside.file.member!.memberPath] = (inside.file, data) }
    }
    #expect(Set(found.keys) == Set(expected.map(\.path)))

    for held in [512 << 20, 0] {
      var reader = RecordedFileReader()
      reader.heldArchiveBytes = held
      for want in expected {
        let (member, data) = try #require(found[want.path])
        #expect(Self.sha256(data) == want.sha256)
        #expect(member.path.description == image + "!/vol4/photos.zip!/" + want.path)
        #expect(member.location?.pathInFileSystem == "/photos.zip" && member.member?.containerSize == bytes.count)
        let back = try reader.contents(path: member.path, location: member.location, member: member.member, size: member.size)
        #expect(Self.sha256(back) == want.sha256, "\(want.path), outer archive held up to \(held) bytes")
      }
    }
  }
}
