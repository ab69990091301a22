import ArgumentParser
import SieveVideo
import Dispatch
import Foundation
import SieveCore
import SieveImaging
import SieveHashing
import SieveServer

/// `sieve serve`: the HTTP matching service, and its API keys.
struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Run the HTTP matching service, or manage its API keys.",
    discussion: """
      `sieve serve --hashset FILE --keys keys.json` starts the service (the `start` \
      subcommand is the default); `sieve serve keys add|list|revoke` manages the keys file. \
      Run `sieve serve start --help` for every option of the service.
      """,
    subcommands: [ServeStartCommand.self, ServeKeysCommand.self],
    defaultSubcommand: ServeStartCommand.self
  )
}

/// `sieve serve start`: runs the service until SIGTERM or SIGINT.
struct ServeStartCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "start",
    abstract: "Run the HTTP matching service (the default of `sieve serve`).",
    discussion: """
      Endpoints (JSON; GET /openapi.json describes them):
        GET  /healthz             200 while the process runs
        GET  /readyz              200 once every hash set is loaded, else 503
        GET  /metrics             Prometheus text
        GET  /openapi.json        the API description
        GET  /v1/hashsets         sets served: entries, checksum, load time
        POST /v1/hash             image bytes -> PDQ, quality, pHash, digests
        POST /v1/match            image bytes (image/*) or JSON hashes
                                  {"pdq": …, "phash": …, "md5": …} -> matches
        POST /v1/match/batch      {"queries": [{"ref": …, "pdq": …}, …]}
        POST /v1/hashsets/reload  re-read keys and sets (admin); so does SIGHUP

      Every /v1 route needs a key: `Authorization: Bearer sieve_…` (401 without, 403 when \
      its role is not enough, 429 with Retry-After over its rate; each query of a batch \
      counts). Uploads are hashed in memory on --workers threads and never written or \
      logged. A body must arrive within --body-timeout (else 408, and the connection is \
      closed); a hashing thread is taken only once it has. When --queue uploads already \
      wait, or --max-body-memory of bodies is held, the answer is 503 with Retry-After. Bad \
      input gets 400, 413, 415 or 422 with a reason. JSON bodies are limited to 1 MiB and \
      batches to 1000 queries.

      Example:
        sieve serve keys add --keys keys.json --name uploads --role match
        sieve serve --hashset known.sieveset --keys keys.json --audit-log audit.jsonl
        curl -s -H "Authorization: Bearer $KEY" -H 'Content-Type: image/jpeg' \\
          --data-binary @photo.jpg localhost:8080/v1/match
      """
  )

  @Option(name: .customLong("hashset"), help: "A hash set to serve (binary or text); repeatable.")
  var hashsets: [String] = []

  @Option(name: .customLong("negative"), help: "A negative list (.sieveset from `sieve review export --negative`): known false matches, not reported; repeatable.")
  var negative: [String] = []

  @Option(help: "The API keys file (made with `sieve serve keys add`).")
  var keys: String?

  @Flag(help: "Serve /v1 without API keys; only allowed when bound to a loopback address.")
  var noAuth = false

  @Option(help: "Append one JSON line per match query to this file (time, key, request id, hashes, matches, set versions).")
  var auditLog: String?

  @Option(help: "Address to listen on.")
  var bind: String = "127.0.0.1"

  @Option(help: "Port to listen on (0: any free port; the port is printed on standard error).")
  var port: Int = 8080

  @Option(help: "Requests per second per key, for keys without their own rate; each query of a batch counts as one (0: unlimited).")
  var rateLimit: Double = 1000

  @Option(
    help: """
      Close a connection idle for this many seconds (no request, or no bytes of one), or \
      whose client takes none of its response for as long.
      """)
  var idleTimeout: Double = 30

  @Option(help: "Answer 408 and close the connection when a request body takes longer than this many seconds to arrive.")
  var bodyTimeout: Double = 30

  @Option(help: ArgumentHelp("Request bodies held at once, being read or waiting for a worker (K, M, G); more get 503.", valueName: "size"))
  var maxBodyMemory: ByteCount = ByteCount(256 << 20)

  @Option(help: ArgumentHelp("Largest image upload (K, M, G); larger bodies get 413.", valueName: "size"))
  var maxBody: ByteCount = ByteCount(32 << 20)

  @Option(help: "Refuse uploads with more pixels than this, from the header (422).")
  var maxPixels: Int = 100_000_000

  @Option(help: "Refuse uploads over 4096x4096 declaring more than this many pixels per byte of file, and over 2048x2048 64 times as many (decompression bombs, 422; 0: no limit).")
  var maxPixelsPerByte: Int = DecodingLimits.default.maxPixelsPerByte

  @Option(help: "Give up decoding one upload after this many seconds (422). Enforced while decoding JPEG, PNG and GIF, and after HEIF; other formats are bounded by --max-pixels.")
  var maxSeconds: Double = 10

  @Option(help: "Refuse video uploads longer than this, by their header (seconds; 422).")
  var maxVideoSeconds: Double = 600

  @Option(help: "Give up on one video upload after this many seconds of decoding and hashing (422).")
  var maxVideoTime: Double = 60

  @Flag(help: "Refuse video uploads (422); hash-only queries may still carry vPDQ features.")
  var noVideo = false

  @Option(help: "Hashing threads (default: all cores).")
  var workers: Int = ProcessInfo.processInfo.activeProcessorCount

  @Option(help: "Uploads that may wait for a hashing thread before the service answers 503.")
  var queue: Int = 64

  @OptionGroup(title: "Match strategy (uploads)")
  var strategy: StrategyOptions

  @Flag(help: ArgumentHelp("Match uploads as uploaded only: the same as --strategy plain.", visibility: .hidden))
  var noDihedral = false

  @OptionGroup(title: "Match thresholds")
  var thresholds: ThresholdOptions

  @OptionGroup(title: "Reading text hash sets")
  var text: TextSetOptions

  func validate() throws {
    guard !hashsets.isEmpty else { throw ValidationError("give at least one --hashset") }
    guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
    guard keys != nil || noAuth else {
      throw ValidationError("give --keys FILE (make one with `sieve serve keys add --keys FILE --name NAME`), or --no-auth on loopback")
    }
    guard keys == nil || !noAuth else { throw ValidationError("--keys and --no-auth do not go together") }
    guard !(noDihedral && strategy.strategy != nil) else { throw ValidationError("give --strategy alone, without --no-dihedral") }
    if noAuth, !["127.0.0.1", "::1", "localhost"].contains(bind) {
      throw ValidationError("--no-auth is refused on \(bind): without keys, bind to 127.0.0.1")
    }
    guard rateLimit == 0 || APIKeyStore.isValidRate(rateLimit) else {
      throw ValidationError("--rate-limit must be 0 (unlimited) or a rate up to \(Int(APIKeyStore.maxRatePerSecond)) per second")
    }
    for (name, value) in [("--idle-timeout", idleTimeout), ("--body-timeout", bodyTimeout)] {
      guard value > 0, value <= 86_400 else { throw ValidationError("\(name) must be above 0 and at most 86400 seconds") }
    }
    guard maxBodyMemory.bytes >= maxBody.bytes else { throw ValidationError("--max-body-memory must be at least --max-body") }
    guard maxBody.bytes > 0 else { throw ValidationError("--max-body must be positive") }
    guard maxPixels > 0 else { throw ValidationError("--max-pixels must be positive") }
    guard maxPixelsPerByte >= 0 else { throw ValidationError("--max-pixels-per-byte must be 0 (no limit) or more") }
    guard maxSeconds > 0, maxSeconds.isFinite else { throw ValidationError("--max-seconds must be positive") }
    guard workers > 0 else { throw ValidationError("--workers must be at least 1") }
    guard queue >= 0 else { throw ValidationError("--queue must be 0 or more") }
  }

  func run() throws {
    let errors = LineWriter.standardError()
    var configuration = SieveService.Configuration(hashSetPaths: hashsets)
    configuration.negativePaths = negative
    configuration.host = bind
    configuration.port = port
    configuration.keysFile = keys
    configuration.auditLog = auditLog
    configuration.defaultRatePerSecond = rateLimit > 0 ? rateLimit : nil
    configuration.maxBodyBytes = maxBody.bytes
    configuration.maxBodyMemory = maxBodyMemory.bytes
    configuration.idleTimeout = .milliseconds(Int64(idleTimeout * 1000))
    configuration.bodyTimeout = .milliseconds(Int64(bodyTimeout * 1000))
    configuration.limits.maxPixels = maxPixels
    configuration.limits.maxPixelsPerByte = maxPixelsPerByte > 0 ? maxPixelsPerByte : Int.max
    configuration.limits.maxBytes = maxBody.bytes
    configuration.limits.maxSeconds = maxSeconds
    configuration.workers = workers
    configuration.queueDepth = queue
    configuration.strategy = noDihedral ? .plain : strategy.resolved
    guard maxVideoSeconds > 0, maxVideoSeconds <= 1e6, maxVideoTime > 0, maxVideoTime <= 1e6 else {
      throw ValidationError("--max-video-seconds and --max-video-time must be more than 0 (and at most 1e6)")
    }
    configuration.video =
      noVideo
      ? nil
      : VideoHasher(
        limits: VideoLimits(maxDurationSeconds: maxVideoSeconds, maxFramePixels: 4096 * 2304, maxHashedFrames: 2000, maxSeconds: maxVideoTime))
    configuration.matchOptions = thresholds.matchOptions()
    configuration.textReader = text.reader
    let service: SieveService
    do {
      service = try SieveService(configuration: configuration) { event in LineWriter.standardError().write("sieve: \(event)") }
    } catch {
      errors.write("sieve: \(error)")
      throw ExitCode(ExitStatus.someFailed)
    }
    if noAuth { errors.write("sieve: warning: --no-auth: /v1 routes answer without API keys") }
    if auditLog == nil { errors.write("sieve: no --audit-log: match queries are not recorded") }
    let host = bind
    let failure = runUntilStopped {
      try await service.run { port in
        LineWriter.standardError().write("sieve: listening on http://\(host.contains(":") ? "[\(host)]" : host):\(port)")
      }
    }
    if let error = failure {
      errors.write("sieve: \(error)")
      throw ExitCode(ExitStatus.someFailed)
    }
    errors.write("sieve: stopped")
  }
}


