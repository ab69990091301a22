import Dispatch
import HTTPTypes
import Hummingbird
import Logging

/// The outermost middleware: times every request, counts it by route, method and status,
/// turns errors into responses here (so refused requests are counted too) and adds the
/// request id as `X-Request-Id`.
struct ServiceMetricsMiddleware: RouterMiddleware {
  typealias Context = SieveRequestContext

  let metrics: ServiceMetrics
  static let requestIDHeader = HTTPField.Name("X-Request-Id")!

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
    let start = DispatchTime.now().uptimeNanoseconds
    var response: Response
    do {
      response = try await next(request, context)
    } catch let error as any HTTPResponseError {
      response = try error.response(from: request, context: context)
    } catch {
      let answer = ServiceErrors.httpError(for: error, metrics: metrics)
      if answer.status == .internalServerError { context.logger.error("internal error: \(error)") }
      response = try answer.response(from: request, context: context)
    }
    let known = ServiceRoute.route(endpoint: context.endpointPath, path: request.uri.path)
    if response.status == .notFound, let known, known.method != request.method {
      response = try HTTPError(
        .methodNotAllowed, headers: [.allow: known.method.rawValue], message: "\(known.path) takes \(known.method.rawValue)"
      ).response(from: request, context: context)
    }
    response.headers[Self.requestIDHeader] = context.id
    let route = known?.path ?? "unmatched"
    metrics.request(
      route: route, method: request.method.rawValue, status: Int(response.status.code),
      nanoseconds: Int64(DispatchTime.now().uptimeNanoseconds - start))
    return response
  }
}
