import ArgumentParser
import Dispatch
import Foundation
import SieveHashSets
import SieveServer

/// `sieve serve`: the HTTP matching service (a thin starter for SieveServer).
struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Run the HTTP matching service (in progress: no authentication yet, bind to loopback).",
    discussion: """
      Endpoints: GET /healthz, GET /readyz, GET /v1/hashsets, POST /v1/hash (image bytes),
      POST /v1/match (image bytes with Content-Type image/*, or JSON {"pdq": …, "phash": …,
      "md5": …}). Images are hashed in memory and never written or logged.
      Example:
        sieve serve --hashset known.sieveset --port 8080
        curl -s --data-binary @photo.jpg -H 'Content-Type: image/jpeg' localhost:8080/v1/match
      """
  )

  @Option(name: .customLong("hashset"), help: "A hash set to serve; repeatable.")
  var hashsets: [String] = []

  @Option(help: "Address to listen on.")
  var bind: String = "127.0.0.1"

  @Option(help: "Port to listen on (0: any free port, printed on standard error).")
  var port: Int = 8080

  @Option(help: ArgumentHelp("Largest request body (K, M, G).", valueName: "size"))
  var maxBody: ByteCount = ByteCount(32 << 20)

  @OptionGroup(title: "Match thresholds")
  var thresholds: ThresholdOptions

  @OptionGroup(title: "Reading text hash sets")
  var text: TextSetOptions

  func validate() throws {
    guard !hashsets.isEmpty else { throw ValidationError("give at least one --hashset") }
    guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
  }

  func run() throws {
    let errors = LineWriter.standardError()
    var sets: [HashSet] = []
    for path in hashsets {
      do {
        sets.append(try HashSetLoader.load(path, text: text.reader).set)
      } catch {
        errors.write("\(error)")
        throw ExitCode(ExitStatus.someFailed)
      }
    }
    let configuration = SieveService.Configuration(
      host: bind, port: port, maxBodyBytes: maxBody.bytes, matchOptions: thresholds.matchOptions())
    let done = DispatchSemaphore(value: 0)
    let failure = LockedError()
    let host = bind
    Task {
      do {
        try await SieveService.run(sets: sets, configuration: configuration) { port in
          LineWriter.standardError().write("sieve: listening on http://\(host):\(port)")
        }
      } catch {
        failure.set(error)
      }
      done.signal()
    }
    done.wait()
    if let error = failure.get() {
      errors.write("sieve: \(error)")
      throw ExitCode(ExitStatus.someFailed)
    }
  }
}

/// An error handed from the server task to the command.
final class LockedError: @unchecked Sendable {
  private let lock = NSLock()
  private var error: (any Error)?
  func set(_ value: any Error) { lock.lock(); error = value; lock.unlock() }
  func get() -> (any Error)? { lock.lock(); defer { lock.unlock() }; return error }
}
