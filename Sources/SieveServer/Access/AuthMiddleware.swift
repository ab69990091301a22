import Foundation
import SieveCore
import HTTPTypes
import Hummingbird

/// Checks the API key of every `/v1` request (401 without a valid key, 403 when its role
/// is not enough) and its key's rate (429 with Retry-After), before any body is read.
///
/// The key is sent as `Authorization: Bearer sieve_…` or `X-API-Key: sieve_…`.
struct AuthMiddleware: RouterMiddleware {
  typealias Context = SieveRequestContext

  /// Nil: no keys (the service was started with --no-auth).
  let keys: Locked<APIKeyStore>?
  let limiter: RateLimiter
  /// Requests per second for keys without their own rate; nil: unlimited.
  let defaultRate: Double?
  let metrics: ServiceMetrics
  /// Where refused requests are recorded; nil: no audit log.
  let audit: AuditLog?
  /// Refusals recorded per client address: at most ``refusalLinesPerSecond`` a second
  /// (a burst of as many), so that a client without a key cannot fill the disk with them
  /// (the rest are counted in the metrics only).
  let refusalLog = RateLimiter()
  /// Keys that passed lately (``VerifiedKeyCache``).
  let verified = VerifiedKeyCache()
  static let refusalLinesPerSecond = 10.0
  /// The longest request path written in a refusal line.
  static let maxLoggedPath = 256

  static let apiKeyHeader = HTTPField.Name("X-API-Key")!

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
    let path = request.uri.path
    let route = ServiceRoute.route(endpoint: context.endpointPath, path: path)
    guard route?.role != nil || ServiceRoute.needsKey(path: path), let keys else { return try await next(request, context) }
    guard let presented = Self.presentedKey(request) else {
      refuse(request, context, status: 401, reason: "no_key", key: nil)
      throw HTTPError(
        .unauthorized, headers: [.wwwAuthenticate: "Bearer realm=\"sieve\""],
        message: "this route needs an API key: send Authorization: Bearer <key> (keys are made with `sieve serve keys add`)")
    }
    guard let record = verified.authenticate(presented, in: keys.current) else {
      refuse(request, context, status: 401, reason: "bad_key", key: nil)
      throw HTTPError(
        .unauthorized, headers: [.wwwAuthenticate: "Bearer realm=\"sieve\", error=\"invalid_token\""],
        message: "the API key is unknown, revoked or mistyped")
    }
    let required = route?.role ?? .match
    guard record.role.allows(required) else {
      refuse(request, context, status: 403, reason: "forbidden", key: record.id)
      throw HTTPError(.forbidden, message: "key \(record.id) has role \(record.role.rawValue); this route needs \(required.rawValue)")
    }
    if let rate = record.ratePerSecond ?? defaultRate, let wait = limiter.take(key: record.id, rate: rate) {
      refuse(request, context, status: 429, reason: "rate_limited", key: record.id)
      let seconds = max(1, Int(wait.rounded(.up)))
      throw HTTPError(
        .tooManyRequests, headers: [.retryAfter: String(seconds)],
        message: "key \(record.id) is over its rate of \(rate) requests per second; retry after \(seconds) s")
    }
    var context = context
    context.key = record
    return try await next(request, context)
  }

  /// Counts a refused request and appends it to the audit log (best effort: a refusal is
  /// answered even when the log cannot be written; the failure is counted).
  private func refuse(_ request: Request, _ context: Context, status: Int, reason: String, key: String?) {
    metrics.refused(reason: reason)
    guard let audit else { return }
    guard refusalLog.take(key: context.remoteAddress ?? "-", rate: Self.refusalLinesPerSecond) == nil else { return }
    let path = request.uri.path
    let entry = API.AuditEntry(
      event: "refused", time: SieveService.now(), request_id: context.id, key: key,
      route: path.utf8.count > Self.maxLoggedPath ? String(decoding: path.utf8.prefix(Self.maxLoggedPath), as: UTF8.self) + "…" : path,
      status: status, reason: reason, client: context.remoteAddress)
    if let line = try? SieveService.auditEncoder.encode(entry) { audit.append([Array(line)]) }
  }

  static func presentedKey(_ request: Request) -> String? {
    if let authorization = request.headers.value(.authorization) { return bearerToken(authorization) }
    return request.headers.value(apiKeyHeader)
  }

  /// The token of an `Authorization: Bearer <token>` value (the scheme in any case, the
  /// token without the blanks around it), or nil for another scheme. Read by hand: this
  /// runs on every request, and Foundation's trimming was 2 % of the service's CPU.
  static func bearerToken(_ authorization: String) -> String? {
    let parts = authorization.split(separator: " ", maxSplits: 1)
    guard parts.count == 2, parts[0].hasASCIIPrefixIgnoringCase("bearer"), parts[0].utf8.count == 6 else { return nil }
    // Blanks as Foundation's `CharacterSet.whitespaces` (CoreFoundation's list): tab,
    // space, no-break space, the other space separators, and the zero-width space.
    func isBlank(_ scalar: Unicode.Scalar) -> Bool {
      switch scalar.value {
      case 0x09, 0x20, 0xA0, 0x1680, 0x2000...0x200B, 0x202F, 0x205F, 0x3000: true
      default: false
      }
    }
    var token = parts[1].unicodeScalars[...]
    while let first = token.first, isBlank(first) { token.removeFirst() }
    while let last = token.last, isBlank(last) { token.removeLast() }
    return String(Substring(token))
  }
}
