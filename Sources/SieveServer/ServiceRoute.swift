import Foundation
import HTTPTypes
import Hummingbird

/// One route of the service: the table the router, the key check, the metrics labels and
/// the OpenAPI test all read, so they cannot disagree.
struct ServiceRoute: Sendable, Hashable {
  var method: HTTPRequest.Method
  var path: String
  /// The role a key needs; nil: open to anyone (probes, metrics, the API description).
  var role: APIKeyRole?

  static let healthz = ServiceRoute(method: .get, path: "/healthz", role: nil)
  static let readyz = ServiceRoute(method: .get, path: "/readyz", role: nil)
  static let metrics = ServiceRoute(method: .get, path: "/metrics", role: nil)
  static let openAPI = ServiceRoute(method: .get, path: "/openapi.json", role: nil)
  static let hashsets = ServiceRoute(method: .get, path: "/v1/hashsets", role: .match)
  static let reload = ServiceRoute(method: .post, path: "/v1/hashsets/reload", role: .admin)
  static let hash = ServiceRoute(method: .post, path: "/v1/hash", role: .match)
  static let match = ServiceRoute(method: .post, path: "/v1/match", role: .match)
  static let batch = ServiceRoute(method: .post, path: "/v1/match/batch", role: .match)

  /// The method's name, as in `GET`.
  var methodName: String { method.rawValue }

  /// Every route the service answers.
  static let all: [ServiceRoute] = [healthz, readyz, metrics, openAPI, hashsets, reload, hash, match, batch]

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
    let decoded = path.removingPercentEncoding ?? path
    return "/" + decoded.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
  }
}