import Foundation
import SieveCore
import SieveHashSets
import SieveTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Hostile clients and files against the real service. Slow and stalled clients must not hold hashing workers,
/// memory or connections, and other clients must still be answered.
@Suite(.serialized) struct ServeHostileInputTests {
  /// 200 connections that send an upload's headers and then a byte now and then: normal
  /// uploads are still answered, and every trickler gets 408 and a closed connection once
  /// its body deadline passes. One worker and a queue of 2: before, three tricklers were
  /// enough to block every upload.
  @Test func tricklingUploadsBlockNobody() throws {
    let image = try ServeCommandTests.jpeg(width: 640, height: 480)
    let server = try ServiceProcess([
      "--hashset", ServeCommandTests.sample, "--no-auth", "--workers", "1", "--queue", "2", "--body-timeout", "4",
      "--idle-timeout", "30",
    ])
    defer { server.stop() }
    let port = try #require(server.base.port)
    let tricklers = try (0..<200).map { _ in
      let c = try RawConnection(port: port)
      try c.send("POST /v1/hash HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\nA")
      return c
    }
    let stop = LockedBool()
    let trickle = Thread {
      while !stop.value {
        for c in tricklers { try? c.send("B") }
        Thread.sleep(forTimeInterval: 0.5)
      }
    }
    trickle.start()
    defer { stop.value = true }

    var statuses: [Int] = []
    let started = Date()
    while Date().timeIntervalSince(started) < 3 {
      statuses.append(server.request("POST", "/v1/hash", body: image, type: "image/jpeg").status)
    }
    // Answered while every trickler still holds its connection (their deadline is 4 s):
    // before, none was. Two at least, so that a machine busy with other tests passes.
    #expect(statuses.count >= 2 && statuses.allSatisfy { $0 == 200 }, "\(statuses)")

    // Each trickler: 408 once its 4 s are up, then the connection closes.
    var answers: [String: Int] = [:]
    for c in tricklers {
      let reply = c.readAll(timeout: 15)
      let status = reply.split(separator: "\r\n").first.map(String.init) ?? "nothing"
      answers[status + (c.closed ? ", closed" : ", open"), default: 0] += 1
    }
    stop.value = true
    #expect(answers == ["HTTP/1.1 408 Request Timeout, closed": 200], "\(answers)")
    #expect(server.request("POST", "/v1/hash", body: image, type: "image/jpeg").status == 200)
    #expect(server.process.isRunning)
  }

  /// A body sent in pieces within its deadline is answered, and its connection stays
  /// usable after that deadline has passed (the timer ended with the body); a small body
  /// sent with its head is answered too.
  @Test func bodiesInPiecesWithinTheirDeadline() throws {
    let server = try ServiceProcess(["--hashset", ServeCommandTests.sample, "--no-auth", "--body-timeout", "2"])
    defer { server.stop() }
    let port = try #require(server.base.port)
    let c = try RawConnection(port: port)
    let body = #"{"pdq":"\#(String(repeating: "5a", count: 32))"}"#
    let head = "POST /v1/match HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
    try c.send(head + body.prefix(10))
    Thread.sleep(forTimeInterval: 1)
    try c.send(String(body.dropFirst(10)))
    Thread.sleep(forTimeInterval: 2.5)
    try c.send(head + body)
    let reply = c.readAll(timeout: 3)
    #expect(reply.components(separatedBy: "HTTP/1.1 200 OK\r\n").count - 1 == 2, "\(reply)")
    #expect(!reply.contains("408"))
    #expect(!c.closed)
  }

  /// Pipelined requests against the real service: two sent in one write are both
  /// answered, in order, on a connection that stays open; a pipelined request whose body
  /// never comes gets 408 after the request before it got its 200, and its connection
  /// closes. (When each deadline starts is tested on a clock the test moves, in
  /// `BodyDeadlineHandlerTests`.)
  @Test func pipelinedRequestsAndTheirDeadlines() throws {
    let server = try ServiceProcess(["--hashset", ServeCommandTests.sample, "--no-auth", "--body-timeout", "1"])
    defer { server.stop() }
    let port = try #require(server.base.port)
    let body = #"{"pdq":"\#(String(repeating: "5a", count: 32))"}"#
    let head = "POST /v1/match HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"

    let both = try RawConnection(port: port)
    try both.send(head + body + head + body)
    let replies = both.readAll(timeout: 3)
    #expect(replies.components(separatedBy: "HTTP/1.1 200 OK\r\n").count - 1 == 2, "\(replies)")
    #expect(!both.closed)

    let late = try RawConnection(port: port)
    try late.send(head + body + head + body.prefix(10))
    let reply = late.readAll(timeout: 6)
    // Each status line, in order (a body ends without a line break, so a reply's status
    // line may follow the previous body on its line).
    let statuses = reply.components(separatedBy: "HTTP/1.1 ").dropFirst().map { "HTTP/1.1 " + $0.prefix { !$0.isNewline } }
    #expect(statuses == ["HTTP/1.1 200 OK", "HTTP/1.1 408 Request Timeout"], "\(reply)")
    #expect(late.closed)
    #expect(server.request("POST", "/v1/match", body: Data(body.utf8), type: "application/json").status == 200)
  }

  /// Decompression bombs uploaded: each refused with 422 and its reason, at once, and the
  /// service goes on.
  @Test func decompressionBombsAreRefused() throws {
    let server = try ServiceProcess(["--hashset", ServeCommandTests.sample, "--no-auth"])
    defer { server.stop() }
    let folder = TestData.repoRoot.appendingPathComponent("Tests/Fixtures/bombs")
    for (name, reason) in [
      ("tiff_tile_bomb.tif", "tiles of 32768×32768"), ("gif_screen_bomb.gif", "pixels per byte"),
      ("gif_frame_bomb.gif", "15000×15000, over the limit"), ("webp_lossless_solid.webp", "over the limit"),
      ("png_solid_15000.png", "over the limit of 100000000 pixels"), ("heif_large_solid.heic", "over the limit"),
    ] {
      let started = Date()
      let reply = server.request("POST", "/v1/hash", body: try Data(contentsOf: folder.appendingPathComponent(name)), type: "image/png")
      #expect(reply.status == 422 && reply.errorMessage.contains(reason), "\(name): \(reply.status) \(reply.text)")
      // Refused by the limits before any decoding (a 225 MP decode and hash takes far
      // longer), with room for a machine whose cores other tests hold.
      #expect(Date().timeIntervalSince(started) < 8, "\(name)")
    }
    let metrics = server.request("GET", "/metrics").text
    #expect(metrics.contains(#"sieve_decode_errors_total{reason="implausible_size"} 1"#), "\(metrics)")
    #expect(server.process.isRunning)
  }

  /// Requests refused before or while their body is read (no key, a bad key, an unknown
  /// route, over the size limit part-way through a chunked body) are answered at once and
  /// their connection closed while the client is still trickling the body: before, the
  /// service drained such a body for as long as the client sent a byte now and then, with
  /// no deadline (the body deadline was 30 s, the idle timeout 30 s, and the body ten
  /// times as long as the test waits). A request without a body keeps its connection.
  @Test func refusedBodiesAreNotDrained() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let keys = try TestKeys(in: dir)
    let server = try ServiceProcess([
      "--hashset", ServeCommandTests.sample, "--keys", keys.path, "--body-timeout", "30", "--idle-timeout", "30",
      "--max-body", "100000",
    ])
    defer { server.stop() }
    let port = try #require(server.base.port)
    let requests = [
      ("POST /v1/hash HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 90000\r\n\r\nA", "401"),
      ("POST /v1/hash HTTP/1.1\r\nHost: x\r\nX-API-Key: sieve_nope\r\nContent-Length: 90000\r\n\r\nA", "401"),
      ("POST /v1/nowhere HTTP/1.1\r\nHost: x\r\nX-API-Key: \(keys.match)\r\nContent-Length: 90000\r\n\r\nA", "404"),
      ("POST /v1/hash HTTP/1.1\r\nHost: x\r\nX-API-Key: \(keys.match)\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "186a1\r\n" + String(repeating: "A", count: 100_001) + "\r\n", "413"),
    ]
    let connections = try requests.map { request, _ in
      let c = try RawConnection(port: port)
      try c.send(request)
      return c
    }
    let stop = LockedBool()
    let trickle = Thread {
      while !stop.value {
        for (i, c) in connections.enumerated() {
          try? c.send(i == connections.count - 1 ? "a\r\nBBBBBBBBBB\r\n" : String(repeating: "B", count: 10))
        }
        Thread.sleep(forTimeInterval: 0.2)
      }
    }
    trickle.start()
    defer { stop.value = true }
    for (c, (_, status)) in zip(connections, requests) {
      let reply = c.readAll(timeout: 5)
      #expect(reply.hasPrefix("HTTP/1.1 \(status)") && c.closed, "\(status): \(c.closed ? "closed" : "open"): \(reply.prefix(200))")
    }
    stop.value = true
    // A refusal without a body keeps the connection open for the next request.
    let c = try RawConnection(port: port)
    try c.send("GET /v1/hashsets HTTP/1.1\r\nHost: x\r\n\r\n")
    let reply = c.readAll(timeout: 1)
    #expect(reply.hasPrefix("HTTP/1.1 401") && !c.closed, "\(reply.prefix(200))")
    #expect(server.process.isRunning)
  }

  /// A client that stops half-way through its headers is disconnected by the idle timeout.
  @Test func stalledHeadersAreDisconnected() throws {
    let server = try ServiceProcess(["--hashset", ServeCommandTests.sample, "--no-auth", "--idle-timeout", "1"])
    defer { server.stop() }
    let c = try RawConnection(port: try #require(server.base.port))
    try c.send("POST /v1/hash HTTP/1.1\r\nHost: loc")
    let started = Date()
    _ = c.readAll(timeout: 10)
    #expect(c.closed && Date().timeIntervalSince(started) < 8)
  }

  /// A client that asks for answers and never reads them is disconnected once the socket
  /// takes nothing more for the idle timeout: before, its connection stayed open for as
  /// long as it liked (Hummingbird's idle timeout does not run during a response). Another
  /// client is answered meanwhile.
  @Test func clientsThatNeverReadAreDisconnected() throws {
    let server = try ServiceProcess(["--hashset", ServeCommandTests.sample, "--no-auth", "--idle-timeout", "1"])
    defer { server.stop() }
    let port = try #require(server.base.port)
    let c = try RawConnection(port: port, receiveBuffer: 4096)
    // 200 answers of 76 KB each: far more than the sockets' buffers hold.
    try c.send(String(repeating: "GET /openapi.json HTTP/1.1\r\nHost: localhost\r\n\r\n", count: 200))
    Thread.sleep(forTimeInterval: 6)
    let other = try RawConnection(port: port)
    try other.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    #expect(other.readAll(timeout: 10).hasPrefix("HTTP/1.1 200"))
    let received = c.readAll(timeout: 20)
    let answers = received.components(separatedBy: "HTTP/1.1 200").count - 1
    #expect(c.closed && answers < 200, "\(answers) answers, closed: \(c.closed)")
  }

  /// Each query of a batch counts against the key's rate: a 50-query batch at 10/s leaves
  /// the key about 5 s in debt.
  @Test func batchQueriesCountAgainstTheRate() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let keys = try TestKeys(in: dir, matchRate: 10)
    let server = try ServiceProcess(["--hashset", ServeCommandTests.sample, "--keys", keys.path])
    defer { server.stop() }
    let batch = #"{"queries":["# + Array(repeating: #"{"md5":"ffffffffffffffffffffffffffffffff"}"#, count: 50).joined(separator: ",") + "]}"
    #expect(server.post("/v1/match/batch", json: batch, key: keys.match).status == 200)
    let next = server.post("/v1/match", json: #"{"md5":"ffffffffffffffffffffffffffffffff"}"#, key: keys.match)
    #expect(next.status == 429, "\(next.status)")
    #expect(next.headers["retry-after"].flatMap(Int.init).map { (4...6).contains($0) } == true, "\(next.headers)")
  }

  /// A keys file whose rate is 0, negative, not finite or absurd is refused with its
  /// reason (a rate of 0 used to trap the process on the first request), at start and on
  /// reload.
  @Test func absurdKeyRatesAreRefused() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let keys = try TestKeys(in: dir)
    let original = try String(contentsOfFile: keys.path, encoding: .utf8)
    for rate in ["0", "-5", "1e300"] {
      let edited = original.replacingOccurrences(of: #""role" : "match","#, with: #""rate_per_second" : \#(rate), "role" : "match","#)
      #expect(edited != original)
      let path = dir.path + "/keys-\(rate).json"
      try edited.write(toFile: path, atomically: true, encoding: .utf8)
      let result = try CommandRunner.run("sieve", ["serve", "--hashset", ServeCommandTests.sample, "--keys", path, "--port", "0"])
      #expect(result.status == 1 && result.stderr.contains("rate_per_second"), "\(rate): \(result.stderr)")
    }
    let badDefault = try CommandRunner.run("sieve", ["serve", "--hashset", ServeCommandTests.sample, "--keys", keys.path, "--rate-limit", "-1"])
    #expect(badDefault.status == 2 && badDefault.stderr.contains("--rate-limit"))
  }
}

extension ServeHostileInputTests {
  /// A set file rewritten in place while the service reloads it (a plain `cp` over it:
  /// truncate, then write) never kills the service: each reload either takes a whole file
  /// or reports the file and keeps the old version serving. It used to die of SIGBUS when
  /// the file was mapped.
  @Test func setRewrittenInPlaceDuringReloads() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let keys = try TestKeys(in: dir)
    let path = dir.path + "/known.sieveset"
    func setBytes(_ count: Int, seed: UInt64) throws -> [UInt8] {
      var rng = SplitMix64(seed: seed)
      let entries = (0..<count).map { i in
        HashSetEntry(id: "e\(i)", label: "example", pdq: PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()))
      }
      try BinaryHashSet.write(HashSet(name: "known", entries: entries), to: dir.path + "/tmp.sieveset")
      return try TestData.bytes(URL(fileURLWithPath: dir.path + "/tmp.sieveset"))
    }
    let large = try setBytes(300_000, seed: 1)
    let small = try setBytes(20_000, seed: 2)
    try Data(large).write(to: URL(fileURLWithPath: path))
    let server = try ServiceProcess(["--hashset", path, "--keys", keys.path])
    defer { server.stop() }

    let stop = LockedBool()
    let writer = Thread {
      var turn = 0
      while !stop.value {
        // What cp does: open with O_TRUNC, then write in chunks.
        let bytes = turn % 2 == 0 ? small : large
        let fd = open(path, O_WRONLY | O_TRUNC)
        var offset = 0
        while offset < bytes.count {
          let n = bytes[offset...].prefix(64 << 10).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
          if n <= 0 { break }
          offset += n
        }
        close(fd)
        turn += 1
      }
    }
    writer.start()
    var statuses: [Int: Int] = [:]
    let started = Date()
    // At least 6 s and 8 reloads (a loaded machine reloads slowly), at most 60 s.
    while (Date().timeIntervalSince(started) < 6 || statuses.values.reduce(0, +) < 8) && Date().timeIntervalSince(started) < 60 {
      let reply = server.request("POST", "/v1/hashsets/reload", key: keys.admin)
      statuses[reply.status, default: 0] += 1
      #expect(server.process.isRunning, "the service died: \(server.log.suffix(300))")
      if !server.process.isRunning { break }
    }
    stop.value = true
    Thread.sleep(forTimeInterval: 0.2)
    #expect(server.process.isRunning)
    #expect(Set(statuses.keys).isSubset(of: [200, 422]) && statuses.values.reduce(0, +) >= 8, "\(statuses)")
    // Whole again: the reload takes it.
    try Data(small).write(to: URL(fileURLWithPath: path))
    let final = server.request("POST", "/v1/hashsets/reload", key: keys.admin)
    #expect(final.status == 200, "\(final.text)")
    let entries = (server.request("GET", "/v1/hashsets", key: keys.admin).json()["sets"] as? [[String: Any]])?.first?["entries"]
    #expect(entries as? Int == 20_000)
  }
}

/// A plain TCP connection to the service, for clients no HTTP library would imitate.
final class RawConnection: @unchecked Sendable {
  let fd: Int32
  private(set) var closed = false

  /// Connects to the service at `port`, with a receive buffer of `receiveBuffer` bytes if
  /// given (a client that reads little).
  init(port: Int, receiveBuffer: Int32? = nil) throws {
    fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ServiceProcess.Failure("socket: \(errno)") }
    if var size = receiveBuffer {
      _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let status = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard status == 0 else {
      close(fd)
      throw ServiceProcess.Failure("connect: \(errno)")
    }
  }

  deinit { close(fd) }

  func send(_ text: String) throws {
    let bytes = Array(text.utf8)
    let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    guard sent == bytes.count else { throw ServiceProcess.Failure("send: \(errno)") }
  }

  /// Reads until the peer closes or `timeout` seconds pass.
  func readAll(timeout: TimeInterval) -> String {
    var received: [UInt8] = []
    let deadline = Date().addingTimeInterval(timeout)
    var buffer = [UInt8](repeating: 0, count: 4096)
    while Date() < deadline {
      var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      guard poll(&poller, 1, 100) > 0 else { continue }
      let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n <= 0 {
        closed = true
        break
      }
      received += buffer[0..<n]
    }
    return String(decoding: received, as: UTF8.self)
  }
}

final class LockedBool: @unchecked Sendable {
  private let lock = NSLock()
  private var stored = false
  var value: Bool {
    get { lock.lock(); defer { lock.unlock() }; return stored }
    set { lock.lock(); stored = newValue; lock.unlock() }
  }
}
