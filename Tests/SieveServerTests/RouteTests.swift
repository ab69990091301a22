import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SieveTestSupport
import Testing

@testable import SieveServer

/// The routes in-process (HummingbirdTesting's router framework, no sockets), beside the
/// real-process tests of SieveCLITests: every route, its key and role, and how each kind
/// of failure is answered.
@Suite struct RouteTests {
  static let sample = TestData.repoRoot.appendingPathComponent("hashsets/sample-fixtures.sieveset").path
  static let wee = TestData.fixtureVectors.appendingPathComponent("pdq/images/misc-images/wee.jpg")
  static let weePDQ = "6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d"

  /// A service over the sample set with an admin and a match key, loaded.
  static func service(in dir: TemporaryDirectory) async throws -> (SieveService, admin: String, match: String) {
    var store = APIKeyStore()
    let admin = try store.add(name: "ops", role: .admin).key
    let match = try store.add(name: "uploads", role: .match).key
    let keys = dir.path + "/keys.json"
    try store.save(to: keys)
    var configuration = SieveService.Configuration(hashSetPaths: [sample])
    configuration.keysFile = keys
    configuration.workers = 1
    let service = try SieveService(configuration: configuration)
    try await service.registry.loadAll()
    return (service, admin, match)
  }

  static func bearer(_ key: String) -> HTTPFields { [.authorization: "Bearer \(key)"] }

  @Test func everyRouteWithItsKeyAndRole() async throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (service, admin, match) = try await Self.service(in: dir)
    try await Application(router: service.router()).test(.router) { client in
      for route in ServiceRoute.allCases {
        // Without a key: open routes answer, keyed ones say 401.
        let open = try await client.execute(uri: route.path, method: route.method)
        #expect(route.role == nil ? open.status != .unauthorized : open.status == .unauthorized, "\(route)")
        // A match key: 403 on admin routes, never 401.
        let withMatch = try await client.execute(uri: route.path, method: route.method, headers: Self.bearer(match))
        #expect(withMatch.status != .unauthorized, "\(route)")
        #expect((withMatch.status == .forbidden) == (route.role == .admin), "\(route): \(withMatch.status)")
      }
      let reload = try await client.execute(uri: "/v1/hashsets/reload", method: .post, headers: Self.bearer(admin))
      #expect(reload.status == .ok)
      // Wrong method: 405 with Allow; unknown /v1 path: 401 without a key, 404 with one.
      let wrong = try await client.execute(uri: "/v1/match", method: .get, headers: Self.bearer(match))
      #expect(wrong.status == .methodNotAllowed && wrong.headers[.allow] == "POST")
      #expect(try await client.execute(uri: "/v1/nothing", method: .get).status == .unauthorized)
      #expect(try await client.execute(uri: "/v1/nothing", method: .get, headers: Self.bearer(match)).status == .notFound)
    }
  }

  /// Each kind of failure gets its status from the one mapping (ServiceErrors).
  @Test func failuresAreAnsweredByKind() async throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (service, _, match) = try await Self.service(in: dir)
    let json: HTTPFields = [.authorization: "Bearer \(match)", .contentType: "application/json"]
    let jpeg: HTTPFields = [.authorization: "Bearer \(match)", .contentType: "image/jpeg"]
    try await Application(router: service.router()).test(.router) { client in
      let found = try await client.execute(
        uri: "/v1/match", method: .post, headers: json, body: ByteBuffer(string: #"{"pdq":"\#(Self.weePDQ)"}"#))
      #expect(found.status == .ok && String(buffer: found.body).contains(#""kind":"pdq""#))
      let image = try await client.execute(
        uri: "/v1/match", method: .post, headers: jpeg, body: ByteBuffer(bytes: try TestData.bytes(Self.wee)))
      #expect(image.status == .ok && String(buffer: image.body).contains(#""orientation":"original""#))
      // QueryError: 400 with the field; DecodingError: 400; ImagingError: 415 and 422.
      let badHash = try await client.execute(uri: "/v1/match", method: .post, headers: json, body: ByteBuffer(string: #"{"pdq":"xyz"}"#))
      #expect(badHash.status == .badRequest && String(buffer: badHash.body).contains("bad hash"))
      let badBatch = try await client.execute(
        uri: "/v1/match/batch", method: .post, headers: json, body: ByteBuffer(string: #"{"queries":[{"md5":"00"}]}"#))
      #expect(badBatch.status == .badRequest && String(buffer: badBatch.body).contains("queries[0]"))
      let notJSON = try await client.execute(uri: "/v1/match", method: .post, headers: json, body: ByteBuffer(string: "{"))
      #expect(notJSON.status == .badRequest && String(buffer: notJSON.body).contains("malformed JSON"))
      let text = try await client.execute(uri: "/v1/hash", method: .post, headers: jpeg, body: ByteBuffer(string: "hello"))
      #expect(text.status == .unsupportedMediaType)
      let bomb = try await client.execute(
        uri: "/v1/hash", method: .post, headers: jpeg,
        body: ByteBuffer(bytes: try TestData.bytes(TestData.repoRoot.appendingPathComponent("Tests/Fixtures/bombs/gif_screen_bomb.gif"))))
      #expect(bomb.status == .unprocessableContent && String(buffer: bomb.body).contains("pixels per byte"))
      let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
      #expect(metrics.contains(#"sieve_decode_errors_total{reason="implausible_size"} 1"#))
      #expect(!metrics.contains(#"status="500""#))
    }
  }
}
