import Foundation
import Hummingbird
import Logging
import NIOCore
import SieveCore

/// The request context of the service: Hummingbird's core storage, plus the API key the
/// request was authenticated with (set by ``AuthMiddleware``).
public struct SieveRequestContext: RequestContext {
  public var coreContext: CoreRequestContextStorage
  /// The caller's key, on `/v1` routes; nil when the service runs without keys.
  var key: APIKeyStore.Record?
  /// The request's id (Hummingbird's, as `X-Request-Id` gives it), read once: Hummingbird
  /// formats it anew each time it is asked for, and each request uses it three times.
  public let id: String
  /// The client's socket address; formatted only when asked (``remoteAddress``).
  private let remoteSocketAddress: SocketAddress?
  /// Whether a route started reading the request's body (``UploadReader``); one box
  /// shared by every copy of the context, so the outermost middleware sees it.
  let bodyReading = BodyReading()

  public init(source: Source) {
    coreContext = .init(source: source)
    id = source.logger[metadataKey: "hb.request.id"]?.description ?? "-"
    remoteSocketAddress = source.channel.remoteAddress
  }

  /// The client's address and port, for the audit log.
  var remoteAddress: String? {
    remoteSocketAddress.map { address in
      address.ipAddress.map { ip in address.port.map { ip.contains(":") ? "[\(ip)]:\($0)" : "\(ip):\($0)" } ?? ip } ?? "\(address)"
    }
  }
}

extension SieveRequestContext {
  /// JSON with sorted keys and unescaped slashes: stable, diffable, readable.
  public var responseEncoder: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
  }
}

/// Whether a request's body has started being read: a body can be iterated only once, so
/// ``UnreadBodyMiddleware`` ends only a stream nothing has touched.
final class BodyReading: Sendable {
  private let started = Locked(false)

  var hasStarted: Bool { started.withLock { $0 } }

  func start() { started.withLock { $0 = true } }
}
