import Foundation
import SieveCore
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import SieveHashSets
import SieveHashing
import SieveImaging
import SieveMatching
import SievePipeline
import SieveVideo
import UnixSignals

/// The HTTP matching service: JSON endpoints under `/v1` on Hummingbird 2, for upload
/// pipelines that send each new image (or its hashes) and need an answer in milliseconds.
///
/// ```swift
/// var configuration = SieveService.Configuration(hashSetPaths: ["known.sieveset"])
/// configuration.keysFile = "keys.json"
/// let service = try SieveService(configuration: configuration)
/// try await service.run { port in print("listening on \(port)") }
/// ```
///
/// - Every `/v1` route needs an API key (``APIKeyStore``) and is rate-limited per key.
/// - Uploads are decoded and hashed in memory on a bounded pool (``HashingPool``), never
///   written or logged; a full queue answers 503 with Retry-After.
/// - Sets reload atomically (``HashSetRegistry``) on `POST /v1/hashsets/reload` or SIGHUP,
///   which also re-reads the keys file.
/// - Each match request is appended to the audit log; `/metrics` serves Prometheus text.
/// - SIGTERM and SIGINT stop accepting connections and finish the requests in flight.
public final class SieveService: Sendable {
  /// Settings for a service.
  public struct Configuration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// The hash set files, served in this order.
    public var hashSetPaths: [String]
    /// Negative lists: known false matches not to report (``NegativeList``).
    public var negativePaths: [String] = []
    public var textReader = TextHashSetReader()
    public var matchOptions = MatchOptions()
    /// The API keys file; nil runs without keys (refused unless bound to loopback).
    public var keysFile: String?
    /// Requests per second per key, for keys without their own rate; nil: unlimited. A
    /// batch counts one request per query.
    public var defaultRatePerSecond: Double? = 1000
    /// How long a connection may stay idle (no request, or no bytes of one) before it is
    /// closed; also how long a response may wait for its client to take any of it
    /// (``ResponseDeadlineHandler``). Default 30 s.
    public var idleTimeout: Duration = .seconds(30)
    /// How long a request body may take to arrive in full; slower uploads get 408 and their
    /// connection is closed. Default 30 s.
    public var bodyTimeout: Duration = .seconds(30)
    /// Bytes of request bodies held at once, being read or waiting for a worker; more get
    /// 503. Default 256 MiB.
    public var maxBodyMemory = 256 << 20
    /// The audit log (JSON lines, appended); nil: no audit log.
    public var auditLog: String?
    /// Largest image upload (413 above). Default 32 MiB.
    public var maxBodyBytes = 32 << 20
    /// Largest JSON body (413 above). Default 1 MiB, room for a full batch.
    public var maxJSONBytes = 1 << 20
    /// Most queries in one `/v1/match/batch` call.
    public var maxBatch = 1000
    /// Pixel, byte and time limits for uploads (422 with the reason when exceeded).
    public var limits: DecodingLimits
    /// Hashing threads; default one per core.
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    /// Uploads that may wait for a worker before 503.
    public var queueDepth = 64
    /// Decoding memory all workers together may reserve.
    public var memoryBudget = MemoryBudget.defaultCapacity
    /// What of each upload is hashed for PDQ matching (``MatchStrategy``): by default the
    /// picture and the picture inside its borders, each turned and flipped. Hash-only
    /// queries are matched as sent, whatever the strategy.
    public var strategy = MatchStrategy.default
    /// How uploaded videos are hashed (vPDQ), within their limits; nil: videos are refused
    /// (415). Default: 10 minutes of video at most, 60 s of work, 4K frames.
    public var video: VideoHasher? = VideoHasher(
      limits: VideoLimits(maxDurationSeconds: 600, maxFramePixels: 4096 * 2304, maxHashedFrames: 2000, maxSeconds: 60))

    public init(hashSetPaths: [String]) {
      self.hashSetPaths = hashSetPaths
      var limits = DecodingLimits.default
      limits.maxSeconds = 10
      self.limits = limits
    }
  }

  public let configuration: Configuration
  /// The sets served.
  public let registry: HashSetRegistry
  let keys: Locked<APIKeyStore>?
  /// Set while the keys file fails to load on reload (the previous keys are in force):
  /// why, and since when.
  let keysProblem = Locked<(message: String, since: String)?>(nil)
  let limiter = RateLimiter()
  let pool: HashingPool
  let uploads: UploadReader
  let audit: AuditLog?
  let metrics = ServiceMetrics()
  /// Human-readable events (listening, reloads), for the command to print.
  let onEvent: @Sendable (String) -> Void

  /// Reads the keys file and opens the audit log; the sets load when the service runs.
  public init(configuration: Configuration, onEvent: @escaping @Sendable (String) -> Void = { _ in }) throws(ServiceError) {
    guard !configuration.hashSetPaths.isEmpty else { throw .configuration("give at least one hash set") }
    self.configuration = configuration
    self.onEvent = onEvent
    registry = HashSetRegistry(
      paths: configuration.hashSetPaths, negativePaths: configuration.negativePaths, textReader: configuration.textReader, matchOptions: configuration.matchOptions)
    if let path = configuration.keysFile {
      do { keys = Locked(try APIKeyStore.load(path)) } catch { throw .keys(error) }
    } else {
      keys = nil
    }
    audit = try configuration.auditLog.map { path throws(ServiceError) in try AuditLog(path: path) }
    uploads = UploadReader(budget: UploadBudget(capacity: configuration.maxBodyMemory))
    pool = HashingPool(
      workers: configuration.workers, queueDepth: configuration.queueDepth, limits: configuration.limits,
      memoryBudget: configuration.memoryBudget, strategy: configuration.strategy, video: configuration.video)
  }

  /// The router with every route and middleware.
  public func router() -> Router<SieveRequestContext> {
    let router = Router(context: SieveRequestContext.self)
    router.add(middleware: UnreadBodyMiddleware())
    router.add(middleware: ServiceMetricsMiddleware(metrics: metrics))
    router.add(
      middleware: AuthMiddleware(
        keys: keys, limiter: limiter, defaultRate: configuration.defaultRatePerSecond, metrics: metrics, audit: audit))
    addRoutes(to: router)
    return router
  }

  /// Runs until SIGTERM or SIGINT: listens at once (`/healthz` answers, `/readyz` says
  /// 503 until every set is loaded), loads the sets, then serves; SIGHUP reloads.
  /// Throws when the first load fails, after which nothing is served.
  public func run(onRunning: @escaping @Sendable (Int) -> Void) async throws {
    let (bodyTimeout, responseTimeout) = (configuration.bodyTimeout, configuration.idleTimeout)
    let logger = Logger(label: "sieve") { ServiceLogHandler(label: $0, logLevel: .warning) }
    let app = Application(
      router: router(),
      server: .http1OnEventLoops(
        configuration: .init(
          additionalChannelHandlers: [
            BodyDeadlineHandler(timeout: bodyTimeout), ResponseDeadlineHandler(timeout: responseTimeout),
          ],
          idleTimeout: TimeAmount(configuration.idleTimeout))),
      configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "sieve"),
      services: [Maintenance(service: self)],
      onServerRunning: { channel in onRunning(channel.localAddress?.port ?? self.configuration.port) },
      logger: logger)
    try await app.runService()
  }

  /// Reloads the keys file and every hash set (the admin route and SIGHUP).
  func reload(trigger: String, requestedBy: String? = nil) async -> API.ReloadResponse {
    let keys = keys
    let keysFile = configuration.keysFile
    let (keysProblem, metrics) = (keysProblem, metrics)
    let (report, keysError) = await registry.reload { () -> String? in
      guard let keys, let keysFile else { return nil }
      do {
        let store = try APIKeyStore.load(keysFile)
        keys.withLock { $0 = store }
        keysProblem.withLock { $0 = nil }
        metrics.keysStale(false)
        return nil
      } catch {
        // The previous keys stay in force: refusing every key for a typo would take the
        // service down. But a key the broken edit meant to revoke still works, so the
        // problem stays visible (/readyz, the sieve_keys_stale gauge) until a good file loads.
        metrics.keysStale(true)
        return keysProblem.withLock { problem -> String in
          let since = problem?.since ?? Self.now()
          problem = (message: "\(error) (the previous keys stay in force, revoked ones included, since \(since))", since: since)
          return problem!.message
        }
      }
    }
    let snapshot = registry.snapshot
    metrics.setSizes(snapshot.sets, generation: snapshot.generation)
    metrics.reloaded(result: report.failed.isEmpty && keysError == nil ? "ok" : "failed")
    var summary = "reload (\(trigger)): generation \(report.generation), \(report.reloaded.count) reloaded, \(report.unchanged.count) unchanged"
    for failure in report.failed { summary += "; FAILED \(failure.path): \(failure.error) (the old set keeps serving)" }
    if let keysError { summary += "; keys: \(keysError)" }
    onEvent(summary)
    let response = API.ReloadResponse(
      generation: report.generation, reloaded: report.reloaded, unchanged: report.unchanged,
      failed: report.failed.map { API.ReloadFailure(path: $0.path, error: $0.error) },
      keys: keys?.withLock { $0.records.filter { $0.revoked == nil }.count } ?? 0,
      keys_error: keysError, seconds: report.seconds)
    if let audit {
      let entry = API.AuditEntry(
        event: "reload", time: Self.now(), key: requestedBy, sets: Self.versions(snapshot), trigger: trigger, reload: response)
      if let line = try? Self.auditEncoder.encode(entry), !audit.append([Array(line)]) {
        onEvent("audit log \(audit.path): the reload could not be recorded")
      }
    }
    return response
  }

  /// Loads the sets, then waits for SIGHUP (reload) and syncs the audit log each second,
  /// until graceful shutdown.
  struct Maintenance: Service {
    let service: SieveService

    func run() async throws {
      let started = Date()
      // Trap SIGHUP first: a hang-up during the first load must not end the process.
      let hangups = await UnixSignalsSequence(trapping: .sighup)
      try await service.registry.loadAll()
      let snapshot = service.registry.snapshot
      service.metrics.setSizes(snapshot.sets, generation: snapshot.generation)
      let entries = snapshot.sets.reduce(0) { $0 + $1.set.count }
      service.onEvent(
        "ready: \(snapshot.sets.count) hash sets, \(entries) entries, loaded in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
      await cancelWhenGracefulShutdown {
        await withDiscardingTaskGroup { group in
          group.addTask {
            for await _ in hangups {
              // The audit log first: logrotate renames it and sends SIGHUP.
              do { try service.audit?.reopen() } catch { service.onEvent("\(error) (the old file stays in use)") }
              _ = await service.reload(trigger: "SIGHUP")
            }
          }
          group.addTask {
            while !Task.isCancelled {
              try? await Task.sleep(for: .seconds(1))
              service.audit?.syncIfNeeded()
            }
          }
        }
      }
      service.audit?.syncIfNeeded()
    }
  }
}
