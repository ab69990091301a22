import Foundation
import HTTPTypes
import Hummingbird

/// One route of the service: the table the router, the key check, the metrics labels and
/// the OpenAPI test all read, so they cannot disagree. An enum, so that a route added here
/// but not handled in ``SieveService/respond(to:request:context:)`` does not compile.
enum ServiceRoute: String, Sendable, Hashable, CaseIterable {
  case healthz, readyz, metrics, openAPI, hashsets, reload, hash, match, batch

  var method: HTTPRequest.Method {
    switch self {
    case .healthz, .readyz, .metrics, .openAPI, .hashsets: return .get
    case .reload, .hash, .match, .batch: return .post
    }
  }

  var path: String {
    switch self {
    case .healthz: return "/healthz"
    case .readyz: return "/readyz"
    case .metrics: return "/metrics"
    case .openAPI: return "/openapi.json"
    case .hashsets: return "/v1/hashsets"
    case .reload: return "/v1/hashsets/reload"
    case .hash: return "/v1/hash"
    case .match: return "/v1/match"
    case .batch: return "/v1/match/batch"
    }
  }

  /// The role a key needs; nil: open to anyone (probes, metrics, the API description).
  var role: APIKeyRole? {
    switch self {
    case .healthz, .readyz, .metrics, .openAPI: return nil
    case .hashsets, .hash, .match, .batch: return .match
    case .reload: return .admin
    }
  }

  /// The method's name, as in `GET`.
  var methodName: String { method.rawValue }

  /// Every route the service answers.
  static let all = allCases

  /// The route for a request path; nil for paths the service does not have.
  static func route(path: String) -> ServiceRoute? {
    let path = canonical(path)
    return all.first { $0.path == path }
  }

  /// The route a request reached: from the path the router matched when it matched one
  /// (so no spelling of a path can reach a route under another name), else from the path.
  static func route(endpoint: String?, path: String) -> ServiceRoute? {
    // Hummingbird names the endpoint "NotFound" once it has answered 404.
    guard let endpoint, endpoint.hasPrefix("/") else { return route(path: path) }
    return route(path: endpoint)
  }

  /// Whether a path needs an API key: everything under `/v1`, known or not, however spelled.
  static func needsKey(path: String) -> Bool {
    let path = canonical(path).lowercased()
    return path == "/v1" || path.hasPrefix("/v1/")
  }

  /// The path as the router reads it: empty segments (`//`, a trailing `/`) dropped, and
  /// percent-escapes decoded.
  static func canonical(_ path: String) -> String {
    // A path that is already canonical (every request to a route, spelled as documented)
    // is returned as it is: ASCII (no mark can join a slash into one character), no
    // escapes, no empty segments.
    let utf8 = path.utf8
    if utf8.first == 0x2F, utf8.count == 1 || utf8.last != 0x2F, !utf8.contains(where: { $0 == 0x25 || $0 >= 0x80 }) {
      var previous: UInt8 = 0
      if !utf8.contains(where: { b in defer { previous = b }; return b == 0x2F && previous == 0x2F }) { return path }
    }
    let decoded = path.removingPercentEncoding ?? path
    return "/" + decoded.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
  }
}