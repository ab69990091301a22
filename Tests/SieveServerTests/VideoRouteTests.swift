import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SieveCore
import SieveHashSets
import SieveTestSupport
import Testing

@testable import SieveServer

/// Videos through the service: uploads hashed as vPDQ does and matched frame by frame and
/// whole; hash-only queries carrying vPDQ features; refusals with reasons.
@Suite struct VideoRouteTests {
  static let folder = TestData.repoRoot.appendingPathComponent("Tests/Fixtures/video")

  static func features(_ name: String) throws -> [VPDQFeature] {
    try VPDQText.parse(String(contentsOf: folder.appendingPathComponent(name + ".vpdq"), encoding: .utf8))
  }

  /// A service over a set holding the slideshow (whole) and a picture set holding the
  /// picture its last two seconds show.
  static func service(in dir: TemporaryDirectory, video: Bool = true) async throws -> (SieveService, key: String) {
    var store = APIKeyStore()
    let key = try store.add(name: "uploads", role: .match).key
    try store.save(to: dir.path + "/keys.json")
    var videos = HashSet(name: "videos")
    var entry = HashSetEntry(id: "slideshow", label: "example")
    entry.vpdq = try features("slideshow-h264.mp4")
    videos.append(entry)
    try BinaryHashSet.write(videos, to: dir.path + "/videos.sieveset")
    var pictures = HashSet(name: "pictures")
    pictures.append(HashSetEntry(id: "second-photo", label: "example", pdq: try features("slideshow-h264.mp4").last!.hash, pdqQuality: 100))
    try BinaryHashSet.write(pictures, to: dir.path + "/pictures.sieveset")
    var configuration = SieveService.Configuration(hashSetPaths: [dir.path + "/videos.sieveset", dir.path + "/pictures.sieveset"])
    configuration.keysFile = dir.path + "/keys.json"
    configuration.workers = 1
    if !video { configuration.video = nil }
    let service = try SieveService(configuration: configuration)
    try await service.registry.loadAll()
    return (service, key)
  }

  static func object(_ buffer: ByteBuffer) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]) ?? [:]
  }

  @Test func videoUploadsAreHashedAndMatched() async throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (service, key) = try await Self.service(in: dir)
    let headers: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "video/mp4"]
    let bytes = try TestData.bytes(Self.folder.appendingPathComponent("slideshow-h264.mp4"))
    try await Application(router: service.router()).test(.router) { client in
      let reply = try await client.execute(uri: "/v1/match", method: .post, headers: headers, body: ByteBuffer(bytes: bytes))
      #expect(reply.status == .ok, "\(String(buffer: reply.body))")
      let body = Self.object(reply.body)
      let hashes = try #require(body["hashes"] as? [String: Any])
      let frames = try #require(hashes["vpdq"] as? [[String: Any]])
      #expect(frames.compactMap { $0["pdq"] as? String } == (try Self.features("slideshow-h264.mp4")).map(\.hash.hexString))
      let matches = try #require(body["matches"] as? [[String: Any]])
      let whole = matches.filter { $0["kind"] as? String == "vpdq" }
      #expect(whole.count == 1 && whole.first?["query_match_percent"] as? Double == 100 && whole.first?["id"] as? String == "slideshow")
      let framed = matches.filter { $0["kind"] as? String == "pdq" }.compactMap { $0["frame_time"] as? Double }
      #expect(framed.sorted() == [2, 3], "\(matches)")
      // /v1/hash gives the features alone.
      let hashed = try await client.execute(uri: "/v1/hash", method: .post, headers: headers, body: ByteBuffer(bytes: bytes))
      #expect(hashed.status == .ok && ((Self.object(hashed.body)["hashes"] as? [String: Any])?["vpdq"] as? [Any])?.count == 4)
      // A damaged video: 422 with the reason.
      let broken = try await client.execute(
        uri: "/v1/match", method: .post, headers: headers, body: ByteBuffer(bytes: Array(bytes.prefix(300))))
      #expect(broken.status == .unprocessableContent, "\(String(buffer: broken.body))")
    }
  }

  /// A hash-only query may carry a video's features: matched whole and frame by frame.
  @Test func hashOnlyVideoQueries() async throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (service, key) = try await Self.service(in: dir, video: false)
    let json: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/json"]
    let frames = try Self.features("slideshow-h264.mp4").map {
      #"{"frame":\#($0.frameNumber),"pdq":"\#($0.hash.hexString)","quality":\#($0.quality),"timestamp":\#($0.timestamp)}"#
    }
    try await Application(router: service.router()).test(.router) { client in
      let reply = try await client.execute(
        uri: "/v1/match", method: .post, headers: json, body: ByteBuffer(string: #"{"vpdq":[\#(frames.joined(separator: ","))]}"#))
      #expect(reply.status == .ok, "\(String(buffer: reply.body))")
      let matches = Self.object(reply.body)["matches"] as? [[String: Any]] ?? []
      #expect(matches.contains { $0["kind"] as? String == "vpdq" && $0["compared_match_percent"] as? Double == 100 })
      let bad = try await client.execute(
        uri: "/v1/match", method: .post, headers: json, body: ByteBuffer(string: #"{"vpdq":[{"frame":0,"pdq":"zz","quality":100,"timestamp":0}]}"#))
      #expect(bad.status == .badRequest && String(buffer: bad.body).contains("vpdq[0]"))
      let batch = try await client.execute(
        uri: "/v1/match/batch", method: .post, headers: json, body: ByteBuffer(string: #"{"queries":[{"vpdq":[\#(frames[0])]}]}"#))
      #expect(batch.status == .badRequest)
      // With videos refused, an upload of one is 422.
      let upload = try await client.execute(
        uri: "/v1/match", method: .post, headers: [.authorization: "Bearer \(key)", .contentType: "video/mp4"],
        body: ByteBuffer(bytes: try TestData.bytes(Self.folder.appendingPathComponent("slideshow-h264.mp4"))))
      #expect(upload.status == .unprocessableContent && String(buffer: upload.body).contains("does not take videos"), "\(String(buffer: upload.body))")
    }
  }
}
