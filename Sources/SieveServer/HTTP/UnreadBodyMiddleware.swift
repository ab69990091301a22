import HTTPTypes
import Hummingbird

/// Closes the connection of a request whose body no route read: one refused before its
/// body (401, 403, 429, 404, 413 from its Content-Length) or answered without it.
///
/// Hummingbird otherwise reads and drops the rest of such a body before the next request
/// on the connection, with no deadline: a client without a key could send `Content-Length:
/// 1000000000` and a byte a second, and hold the connection for ever. Here the body's
/// stream is ended at once (``UploadReader/abandon(_:)``) and the answer says
/// `Connection: close`. Requests without a body keep their connection.
struct UnreadBodyMiddleware: RouterMiddleware {
  typealias Context = SieveRequestContext

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
    do {
      var response = try await next(request, context)
      if await closeIfUnread(request, context) { response.headers[.connection] = "close" }
      return response
    } catch var error as HTTPError {
      if await closeIfUnread(request, context) { error.headers[.connection] = "close" }
      throw error
    } catch {
      _ = await closeIfUnread(request, context)
      throw error
    }
  }

  /// Ends the body's stream when the request has a body nothing read; true if it did.
  private func closeIfUnread(_ request: Request, _ context: Context) async -> Bool {
    guard request.headers.announcesBody, !context.bodyReading.hasStarted else { return false }
    await UploadReader.abandon(request.body)
    return true
  }
}
