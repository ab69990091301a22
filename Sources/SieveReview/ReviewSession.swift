import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import SieveCore

/// One review session's secrets: the token in the URL `sieve review` prints (kept as a
/// cookie once used, as notebook servers do), and the token every form carries (CSRF).
public struct ReviewSession: Sendable {
  /// The token of the printed URL and of the session cookie.
  public let token: String
  /// The token forms carry; a state change without it is refused.
  public let csrf: String

  /// A new session with random tokens (32 bytes each, from the system's generator).
  public init() {
    token = Self.random()
    csrf = Self.random()
  }

  /// A session with given tokens (tests).
  public init(token: String, csrf: String) {
    self.token = token
    self.csrf = csrf
  }

  /// The session cookie's name: its own for each session (browsers share cookies between
  /// the ports of one host, so two sessions, or another local service, must not meet it
  /// under one name).
  public var cookieName: String { "sieve_review_" + String(token.prefix(8)) }

  static func random() -> String {
    SymmetricKey(size: .bits256).withUnsafeBytes { Hex.string($0) }
  }

  /// Compares in time independent of where they differ.
  static func same(_ a: String, _ b: String) -> Bool {
    let (x, y) = (Array(a.utf8), Array(b.utf8))
    guard x.count == y.count else { return false }
    var diff: UInt8 = 0
    for i in x.indices { diff |= x[i] ^ y[i] }
    return diff == 0
  }
}

/// Guards every request of the review app:
///
/// - the `Host` header must name the address served (a page of another site that a DNS
///   record points at loopback cannot read the app);
/// - the session token must come as the cookie, or once in the URL (`?token=`), which
///   sets the cookie and redirects to the same page without it;
/// - every response is marked not to be cached, not to be framed, not to be sniffed, not
///   to send a referrer, and carries a strict Content-Security-Policy: the page's own
///   scripts, styles and images only, nothing from elsewhere.
struct SessionGuard: RouterMiddleware {
  typealias Context = ReviewContext
  let session: ReviewSession
  /// Host header values accepted (`127.0.0.1:8080`, `localhost:8080`, …); empty: any.
  let hosts: @Sendable () -> Set<String>

  static let contentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
    var response: Response
    do {
      response = try await check(request, context: context, next: next)
    } catch let error as HTTPError {
      response = Self.plain(error.status, error.status == .notFound ? "No such page." : error.body ?? "\(error.status)")
    } catch {
      response = Self.plain(.internalServerError, "The review app failed on this request: \(error)")
    }
    response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
    response.headers[.xContentTypeOptions] = "nosniff"
    response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
    response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
    response.headers[HTTPField.Name("Cross-Origin-Resource-Policy")!] = "same-origin"
    response.headers[HTTPField.Name("Cross-Origin-Opener-Policy")!] = "same-origin"
    if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
    return response
  }

  private func check(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
    let allowed = hosts()
    if !allowed.isEmpty {
      guard let host = request.head.authority, allowed.contains(host.lowercased()) else {
        return Self.plain(.misdirectedRequest, "This address is not the review app's (Host header refused).")
      }
    }
    if let given = request.uri.queryParameters.get("token") {
      guard ReviewSession.same(given, session.token) else {
        return Self.plain(.forbidden, "Wrong token: open the link `sieve review` printed.")
      }
      // Keep the token as a cookie and take it out of the address bar and history.
      var query = request.uri.queryParameters.filter { $0.key != "token" }
        .map { "\(Self.encode(String($0.key)))=\(Self.encode(String($0.value)))" }.joined(separator: "&")
      if !query.isEmpty { query = "?" + query }
      // Only this app's own paths (never `//host`, which a browser reads as another site).
      let path = request.uri.path
      let safePath = path.hasPrefix("/") && !path.hasPrefix("//") && !path.contains("\\") ? path : "/"
      var response = Response(status: .seeOther, headers: [.location: safePath + query])
      response.headers[.setCookie] = "\(session.cookieName)=\(session.token); Path=/; HttpOnly; SameSite=Strict"
      return response
    }
    guard let cookie = Self.cookie(session.cookieName, in: request.headers), ReviewSession.same(cookie, session.token) else {
      return Self.plain(.forbidden, "Not signed in: open the link `sieve review` printed (it carries this session's token).")
    }
    // Another site (another port of this host is "same-site" but not this app) may only
    // open a page, never load a part of one (an image, a script) or change anything.
    if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" {
      let mode = request.headers[HTTPField.Name("Sec-Fetch-Mode")!]
      let destination = request.headers[HTTPField.Name("Sec-Fetch-Dest")!]
      let navigation = request.method == .get && mode == "navigate" && (destination == nil || destination == "document")
      if !navigation { return Self.plain(.forbidden, "Refused: the request came from another site.") }
    }
    if request.method != .get && request.method != .head {
      // A state change must come from this app's own pages.
      if let origin = request.headers[.origin], origin != "null", !allowed.isEmpty,
        !allowed.contains(where: { origin.lowercased() == "http://" + $0 })
      {
        return Self.plain(.forbidden, "Refused: the request came from another origin (\(origin)).")
      }
    }
    return try await next(request, context)
  }

  /// `value` percent-encoded for a query string.
  static func encode(_ value: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
  }

  /// The value of cookie `name`.
  static func cookie(_ name: String, in headers: HTTPFields) -> String? {
    for line in headers[values: .cookie] {
      for part in line.split(separator: ";") {
        let pair = part.trimmingCharacters(in: .whitespaces)
        if pair.hasPrefix(name + "=") { return String(pair.dropFirst(name.count + 1)) }
      }
    }
    return nil
  }

  static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
    Response(
      status: status, headers: [.contentType: "text/plain; charset=utf-8"],
      body: ResponseBody(byteBuffer: ByteBuffer(string: text + "\n")))
  }
}
