import Foundation
import SieveTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `sieve serve`, started for real on a loopback port and driven over HTTP.
@Suite(.serialized) struct ServeCommandTests {
  /// A running server and its base URL.
  final class Server {
    let process = Process()
    let base: URL

    init(_ extra: [String] = []) throws {
      process.executableURL = CommandRunner.productsDirectory.appendingPathComponent("sieve")
      process.arguments = ["serve", "--port", "0", "--hashset", TestData.repoRoot.appendingPathComponent("hashsets/sample-fixtures.sieveset").path] + extra
      let errors = Pipe()
      process.standardError = errors
      process.standardOutput = FileHandle.nullDevice
      try process.run()
      var text = ""
      let deadline = Date().addingTimeInterval(30)
      while !text.contains("listening on http://"), Date() < deadline, process.isRunning {
        text += String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self)
      }
      guard let range = text.range(of: #"http://127\.0\.0\.1:\d+"#, options: .regularExpression) else {
        process.terminate()
        throw CocoaError(.fileReadUnknown)
      }
      base = URL(string: String(text[range]))!
    }

    func request(_ path: String, method: String = "GET", body: Data? = nil, type: String? = nil) throws -> (status: Int, body: String) {
      var request = URLRequest(url: base.appendingPathComponent(path))
      request.httpMethod = method
      request.httpBody = body
      if let type { request.setValue(type, forHTTPHeaderField: "Content-Type") }
      let done = DispatchSemaphore(value: 0)
      let result = Box()
      URLSession.shared.dataTask(with: request) { data, response, _ in
        result.set((response as? HTTPURLResponse)?.statusCode ?? -1, String(decoding: data ?? Data(), as: UTF8.self))
        done.signal()
      }.resume()
      _ = done.wait(timeout: .now() + 30)
      return result.get()
    }

    func stop() {
      process.terminate()  // SIGTERM: graceful shutdown
      process.waitUntilExit()
    }

    final class Box: @unchecked Sendable {
      private let lock = NSLock()
      private var value: (Int, String) = (-1, "")
      func set(_ status: Int, _ body: String) { lock.lock(); value = (status, body); lock.unlock() }
      func get() -> (status: Int, body: String) { lock.lock(); defer { lock.unlock() }; return value }
    }
  }

  static let wee = TestData.fixtureVectors.appendingPathComponent("pdq/images/misc-images/wee.jpg")

  @Test func routesAndStatusCodes() throws {
    let server = try Server(["--max-body", "64K"])
    defer { server.stop() }
    #expect(try server.request("healthz") == (200, "ok\n"))
    #expect(try server.request("readyz").status == 200)
    let sets = try server.request("v1/hashsets")
    #expect(sets.status == 200 && sets.body.contains("\"name\":\"sample-fixtures\"") && sets.body.contains("\"pdq\":8"))

    let image = try Data(contentsOf: Self.wee)
    let matched = try server.request("v1/match", method: "POST", body: image, type: "image/jpeg")
    #expect(matched.status == 200, "\(matched.body)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(matched.body.utf8)) as? [String: Any])
    let hashes = try #require(json["hashes"] as? [String: Any])
    #expect(hashes["pdq"] as? String == "6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d")
    let matches = try #require(json["matches"] as? [[String: Any]])
    #expect(matches.contains { $0["kind"] as? String == "pdq" && $0["distance"] as? Int == 0 && $0["orientation"] as? String == "original" })

    let byHash = try server.request(
      "v1/match", method: "POST", body: Data(#"{"pdq":"6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d"}"#.utf8),
      type: "application/json")
    #expect(byHash.status == 200 && byHash.body.contains("fixtures/misc-images/wee.jpg") || byHash.body.contains(#"fixtures\/misc-images\/wee.jpg"#))

    let hashOnly = try server.request("v1/hash", method: "POST", body: image, type: "image/jpeg")
    #expect(hashOnly.status == 200 && hashOnly.body.contains("de5a3d2925256627"))

    // Bad input is a 4xx, never a 500.
    #expect(try server.request("v1/match", method: "POST", body: Data("{\"pdq\":\"zz\"}".utf8), type: "application/json").status == 400)
    #expect(try server.request("v1/match", method: "POST", body: Data("{not json".utf8), type: "application/json").status == 400)
    #expect(try server.request("v1/match", method: "POST", body: Data("{}".utf8), type: "application/json").status == 400)
    #expect(try server.request("v1/match", method: "POST", body: Data("x".utf8), type: "text/plain").status == 415)
    #expect(try server.request("v1/match", method: "POST", body: image.prefix(image.count / 2), type: "image/jpeg").status == 422)
    let bomb = try Data(contentsOf: TestData.repoRoot.appendingPathComponent("Tests/Fixtures/decoding/bomb.png"))
    #expect(try server.request("v1/match", method: "POST", body: bomb, type: "image/png").status == 422)
    #expect(try server.request("v1/match", method: "POST", body: Data(count: 100_000), type: "image/jpeg").status == 413)
    #expect(try server.request("v1/nothing").status == 404)
    #expect(server.process.isRunning)
  }
}
