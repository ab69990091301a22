import Foundation
import SieveTestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `sieve serve` started for real as a child process on a free loopback port, and an HTTP
/// client for it.
final class ServiceProcess: @unchecked Sendable {
  let process = Process()
  private(set) var base: URL!
  private let lock = NSLock()
  private var stderrText = ""
  /// Signalled when standard error reaches its end (the process has exited and every line
  /// it wrote has been read).
  private let stderrClosed = DispatchSemaphore(value: 0)
  private let session: URLSession

  /// One HTTP answer.
  struct Reply: Sendable {
    var status: Int
    /// Header names lower-cased.
    var headers: [String: String]
    var body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
    func json() -> [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    var errorMessage: String { (json()["error"] as? [String: Any])?["message"] as? String ?? "" }
  }

  /// Starts `sieve serve start --port 0 <arguments>` and waits until it listens (and, with
  /// `waitForReady`, until its sets are loaded).
  init(_ arguments: [String], waitForReady: Bool = true) throws {
    let configuration = URLSessionConfiguration.ephemeral
    configuration.timeoutIntervalForRequest = 60
    configuration.httpMaximumConnectionsPerHost = 16
    session = URLSession(configuration: configuration)
    process.executableURL = CommandRunner.productsDirectory.appendingPathComponent("sieve")
    process.arguments = ["serve", "start", "--port", "0"] + arguments
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let handle = errors.fileHandleForReading
    let closed = stderrClosed
    Thread.detachNewThread { [weak self] in
      while true {
        let data = handle.availableData
        if data.isEmpty {
          closed.signal()
          return
        }
        guard let self else { return }
        self.lock.lock()
        self.stderrText += String(decoding: data, as: UTF8.self)
        self.lock.unlock()
      }
    }
    guard waitFor("listening on http://", timeout: 60) else {
      process.terminate()
      throw Failure("the service did not start: \(log)")
    }
    guard let range = log.range(of: #"http://127\.0\.0\.1:\d+"#, options: .regularExpression) else {
      process.terminate()
      throw Failure(log)
    }
    base = URL(string: String(log[range]))!
    if waitForReady, !waitFor("ready:", timeout: 120) {
      process.terminate()
      throw Failure("the sets did not load: \(log)")
    }
  }

  struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
  }

  /// What the service wrote on standard error so far.
  var log: String {
    lock.lock()
    defer { lock.unlock() }
    return stderrText
  }

  /// Waits until standard error contains `text` or the process ends.
  func waitFor(_ text: String, timeout: TimeInterval = 30) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      if log.contains(text) { return true }
      if !process.isRunning { return log.contains(text) }
      Thread.sleep(forTimeInterval: 0.01)
    }
    return false
  }

  /// Sends one request and waits for the answer (status -1 when none came).
  func request(
    _ method: String = "GET", _ path: String, body: Data? = nil, type: String? = nil, key: String? = nil,
    headers: [String: String] = [:]
  ) -> Reply {
    var request = URLRequest(url: URL(string: base.absoluteString + path)!)
    request.httpMethod = method
    request.httpBody = body
    if let type { request.setValue(type, forHTTPHeaderField: "Content-Type") }
    if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    let done = DispatchSemaphore(value: 0)
    let box = ReplyBox()
    session.dataTask(with: request) { data, response, _ in
      let http = response as? HTTPURLResponse
      var headers: [String: String] = [:]
      for (name, value) in http?.allHeaderFields ?? [:] { headers["\(name)".lowercased()] = "\(value)" }
      box.set(Reply(status: http?.statusCode ?? -1, headers: headers, body: data ?? Data()))
      done.signal()
    }.resume()
    _ = done.wait(timeout: .now() + 90)
    return box.get()
  }

  /// JSON body helper.
  func post(_ path: String, json: String, key: String?) -> Reply {
    request("POST", path, body: Data(json.utf8), type: "application/json", key: key)
  }

  func signal(_ number: Int32) {
    kill(process.processIdentifier, number)
  }

  /// SIGTERM, then waits for the exit; returns the exit status.
  @discardableResult
  func stop() -> Int32 {
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    // Every line written before the exit is read before the log is looked at.
    _ = stderrClosed.wait(timeout: .now() + 10)
    stderrClosed.signal()
    session.invalidateAndCancel()
    return process.terminationStatus
  }

  private final class ReplyBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value = Reply(status: -1, headers: [:], body: Data())
    func set(_ reply: Reply) { lock.lock(); value = reply; lock.unlock() }
    func get() -> Reply { lock.lock(); defer { lock.unlock() }; return value }
  }
}

/// A keys file with one admin and one match key, made with `sieve serve keys add`.
struct TestKeys {
  let path: String
  let admin: String
  let match: String

  init(in directory: TemporaryDirectory, matchRate: Double? = nil) throws {
    path = directory.path + "/keys.json"
    admin = try Self.add(path, ["--name", "ops", "--role", "admin"])
    match = try Self.add(path, ["--name", "uploads", "--role", "match"] + (matchRate.map { ["--rate", String($0)] } ?? []))
  }

  static func add(_ path: String, _ arguments: [String]) throws -> String {
    let result = try CommandRunner.run("sieve", ["serve", "keys", "add", "--keys", path] + arguments)
    guard result.status == 0 else { throw ServiceProcess.Failure(result.stderr) }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
