import Foundation
import SieveCore
import SieveHashSets
import SieveImaging
import SieveTestSupport
import Testing

/// `sieve serve`, started for real on a loopback port and driven over HTTP.
@Suite(.serialized) struct ServeCommandTests {
  static let sample = TestData.repoRoot.appendingPathComponent("hashsets/sample-fixtures.sieveset").path
  static let wee = TestData.fixtureVectors.appendingPathComponent("pdq/images/misc-images/wee.jpg")
  static let weePDQ = "6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d"

  /// A photo-like JPEG made here (smooth gradients plus noise), `width`×`height`.
  static func jpeg(width: Int, height: Int, seed: UInt64 = 1) throws -> Data {
    var rng = SplitMix64(seed: seed)
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height {
      for x in 0..<width {
        let i = (y * width + x) * 3
        let noise = Int(rng.next() & 31)
        pixels[i] = UInt8(truncatingIfNeeded: (x * 255 / width + noise) & 255)
        pixels[i + 1] = UInt8(truncatingIfNeeded: (y * 255 / height + noise) & 255)
        pixels[i + 2] = UInt8(truncatingIfNeeded: ((x + y) * 127 / (width + height) + noise) & 255)
      }
    }
    return Data(try JPEGEncoder.encode(PixelImage(width: width, height: height, layout: .rgb, pixels: pixels), quality: 85))
  }

  @Test func everyRouteAndStatus() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let keys = try TestKeys(in: dir)
    let server = try ServiceProcess(["--hashset", Self.sample, "--keys", keys.path, "--max-body", "64K"])
    defer { server.stop() }

    #expect(server.request("GET", "/healthz").text == "ok\n")
    let ready = server.request("GET", "/readyz")
    #expect(ready.status == 200 && ready.json()["ready"] as? Bool == true)
    #expect(server.request("GET", "/openapi.json").json()["openapi"] != nil)
    #expect(server.request("GET", "/metrics").text.contains("sieve_hashset_entries"))

    let sets = server.request("GET", "/v1/hashsets", key: keys.match)
    #expect(sets.status == 200)
    let set = try #require((sets.json()["sets"] as? [[String: Any]])?.first)
    #expect(set["name"] as? String == "sample-fixtures" && (set["counts"] as? [String: Int])?["pdq"] == 8)
    let checksum = try #require(set["checksum"] as? String)
    #expect(checksum.count == 16 && set["loaded_at"] != nil && set["entries"] as? Int == 8)

    // An upload: hashes (PDQ with quality, pHash, exact digests), matches, versions, timing.
    let image = try Data(contentsOf: Self.wee)
    let matched = server.request("POST", "/v1/match", body: image, type: "image/jpeg", key: keys.match)
    #expect(matched.status == 200, "\(matched.text)")
    let json = matched.json()
    let hashes = try #require(json["hashes"] as? [String: Any])
    #expect(hashes["pdq"] as? String == Self.weePDQ && hashes["pdq_quality"] as? Int == 100)
    #expect(hashes["phash"] as? String == "de5a3d2925256627" && hashes["md5"] as? String == "8bbbaa9540800e378beadc8bbef7bb32")
    let matches = try #require(json["matches"] as? [[String: Any]])
    #expect(matches.contains { $0["kind"] as? String == "pdq" && $0["distance"] as? Int == 0 && $0["orientation"] as? String == "original" })
    #expect(matches.allSatisfy { $0["set"] as? String == "sample-fixtures" && $0["label"] as? String == "example" })
    #expect((json["sets"] as? [[String: Any]])?.first?["checksum"] as? String == checksum)
    #expect(json["request_id"] as? String == matched.headers["x-request-id"])
    #expect(((json["timing"] as? [String: Any])?["total_ms"] as? Double ?? -1) >= 0)

    // Hashes as JSON, and a batch with the client's references.
    let byHash = server.post("/v1/match", json: #"{"pdq":"\#(Self.weePDQ)","pdq_quality":90}"#, key: keys.match)
    #expect(byHash.status == 200 && byHash.text.contains("fixtures/misc-images/wee.jpg"))
    let byMD5 = server.post("/v1/match", json: #"{"md5":"ffffffffffffffffffffffffffffffff"}"#, key: keys.match)
    #expect(byMD5.status == 200 && (byMD5.json()["matches"] as? [Any])?.isEmpty == true)
    let lowQuality = server.post("/v1/match", json: #"{"pdq":"\#(Self.weePDQ)","pdq_quality":10}"#, key: keys.match)
    #expect(lowQuality.json()["low_quality"] as? Bool == true && (lowQuality.json()["matches"] as? [Any])?.isEmpty == true)
    let batch = server.post(
      "/v1/match/batch", json: #"{"queries":[{"ref":"one","pdq":"\#(Self.weePDQ)"},{"ref":"two","phash":"0000000000000000"}]}"#,
      key: keys.match)
    #expect(batch.status == 200, "\(batch.text)")
    let results = try #require(batch.json()["results"] as? [[String: Any]])
    #expect(results.map { $0["ref"] as? String } == ["one", "two"])
    #expect((results[0]["matches"] as? [Any])?.count == 1 && (results[1]["matches"] as? [Any])?.isEmpty == true)

    let hashOnly = server.request("POST", "/v1/hash", body: image, type: "image/jpeg", key: keys.match)
    #expect(hashOnly.status == 200 && hashOnly.text.contains("de5a3d2925256627") && hashOnly.json()["matches"] == nil)
    let octets = server.request("POST", "/v1/hash", body: image, type: "application/octet-stream", key: keys.match)
    #expect(octets.status == 200)

    let reload = server.request("POST", "/v1/hashsets/reload", key: keys.admin)
    #expect(reload.status == 200 && reload.json()["unchanged"] as? [String] == ["sample-fixtures"])

    // Bad input: 4xx with a reason, never a 500.
    let bomb = try Data(contentsOf: TestData.repoRoot.appendingPathComponent("Tests/Fixtures/decoding/bomb.png"))
    let bad: [(String, String, Data, String?, Int, String)] = [
      ("POST", "/v1/match", Data(#"{"pdq":"zz"}"#.utf8), "application/json", 400, "bad hash"),
      ("POST", "/v1/match", Data("{not json".utf8), "application/json", 400, "malformed JSON"),
      ("POST", "/v1/match", Data("{}".utf8), "application/json", 400, "at least one of"),
      ("POST", "/v1/match", Data(#"{"pdq":5}"#.utf8), "application/json", 400, "malformed JSON at .pdq"),
      ("POST", "/v1/match", Data(#"{"pdq":"\#(Self.weePDQ)","pdq_quality":101}"#.utf8), "application/json", 400, "pdq_quality"),
      ("POST", "/v1/match", Data("x".utf8), "text/plain", 415, "Content-Type"),
      ("POST", "/v1/match", Data("x".utf8), nil, 415, "Content-Type"),
      ("POST", "/v1/hash", Data("{}".utf8), "application/json", 415, "image"),
      ("POST", "/v1/match", Data(), "image/jpeg", 400, "empty"),
      ("POST", "/v1/match", Data("GIF89a".utf8 + [2, 0, 2, 0, 0x80, 0, 0] + Array(repeating: 0x55, count: 40)), "image/gif", 422, ""),
      ("POST", "/v1/match", Data("hello, this is text".utf8), "image/jpeg", 415, "not a recognised image"),
      ("POST", "/v1/match", image.prefix(image.count / 2), "image/jpeg", 422, "truncated"),
      ("POST", "/v1/hash", bomb, "image/png", 422, "over the limit"),
      ("POST", "/v1/match", Data(count: 100_000), "image/jpeg", 413, "limit"),
      ("POST", "/v1/match/batch", Data(#"{"queries":[]}"#.utf8), "application/json", 400, "empty"),
      ("POST", "/v1/match/batch", Data(#"{"queries":[{"ref":"a","pdq":"\#(Self.weePDQ)"},{"pdq":"12"}]}"#.utf8), "application/json", 400, "queries[1]"),
      ("POST", "/v1/match/batch", Data(#"{"items":[]}"#.utf8), "application/json", 400, "queries is missing"),
    ]
    for (method, path, body, type, status, reason) in bad {
      let reply = server.request(method, path, body: body, type: type, key: keys.match)
      #expect(reply.status == status, "\(path) \(type ?? "-") \(body.prefix(20)): \(reply.status) \(reply.text)")
      #expect(reason.isEmpty ? !reply.errorMessage.isEmpty : reply.errorMessage.contains(reason), "\(reply.errorMessage) lacks \(reason)")
      #expect(reply.headers["x-request-id"] != nil)
    }
    #expect(server.request("GET", "/v1/nothing", key: keys.match).status == 404)
    #expect(server.request("GET", "/nothing").status == 404)
    // Other spellings of a path reach the same route and need the same key and role.
    for path in ["//v1/hashsets", "/v1//hashsets", "/v1/hashsets/", "/v1/hash%73ets"] {
      #expect(server.request("GET", path).status == 401, "\(path)")
    }
    for path in ["//v1/hashsets/reload", "/v1//hashsets/reload", "/v1/hashsets/reload/", "/v1/hashsets/%72eload"] {
      #expect(server.request("POST", path).status == 401, "\(path)")
      #expect(server.request("POST", path, key: keys.match).status == 403, "\(path)")
    }
    #expect(server.request("POST", "//v1/match", body: Data("{}".utf8), type: "application/json").status == 401)
    let wrongMethod = server.request("GET", "/v1/match", key: keys.match)
    #expect(wrongMethod.status == 405 && wrongMethod.headers["allow"] == "POST")
    #expect(server.process.isRunning)
    #expect(server.stop() == 0)
    #expect(server.log.contains("sieve: stopped"))
  }

  @Test func keysRolesAndRateLimits() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let keys = try TestKeys(in: dir, matchRate: 0.5)
    let server = try ServiceProcess(["--hashset", Self.sample, "--keys", keys.path])
    defer { server.stop() }

    // No key, a malformed key, a wrong secret: 401 with WWW-Authenticate.
    let none = server.request("GET", "/v1/hashsets")
    #expect(none.status == 401 && none.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
    #expect(none.errorMessage.contains("sieve serve keys add"))
    #expect(server.request("GET", "/v1/hashsets", key: "not-a-key").status == 401)
    var wrong = Array(keys.admin)
    wrong[wrong.count - 1] = wrong.last == "a" ? "b" : "a"
    #expect(server.request("GET", "/v1/hashsets", key: String(wrong)).status == 401)
    #expect(server.request("GET", "/v1/hashsets", headers: ["Authorization": "Basic \(keys.admin)"]).status == 401)
    #expect(server.request("POST", "/v1/match", body: Data("{}".utf8), type: "application/json").status == 401)
    // Open routes need no key.
    #expect(server.request("GET", "/healthz").status == 200 && server.request("GET", "/metrics").status == 200)

    // The X-API-Key header works as well; a match key may not reload (403).
    #expect(server.request("GET", "/v1/hashsets", headers: ["X-API-Key": keys.admin]).status == 200)
    let forbidden = server.request("POST", "/v1/hashsets/reload", key: keys.match)
    #expect(forbidden.status == 403 && forbidden.errorMessage.contains("needs admin"))

    // The match key's rate (0.5/s, so a burst of 1; the 403 above took no token): one passes,
    // the next ones within 2 s get 429 with Retry-After.
    var statuses: [Int] = []
    var retryAfter: String?
    for _ in 0..<4 {
      let reply = server.request("GET", "/v1/hashsets", key: keys.match)
      statuses.append(reply.status)
      if reply.status == 429 { retryAfter = reply.headers["retry-after"] }
    }
    #expect(statuses == [200, 429, 429, 429])
    #expect(retryAfter.flatMap(Int.init).map { (1...2).contains($0) } == true, "\(retryAfter ?? "-")")
    // The admin key has no rate: unaffected.
    #expect(server.request("GET", "/v1/hashsets", key: keys.admin).status == 200)

    // Revoking, and adding, take effect on SIGHUP.
    let matchID = String(keys.match.split(separator: "_")[1])
    let revoke = try CommandRunner.run("sieve", ["serve", "keys", "revoke", "--keys", keys.path, matchID])
    #expect(revoke.status == 0, "\(revoke.stderr)")
    let added = try TestKeys.add(keys.path, ["--name", "late"])
    #expect(server.request("GET", "/v1/hashsets", key: added).status == 401)
    server.signal(SIGHUP)
    #expect(server.waitFor("reload (SIGHUP)"))
    #expect(server.request("GET", "/v1/hashsets", key: keys.match).status == 401)
    #expect(server.request("GET", "/v1/hashsets", key: added).status == 200)

    // A broken keys file on reload keeps the previous keys and says so.
    try Data("garbage".utf8).write(to: URL(fileURLWithPath: keys.path))
    let reload = server.request("POST", "/v1/hashsets/reload", key: keys.admin)
    #expect(reload.status == 422 && (reload.json()["keys_error"] as? String)?.contains("previous keys stay") == true)
    #expect(server.request("GET", "/v1/hashsets", key: added).status == 200)
    // ... and keeps saying so, until a good file loads: a key the broken edit meant to
    // revoke still works meanwhile.
    let ready = server.request("GET", "/readyz")
    #expect(ready.status == 200 && ready.json()["keys_stale_since"] is String && !ready.text.contains(keys.path), "\(ready.text)")
    #expect(server.request("GET", "/metrics").text.contains("sieve_keys_stale 1"))
    _ = try TestKeys.add(keys.path + ".new", ["--name", "fresh"])
    try FileManager.default.removeItem(atPath: keys.path)
    try FileManager.default.moveItem(atPath: keys.path + ".new", toPath: keys.path)
    // The admin key of the old file is still in force to ask for the reload.
    let good = server.request("POST", "/v1/hashsets/reload", key: keys.admin)
    #expect(good.status == 200 && good.json()["keys_error"] == nil, "\(good.text)")
    #expect(server.request("GET", "/v1/hashsets", key: keys.admin).status == 401)
    let recovered = server.request("GET", "/readyz")
    #expect(recovered.json()["keys_stale_since"] == nil, "\(recovered.text)")
    #expect(server.request("GET", "/metrics").text.contains("sieve_keys_stale 0"))

    let metrics = server.request("GET", "/metrics").text
    #expect(metrics.contains(#"sieve_refused_requests_total{reason="rate_limited"}"#))
    #expect(metrics.contains(#"sieve_refused_requests_total{reason="no_key"}"#))
    #expect(metrics.contains(#"route="/v1/hashsets",method="GET",status="401""#))
  }

  @Test func hostileBodiesAndLimits() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let big = try Self.jpeg(width: 1600, height: 1200)
    let server = try ServiceProcess(["--hashset", Self.sample, "--no-auth", "--max-pixels", "1000000", "--max-body", "4M"])
    defer { server.stop() }

    // Deeply nested JSON and JSON over the 1 MiB JSON limit.
    let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    let nested = server.post("/v1/match", json: deep, key: nil)
    #expect(nested.status == 400, "\(nested.status) \(nested.text.prefix(200))")
    let deepObject = String(repeating: #"{"a":"#, count: 50_000) + "1" + String(repeating: "}", count: 50_000)
    #expect(server.post("/v1/match/batch", json: deepObject, key: nil).status == 400)
    let huge = #"{"pdq":""# + String(repeating: "a", count: 2 << 20) + #""}"#
    #expect(server.post("/v1/match", json: huge, key: nil).status == 413)
    let manyQueries = #"{"queries":["# + Array(repeating: #"{"md5":"ffffffffffffffffffffffffffffffff"}"#, count: 1001).joined(separator: ",") + "]}"
    let tooMany = server.post("/v1/match/batch", json: manyQueries, key: nil)
    #expect(tooMany.status == 400 && tooMany.errorMessage.contains("at most 1000"))
    let thousand = #"{"queries":["# + Array(repeating: #"{"md5":"ffffffffffffffffffffffffffffffff"}"#, count: 1000).joined(separator: ",") + "]}"
    #expect(server.post("/v1/match/batch", json: thousand, key: nil).status == 200)
    #expect(server.post("/v1/match", json: #"{"pdq":null,"phash":["x"]}"#, key: nil).status == 400)
    #expect(server.post("/v1/match", json: "\u{FEFF}\u{0}", key: nil).status == 400)

    // The pixel limit (1 MP here) answers 422 with the reason, from the header.
    let overPixels = server.request("POST", "/v1/match", body: big, type: "image/jpeg")
    #expect(overPixels.status == 422 && overPixels.errorMessage.contains("1600"), "\(overPixels.text)")
    // Random bytes, a PNG header claiming 100000×100000, a truncated PNG.
    var rng = SplitMix64(seed: 7)
    let noise = Data((0..<50_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
    #expect(server.request("POST", "/v1/match", body: noise, type: "image/png").status == 415)
    let bomb = try Data(contentsOf: TestData.repoRoot.appendingPathComponent("Tests/Fixtures/decoding/bomb.png"))
    #expect(server.request("POST", "/v1/match", body: bomb, type: "image/png").status == 422)
    let png = try Data(contentsOf: TestData.repoRoot.appendingPathComponent("Tests/Fixtures/decoding/graya16.png"))
    for cut in [8, 33, png.count / 2] {
      let reply = server.request("POST", "/v1/match", body: png.prefix(cut), type: "image/png")
      #expect([415, 422].contains(reply.status), "cut at \(cut): \(reply.status) \(reply.text)")
    }
    #expect(server.process.isRunning)
    let metrics = server.request("GET", "/metrics").text
    #expect(metrics.contains(#"sieve_decode_errors_total{reason="too_many_pixels"}"#))
    #expect(!metrics.contains(#"status="500""#))
  }

  @Test func uploadsMatchInEveryOrientationUnlessTurnedOff() throws {
    let image = try Data(contentsOf: Self.wee)
    for (arguments, orientation) in [([String](), "original"), (["--no-dihedral"], nil)] as [([String], String?)] {
      let server = try ServiceProcess(["--hashset", Self.sample, "--no-auth"] + arguments)
      defer { server.stop() }
      let matches = server.request("POST", "/v1/match", body: image, type: "image/jpeg").json()["matches"] as? [[String: Any]] ?? []
      let pdq = try #require(matches.first { $0["kind"] as? String == "pdq" }, "\(arguments)")
      #expect(pdq["orientation"] as? String == orientation, "\(arguments)")
    }
  }

  @Test func decodeTimeLimit() throws {
    let image = try Self.jpeg(width: 3000, height: 2000)
    let server = try ServiceProcess(["--hashset", Self.sample, "--no-auth", "--max-seconds", "0.001"])
    defer { server.stop() }
    let reply = server.request("POST", "/v1/hash", body: image, type: "image/jpeg")
    #expect(reply.status == 422 && reply.errorMessage.contains("second"), "\(reply.text)")
  }

  @Test func fullQueueAnswers503WithRetryAfter() throws {
    let image = try Self.jpeg(width: 2000, height: 1500)
    let server = try ServiceProcess(["--hashset", Self.sample, "--no-auth", "--workers", "1", "--queue", "0"])
    defer { server.stop() }
    // Twelve uploads at once on their own threads; one worker and no queue: one place.
    let replies = ReplyList()
    let start = DispatchSemaphore(value: 0)
    let group = DispatchGroup()
    for _ in 0..<12 {
      group.enter()
      Thread.detachNewThread {
        start.wait()
        replies.append(server.request("POST", "/v1/hash", body: image, type: "image/jpeg"))
        group.leave()
      }
    }
    for _ in 0..<12 { start.signal() }
    group.wait()
    let statuses = replies.all.map(\.status)
    #expect(statuses.allSatisfy { $0 == 200 || $0 == 503 }, "\(statuses)")
    #expect(statuses.contains(200) && statuses.contains(503), "\(statuses)")
    #expect(replies.all.filter { $0.status == 503 }.allSatisfy { $0.headers["retry-after"] == "1" })
    // Once the queue drains, uploads are served again.
    #expect(server.request("POST", "/v1/hash", body: image, type: "image/jpeg").status == 200)
  }

  @Test func auditLogAndMetrics() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let keys = try TestKeys(in: dir)
    let audit = dir.path + "/audit.jsonl"
    let server = try ServiceProcess(["--hashset", Self.sample, "--keys", keys.path, "--audit-log", audit])
    let image = try Data(contentsOf: Self.wee)
    let upload = server.request("POST", "/v1/match", body: image, type: "image/jpeg", key: keys.match)
    #expect(upload.status == 200)
    let byHash = server.post("/v1/match", json: #"{"pdq":"\#(Self.weePDQ)"}"#, key: keys.admin)
    let batch = server.post("/v1/match/batch", json: #"{"queries":[{"ref":"r1","md5":"ffffffffffffffffffffffffffffffff"},{"pdq":"\#(Self.weePDQ)"}]}"#, key: keys.match)
    let hashOnly = server.request("POST", "/v1/hash", body: image, type: "image/jpeg", key: keys.match)
    #expect(hashOnly.status == 200)

    // Written before the response: readable now, before any shutdown.
    let lines = try String(contentsOfFile: audit, encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 5, "one line per match query, one for the /v1/hash upload: \(lines)")
    let entries = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    #expect(entries.count == 5)
    #expect(entries.prefix(4).allSatisfy { $0["event"] as? String == "match" })
    #expect(entries[4]["event"] as? String == "hash" && entries[4]["request_id"] as? String == hashOnly.headers["x-request-id"])
    #expect((entries[4]["hashes"] as? [String: Any])?["pdq"] as? String == Self.weePDQ && entries[4]["matches"] == nil)
    let matchID = String(keys.match.split(separator: "_")[1])
    #expect(entries[0]["key"] as? String == matchID && entries[0]["request_id"] as? String == upload.headers["x-request-id"])
    #expect(entries[0]["source"] as? String == "image" && (entries[0]["hashes"] as? [String: Any])?["pdq"] as? String == Self.weePDQ)
    #expect((entries[0]["matches"] as? [Any])?.isEmpty == false && (entries[0]["sets"] as? [[String: Any]])?.first?["checksum"] != nil)
    #expect(entries[0]["time"] as? String != nil)
    #expect(entries[1]["request_id"] as? String == byHash.headers["x-request-id"] && entries[1]["source"] as? String == "hashes")
    #expect(entries[2]["ref"] as? String == "r1" && entries[2]["batch_index"] as? Int == 0 && entries[3]["batch_index"] as? Int == 1)
    #expect(entries[2]["request_id"] as? String == batch.headers["x-request-id"])
    // No image bytes: nothing of the JPEG is in the log.
    let logBytes = try Data(contentsOf: URL(fileURLWithPath: audit))
    #expect(logBytes.range(of: Data([0xFF, 0xD8, 0xFF])) == nil && logBytes.range(of: image.suffix(64)) == nil)

    let metrics = server.request("GET", "/metrics").text
    for expected in [
      #"sieve_http_requests_total{route="/v1/match",method="POST",status="200"} 2"#,
      #"sieve_http_request_duration_seconds_bucket{route="/v1/match",method="POST",status="200",le="#,
      #"sieve_matches_total{set="sample-fixtures",kind="pdq"}"#,
      #"sieve_match_queries_total{source="batch"} 2"#,
      #"sieve_hashset_entries{set="sample-fixtures",kind="pdq"} 8"#,
      "sieve_hashing_queue",
    ] {
      #expect(metrics.contains(expected), "\(expected)")
    }

    // Refused requests are recorded: no key, a bad key (401), a match key on an admin
    // route (403), with the client's address; a reload, with what it did.
    #expect(server.request("GET", "/v1/hashsets").status == 401)
    #expect(server.request("GET", "/v1/hashsets", key: "sieve_00000000_" + String(repeating: "0", count: 64)).status == 401)
    #expect(server.request("POST", "/v1/hashsets/reload", key: keys.match).status == 403)
    #expect(server.request("POST", "/v1/hashsets/reload", key: keys.admin).status == 200)
    let more = try String(contentsOfFile: audit, encoding: .utf8).split(separator: "\n").dropFirst(5)
      .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    #expect(more.map { $0["event"] as? String ?? "-" } == ["refused", "refused", "refused", "reload"], "\(more)")
    #expect(more.prefix(3).map { $0["reason"] as? String ?? "-" } == ["no_key", "bad_key", "forbidden"])
    #expect(more.prefix(3).map { $0["status"] as? Int ?? 0 } == [401, 401, 403])
    #expect(more[2]["key"] as? String == matchID && (more[0]["client"] as? String)?.hasPrefix("127.0.0.1:") == true)
    let adminID = String(keys.admin.split(separator: "_")[1])
    #expect(more[3]["key"] as? String == adminID && (more[3]["reload"] as? [String: Any])?["unchanged"] as? [String] == ["sample-fixtures"])

    // logrotate: the file is renamed, SIGHUP reopens the path, new lines land in the new file.
    let rotated = audit + ".1"
    #expect(rename(audit, rotated) == 0)
    server.signal(SIGHUP)
    #expect(server.waitFor("reload (SIGHUP)"))
    #expect(server.post("/v1/match", json: #"{"pdq":"\#(Self.weePDQ)"}"#, key: keys.match).status == 200)
    let fresh = try String(contentsOfFile: audit, encoding: .utf8).split(separator: "\n")
      .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    #expect(fresh.map { $0["event"] as? String ?? "-" } == ["reload", "match"], "\(fresh)")
    let old = try String(contentsOfFile: rotated, encoding: .utf8).split(separator: "\n")
    #expect(old.count == 9)
    #expect(server.stop() == 0)
  }

  /// Match keys are not shown where the set files live; admin keys are.
  @Test func setPathsAreForAdminsOnly() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let keys = try TestKeys(in: dir)
    let server = try ServiceProcess(["--hashset", Self.sample, "--keys", keys.path])
    defer { server.stop() }
    let asMatch = server.request("GET", "/v1/hashsets", key: keys.match)
    #expect(asMatch.status == 200 && (asMatch.json()["sets"] as? [[String: Any]])?.first?["path"] == nil)
    #expect(!asMatch.text.contains(Self.sample) && asMatch.text.contains("sample-fixtures"))
    let asAdmin = server.request("GET", "/v1/hashsets", key: keys.admin)
    #expect((asAdmin.json()["sets"] as? [[String: Any]])?.first?["path"] as? String == Self.sample)
  }

  @Test func reloadWhileClientsKeepSendingFailsNoRequest() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let keys = try TestKeys(in: dir)
    let path = dir.path + "/known.sieveset"
    // 200,000 entries: building the index takes long enough for requests to overlap it.
    func makeSet(seed: UInt64, probe: PDQHash) throws {
      var rng = SplitMix64(seed: seed)
      var entries = (0..<200_000).map { i in
        HashSetEntry(id: "e\(i)", label: "example", pdq: PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()))
      }
      entries.append(HashSetEntry(id: "probe-\(seed)", label: "example", pdq: probe))
      try BinaryHashSet.write(HashSet(name: "known", entries: entries), to: path + ".new")
      _ = rename(path + ".new", path)
    }
    let probe = try PDQHash(hex: Self.weePDQ)
    try makeSet(seed: 1, probe: probe)
    // Unlimited rate: four clients in a loop go far over the default 1000 requests a second.
    let server = try ServiceProcess(["--hashset", path, "--keys", keys.path, "--rate-limit", "0"])
    defer { server.stop() }

    let stop = Flag()
    let replies = ReplyList()
    let clients = DispatchGroup()
    for _ in 0..<4 {
      DispatchQueue.global().async(group: clients) {
        while !stop.isSet {
          replies.append(server.post("/v1/match", json: #"{"pdq":"\#(Self.weePDQ)"}"#, key: keys.match))
        }
      }
    }
    var checksums = Set<String>()
    for round in 2...5 {
      try makeSet(seed: UInt64(round), probe: probe)
      if round % 2 == 0 {
        let reload = server.request("POST", "/v1/hashsets/reload", key: keys.admin)
        #expect(reload.status == 200 && reload.json()["reloaded"] as? [String] == ["known"], "\(reload.text)")
      } else {
        server.signal(SIGHUP)
        #expect(server.waitFor("generation \(round)", timeout: 60))
      }
      let sets = server.request("GET", "/v1/hashsets", key: keys.admin).json()["sets"] as? [[String: Any]]
      checksums.insert(sets?.first?["checksum"] as? String ?? "")
    }
    // A bad file: the reload fails, the old set keeps serving.
    try Data("SIEVESET garbage".utf8).write(to: URL(fileURLWithPath: path))
    let failed = server.request("POST", "/v1/hashsets/reload", key: keys.admin)
    #expect(failed.status == 422 && (failed.json()["failed"] as? [[String: Any]])?.count == 1, "\(failed.text)")
    Thread.sleep(forTimeInterval: 0.3)
    stop.set()
    clients.wait()

    let all = replies.all
    #expect(all.count > 50, "\(all.count) requests sent")
    let failures = all.filter { $0.status != 200 }
    #expect(failures.isEmpty, "\(failures.count) of \(all.count) failed: \(failures.prefix(3).map { "\($0.status) \($0.text)" })")
    // Every answer matched the probe, in whichever version it was served from.
    #expect(all.allSatisfy { $0.text.contains(#""id":"probe-"#) })
    let served = Set(all.compactMap { ($0.json()["sets"] as? [[String: Any]])?.first?["checksum"] as? String })
    #expect(checksums.count == 4 && served.count >= 2, "versions seen by clients: \(served.count)")
    let after = server.post("/v1/match", json: #"{"pdq":"\#(Self.weePDQ)"}"#, key: keys.match)
    #expect(after.status == 200 && after.text.contains("probe-5"))
  }

  @Test func gracefulShutdownFinishesRequestsInFlight() throws {
    let image = try Self.jpeg(width: 4000, height: 3000)
    let server = try ServiceProcess(["--hashset", Self.sample, "--no-auth", "--workers", "1"])
    let reply = ReplyList()
    let done = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
      reply.append(server.request("POST", "/v1/hash", body: image, type: "image/jpeg"))
      done.signal()
    }
    // Wait until the upload is being hashed, then ask the service to stop.
    let deadline = Date().addingTimeInterval(30)
    var running = false
    while Date() < deadline, !running {
      running = server.request("GET", "/metrics").text.contains("sieve_hashing_running 1")
    }
    #expect(running, "the upload was never seen being hashed")
    server.signal(SIGTERM)
    #expect(reply.all.isEmpty, "the upload was answered before SIGTERM: the test proves nothing")
    done.wait()
    #expect(reply.all.first?.status == 200, "\(reply.all.first?.text ?? "")")
    #expect(server.stop() == 0)
  }

  @Test func startupErrors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let missingKeys = try CommandRunner.run("sieve", ["serve", "--hashset", Self.sample])
    #expect(missingKeys.status == 2 && missingKeys.stderr.contains("--keys"))
    let openBind = try CommandRunner.run("sieve", ["serve", "--hashset", Self.sample, "--no-auth", "--bind", "0.0.0.0"])
    #expect(openBind.status == 2 && openBind.stderr.contains("--no-auth is refused"))
    let badKeys = try dir.write("keys.json", Array("nope".utf8))
    let keysError = try CommandRunner.run("sieve", ["serve", "--hashset", Self.sample, "--keys", badKeys])
    #expect(keysError.status == 1 && keysError.stderr.contains("not a Sieve keys file"))
    let badSet = try dir.write("bad.sieveset", Array("SIEVESET broken".utf8))
    let setError = try CommandRunner.run("sieve", ["serve", "--hashset", badSet, "--no-auth", "--port", "0"])
    #expect(setError.status == 1 && setError.stderr.contains("hash sets not loaded") && setError.stderr.contains(badSet), "\(setError.stderr)")
  }

  @Test func keysCommands() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.path + "/keys.json"
    let key = try TestKeys.add(path, ["--name", "pipeline one", "--role", "admin", "--rate", "250"])
    #expect(key.wholeMatch(of: /sieve_[0-9a-f]{8}_[0-9a-f]{64}/) != nil)
    let id = String(key.split(separator: "_")[1])
    let list = try CommandRunner.run("sieve", ["serve", "keys", "list", "--keys", path])
    #expect(list.status == 0 && list.stdout.contains(id) && list.stdout.contains("pipeline one") && list.stdout.contains("250"))
    #expect(!list.stdout.contains(String(key.split(separator: "_")[2])))
    let json = try CommandRunner.run("sieve", ["serve", "keys", "list", "--keys", path, "--json"])
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect(object["id"] as? String == id && object["role"] as? String == "admin" && object["sha256"] == nil && object["salt"] == nil)
    #expect(try CommandRunner.run("sieve", ["serve", "keys", "revoke", "--keys", path, id]).status == 0)
    let revoked = try CommandRunner.run("sieve", ["serve", "keys", "list", "--keys", path, "--json"])
    #expect(revoked.stdout.contains("\"revoked\""))
    let unknown = try CommandRunner.run("sieve", ["serve", "keys", "revoke", "--keys", path, "abcdef12"])
    #expect(unknown.status == 1 && unknown.stderr.contains("no key with id abcdef12"))
    let badRole = try CommandRunner.run("sieve", ["serve", "keys", "add", "--keys", path, "--name", "x", "--role", "root"])
    #expect(badRole.status == 2)
  }

  @Test func documentedRoutesAnswer() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let keys = try TestKeys(in: dir)
    let server = try ServiceProcess(["--hashset", Self.sample, "--keys", keys.path])
    defer { server.stop() }
    let document = server.request("GET", "/openapi.json").json()
    let paths = try #require(document["paths"] as? [String: [String: Any]])
    #expect(paths.count == 9)
    // A good request for each documented operation, from the body types it documents.
    let image = try Data(contentsOf: Self.wee)
    for (path, operations) in paths {
      for (method, operation) in operations {
        let content = ((operation as? [String: Any])?["requestBody"] as? [String: Any])?["content"] as? [String: Any] ?? [:]
        var body: Data?
        var type: String?
        if content.keys.contains(where: { $0.hasPrefix("image/") }) {
          (body, type) = (image, "image/jpeg")
        } else if content["application/json"] != nil {
          let query = #"{"pdq":"\#(Self.weePDQ)"}"#
          (body, type) = (Data((path.hasSuffix("batch") ? #"{"queries":[\#(query)]}"# : query).utf8), "application/json")
        }
        let reply = server.request(method.uppercased(), path, body: body, type: type, key: keys.admin)
        #expect(reply.status == 200, "\(method) \(path): \(reply.status) \(reply.text.prefix(200))")
      }
    }
  }
}

/// Replies collected from several threads.
final class ReplyList: @unchecked Sendable {
  private let lock = NSLock()
  private var replies: [ServiceProcess.Reply] = []
  func append(_ reply: ServiceProcess.Reply) { lock.lock(); replies.append(reply); lock.unlock() }
  var all: [ServiceProcess.Reply] { lock.lock(); defer { lock.unlock() }; return replies }
}

/// A flag set once, read from several threads.
final class Flag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  func set() { lock.lock(); value = true; lock.unlock() }
  var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
