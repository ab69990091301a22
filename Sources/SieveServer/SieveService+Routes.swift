import Dispatch
import Foundation
import Hummingbird
import NIOCore
import SieveCore
import SieveHashing
import SieveImaging
import SieveMatching
import SieveHashSets
import SievePipeline
import SieveVideo

/// The route handlers.
extension SieveService {
  func addRoutes(to router: Router<SieveRequestContext>) {
    for route in ServiceRoute.all {
      // The key and its role were checked by AuthMiddleware, on the route the router
      // matched (the one place roles are checked).
      router.on(RouterPath(String(route.path.dropFirst())), method: route.method) { request, context in
        try await self.respond(to: route, request: request, context: context)
      }
    }
  }

  func respond(to route: ServiceRoute, request: Request, context: SieveRequestContext) async throws -> Response {
    // The connection's event loop (EventLoopHTTP1Channel) is kept for short requests.
    // Uploads, batches and JSON bodies over a few KiB (vPDQ frames, anything else that is
    // decoded and echoed at length) run on Swift's global executor, as before: a large
    // body's decoding must not stall the other connections on the loop. (1 MP JPEG uploads
    // against `sieve hash`: 0.53–0.62 on the loop, 0.56–0.70 here, 0.53–0.63 before;
    // within this machine's noise.)
    if Self.runsOffTheLoop(route, request) {
      return try await withTaskExecutorPreference(globalConcurrentExecutor) {
        try await respondHere(to: route, request: request, context: context)
      }
    }
    return try await respondHere(to: route, request: request, context: context)
  }

  private func respondHere(to route: ServiceRoute, request: Request, context: SieveRequestContext) async throws -> Response {
    switch route {
    case .healthz:
      return Self.text("ok\n")
    case .readyz:
      let snapshot = registry.snapshot
      let body = API.Ready(
        ready: snapshot.ready, generation: snapshot.generation, sets: snapshot.sets.count,
        keys_stale_since: keysProblem.withLock { $0?.since })
      var response = try body.response(from: request, context: context)
      response.status = snapshot.ready ? .ok : .serviceUnavailable
      return response
    case .metrics:
      let load = pool.load
      metrics.pool(waiting: load.waiting, running: load.running)
      return Response(
        status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
    case .openAPI:
      return Response(
        status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_json)))
    case .hashsets:
      // Server paths are for operators: admin keys see them, match keys do not.
      let showPaths = keys == nil || context.key?.role.allows(.admin) == true
      return try hashSets(showPaths: showPaths).response(from: request, context: context)
    case .reload:
      let result = await reload(trigger: "POST /v1/hashsets/reload by key \(context.key?.id ?? "-")", requestedBy: context.key?.id)
      var response = try result.response(from: request, context: context)
      // A file that does not load is not a server fault: 422, with what failed (the old
      // versions keep serving).
      if !result.failed.isEmpty || result.keys_error != nil { response.status = .unprocessableContent }
      return response
    case .hash:
      return try await hash(request, context: context).response(from: request, context: context)
    case .match:
      return try await match(request, context: context).jsonResponse(from: request, context: context)
    case .batch:
      return try await batch(request, context: context).jsonResponse(from: request, context: context)
    }
  }

  // MARK: Handlers

  func hashSets(showPaths: Bool) -> API.SetsResponse {
    let snapshot = registry.snapshot
    let formatter = ISO8601DateFormatter()
    return API.SetsResponse(
      generation: snapshot.generation, ready: snapshot.ready,
      sets: snapshot.sets.map { served in
        API.SetInfo(
          name: served.set.name, path: showPaths ? served.path : nil, format: served.format, checksum: served.checksum, entries: served.set.count,
          counts: Dictionary(uniqueKeysWithValues: HashKind.allCases.map { ($0.rawValue, served.counts[$0] ?? 0) }),
          loaded_at: formatter.string(from: served.loadedAt), load_seconds: served.loadSeconds)
      })
  }

  func hash(_ request: Request, context: SieveRequestContext) async throws -> API.HashResponse {
    let start = DispatchTime.now().uptimeNanoseconds
    guard Self.isImage(request) else {
      throw HTTPError(
        .unsupportedMediaType, message: "send the image or video bytes with Content-Type image/*, video/* (or application/octet-stream)")
    }
    let (upload, _) = try await hashUpload(request, context) { _ in () }
    let hashes = Self.hashes(upload)
    try record([
      API.AuditEntry(
        event: "hash", time: Self.now(), request_id: context.id, key: context.key?.id, route: ServiceRoute.hash.path, source: "image",
        hashes: hashes)
    ])
    let total = Self.milliseconds(since: start)
    return API.HashResponse(request_id: context.id, hashes: hashes, timing: API.Timing(hash_ms: total, match_ms: 0, total_ms: total))
  }

  func match(_ request: Request, context: SieveRequestContext) async throws -> API.MatchResponse {
    let start = DispatchTime.now().uptimeNanoseconds
    let snapshot = try readySnapshot()
    let hashes: API.Hashes
    let query: MatchQuery
    let found: [API.Match]
    var hashMilliseconds: Double?
    let matchMilliseconds: Double
    let source: String
    if Self.isImage(request) {
      // Hashed and matched on the pool: eight PDQ orientations against large sets are
      // real work, kept off the event loop.
      let (upload, matched) = try await hashUpload(request, context) { upload in
        let start = DispatchTime.now().uptimeNanoseconds
        if let video = upload.video {
          // Each frame against the picture sets, the whole video against the known videos,
          // and the file's digests.
          let query = MatchQuery(digests: upload.digests.all)
          let found = snapshot.matches(forVideo: video.features) + snapshot.matches(for: query).map(API.Match.init)
          return (query, found, Self.milliseconds(since: start))
        }
        let query = MatchQuery(upload.image, digests: upload.digests)
        return (query, snapshot.matches(for: query).map(API.Match.init), Self.milliseconds(since: start))
      }
      (query, found, matchMilliseconds) = matched
      hashMilliseconds = Self.milliseconds(since: start) - matchMilliseconds
      hashes = Self.hashes(upload)
      source = upload.video == nil ? "image" : "video"
    } else if Self.isJSON(request) {
      // One hash through the index: microseconds, answered on the event loop; a long body
      // (vPDQ frames) came here on the global executor (runsOffTheLoop).
      let given = try await decodeJSON(API.Hashes.self, request, context, quick: QuickHashBody.hashes)
      query = try given.query()
      let features = try given.videoFeatures()
      var echoed = API.Hashes(query)
      echoed.vpdq = features == nil ? nil : given.vpdq
      hashes = echoed
      let matchStart = DispatchTime.now().uptimeNanoseconds
      found = (features.map { snapshot.matches(forVideo: $0) } ?? []) + snapshot.matches(for: query).map(API.Match.init)
      matchMilliseconds = Self.milliseconds(since: matchStart)
      source = features == nil ? "hashes" : "vpdq"
    } else {
      throw HTTPError(
        .unsupportedMediaType,
        message: "send image or video bytes (Content-Type image/*, video/*) or hashes (Content-Type application/json)")
    }
    let lowQuality = snapshot.isLowQuality(query)
    let versions = Self.versions(snapshot)
    try record(
      [API.AuditEntry(
        time: Self.now(), request_id: context.id, key: context.key?.id, route: ServiceRoute.match.path, source: source, hashes: hashes,
        matches: found, sets: versions)])
    count(found, source: source, queries: 1)
    return API.MatchResponse(
      request_id: context.id, hashes: hashes, matches: found, low_quality: lowQuality, sets: versions,
      timing: API.Timing(hash_ms: hashMilliseconds, match_ms: matchMilliseconds, total_ms: Self.milliseconds(since: start)))
  }

  func batch(_ request: Request, context: SieveRequestContext) async throws -> API.BatchResponse {
    let start = DispatchTime.now().uptimeNanoseconds
    let snapshot = try readySnapshot()
    guard Self.isJSON(request) else {
      throw HTTPError(.unsupportedMediaType, message: #"send {"queries": [{"pdq": …}, …]} with Content-Type application/json"#)
    }
    let body = try await decodeJSON(API.BatchRequest.self, request, context)
    guard !body.queries.isEmpty else { throw HTTPError(.badRequest, message: "queries is empty") }
    guard body.queries.count <= configuration.maxBatch else {
      throw HTTPError(.badRequest, message: "\(body.queries.count) queries; at most \(configuration.maxBatch) a call")
    }
    // Each query counts against the key's rate: the request took one token, the rest are owed.
    if let key = context.key, let rate = key.ratePerSecond ?? configuration.defaultRatePerSecond {
      limiter.charge(key: key.id, rate: rate, count: body.queries.count - 1)
    }
    var queries: [MatchQuery] = []
    for (i, item) in body.queries.enumerated() {
      do { queries.append(try item.hashes.query()) } catch { throw QueryError("queries[\(i)]: \(error)") }
    }
    let matchStart = DispatchTime.now().uptimeNanoseconds
    let queryList = queries
    // Many queries against large sets is real work: it runs on the pool, not the event loop.
    let found = try await pool.run { _ in queryList.map { snapshot.matches(for: $0).map(API.Match.init) } }
    let matchMilliseconds = Self.milliseconds(since: matchStart)
    let versions = Self.versions(snapshot)
    let time = Self.now()
    var entries: [API.AuditEntry] = []
    var results: [API.BatchResult] = []
    for (i, item) in body.queries.enumerated() {
      let query = queries[i]
      let lowQuality = snapshot.isLowQuality(query)
      results.append(API.BatchResult(ref: item.ref, matches: found[i], low_quality: lowQuality))
      entries.append(
        API.AuditEntry(
          time: time, request_id: context.id, key: context.key?.id, route: ServiceRoute.batch.path, source: "batch", ref: item.ref,
          batch_index: i, hashes: API.Hashes(query), matches: found[i], sets: versions))
    }
    try record(entries)
    count(found.flatMap { $0 }, source: "batch", queries: queries.count)
    return API.BatchResponse(
      request_id: context.id, results: results, sets: versions,
      timing: API.Timing(hash_ms: nil, match_ms: matchMilliseconds, total_ms: Self.milliseconds(since: start)))
  }

  // MARK: Helpers

  /// The current sets, or 503 while the first load is running.
  func readySnapshot() throws -> HashSetRegistry.Snapshot {
    let snapshot = registry.snapshot
    guard snapshot.ready else {
      throw HTTPError(.serviceUnavailable, headers: [.retryAfter: "5"], message: "the hash sets are still loading; see /readyz")
    }
    return snapshot
  }

  /// Reads an upload and hashes it on the pool, then runs `then` there (matching), mapping
  /// every failure to a status.
  func hashUpload<T: Sendable>(
    _ request: Request, _ context: SieveRequestContext, then: @escaping @Sendable (UploadHashes) -> T
  ) async throws -> (UploadHashes, T) {
    // The body first, within its deadline and the upload budget; a hashing place only once
    // it is all here, so a slow client never holds a worker or a queue place.
    let upload = try await uploads.read(
      request, limit: configuration.maxBodyBytes, owner: Self.owner(context), reading: context.bodyReading)
    defer { upload.release() }
    let body = upload.buffer
    guard body.readableBytes > 0 else { throw HTTPError(.badRequest, message: "the body is empty: send the image bytes") }
    let admission = try pool.admit()
    defer { admission.release() }
    return try await pool.hash(body, admission: admission, then: then)
  }

  /// Reads a JSON body (within ``Configuration/maxJSONBytes``) and decodes it; `quick`, when
  /// given, reads the common shapes first (``QuickHashBody``) and leaves the rest to
  /// `JSONDecoder` by returning nil.
  func decodeJSON<T: Decodable>(
    _ type: T.Type, _ request: Request, _ context: SieveRequestContext, quick: ((UnsafeRawBufferPointer) -> T?)? = nil
  ) async throws -> T {
    let upload = try await uploads.read(
      request, limit: configuration.maxJSONBytes, owner: Self.owner(context), reading: context.bodyReading)
    defer { upload.release() }
    let body = upload.buffer
    if let quick, let value = body.withUnsafeReadableBytes(quick) { return value }
    let decoder = JSONDecoder()
    decoder.userInfo[API.BatchRequest.maxQueriesKey] = configuration.maxBatch
    return try decoder.decode(T.self, from: Data(body.readableBytesView))
  }

  /// Appends audit lines; without them the result is not given (503).
  func record(_ entries: [API.AuditEntry]) throws {
    guard let audit else { return }
    let lines: [[UInt8]]
    do { lines = try entries.map { try $0.jsonBytes ?? Array(Self.auditEncoder.encode($0)) } } catch {
      throw HTTPError(.internalServerError, message: "an audit line could not be encoded: \(error)")
    }
    guard audit.append(lines) else { throw ServiceErrors.AuditUnavailable() }
  }

  func count(_ matches: [API.Match], source: String, queries: Int) {
    metrics.queried(source: source, count: queries)
    var counts: [String: [String: Int]] = [:]
    for match in matches { counts[match.set, default: [:]][match.kind, default: 0] += 1 }
    for (set, kinds) in counts { for (kind, n) in kinds { metrics.matched(set: set, kind: kind, count: n) } }
  }

  static func versions(_ snapshot: HashSetRegistry.Snapshot) -> [API.SetVersion] {
    snapshot.sets.map { API.SetVersion(name: $0.set.name, checksum: $0.checksum) }
  }

  /// An upload of bytes to hash: a picture or a video (found by its first bytes).
  static func isImage(_ request: Request) -> Bool {
    guard let type = request.headers.value(.contentType) else { return false }
    return type.hasASCIIPrefixIgnoringCase("image/") || type.hasASCIIPrefixIgnoringCase("video/")
      || type.hasASCIIPrefixIgnoringCase("application/octet-stream")
  }

  /// An upload's hashes as the API gives them: a picture's, or a video's features.
  static func hashes(_ upload: UploadHashes) -> API.Hashes {
    guard let video = upload.video else { return API.Hashes(upload) }
    return API.Hashes(
      video: video.features, stoppedEarly: video.stoppedEarly, digests: upload.digests.all, width: video.info.width,
      height: video.info.height)
  }

  /// Whether a request is work for the global executor rather than its event loop (see
  /// ``respond(to:request:context:)``).
  static func runsOffTheLoop(_ route: ServiceRoute, _ request: Request) -> Bool {
    switch route {
    case .hash, .batch: return true
    case .match:
      guard !isImage(request), let length = request.headers.value(.contentLength).flatMap({ Int($0) }) else { return true }
      return length > shortBodyBytes
    default: return false
    }
  }

  /// The largest body answered on the event loop: a hash-only query is about 80 bytes.
  static let shortBodyBytes = 4096

  static func isJSON(_ request: Request) -> Bool {
    request.headers.value(.contentType)?.hasASCIIPrefixIgnoringCase("application/json") == true
  }

  static func text(_ string: String) -> Response {
    Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: string)))
  }

  static func milliseconds(since start: UInt64) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
  }

  /// Who a request's body bytes are counted against: its key, else its client's address.
  static func owner(_ context: SieveRequestContext) -> String {
    if let key = context.key { return "key " + key.id }
    guard let address = context.remoteAddress else { return "-" }
    // The address without its port: all of one client's connections together.
    if address.hasPrefix("["), let end = address.firstIndex(of: "]") { return String(address[...end]) }
    return String(address.split(separator: ":").first ?? Substring(address))
  }

  /// Audit lines: sorted keys, unescaped slashes, one line each.
  static var auditEncoder: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
  }

  /// The time now, as audit lines give it (``UTCTimestamp``).
  static func now() -> String {
    UTCTimestamp.now()
  }

}
