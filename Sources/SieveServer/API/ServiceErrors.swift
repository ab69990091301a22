import Foundation
import HTTPTypes
import Hummingbird
import SieveImaging

/// Every failure of a request and the answer it gets, in one place: handlers throw what
/// went wrong (an ``ImagingError``, a ``QueryError``, a full pool, malformed JSON, an audit
/// log that cannot be written) and ``ServiceMetricsMiddleware`` answers with this. Errors
/// that are already HTTP answers (`HTTPError`: 400, 408, 413, 415 from the request's shape)
/// pass as they are.
enum ServiceErrors {
  /// The audit log could not take a result's lines: no result is given unrecorded.
  struct AuditUnavailable: Error {}

  /// The answer for `error`, counting it in `metrics`.
  static func httpError(for error: any Error, metrics: ServiceMetrics) -> HTTPError {
    switch error {
    case let error as ImagingError:
      metrics.decodeError(reason: reason(error))
      switch error {
      case .unsupportedFormat, .unrecognizedFormat: return HTTPError(.unsupportedMediaType, message: error.description)
      default: return HTTPError(.unprocessableContent, message: error.description)
      }
    case let error as QueryError:
      return HTTPError(.badRequest, message: error.description)
    case let error as HashingPool.VideoRefused:
      metrics.decodeError(reason: "video")
      return HTTPError(.unprocessableContent, message: error.reason)
    case let error as DecodingError:
      return HTTPError(.badRequest, message: message(error))
    case let busy as HashingPool.Busy:
      metrics.refused(reason: "queue_full")
      return HTTPError(
        .serviceUnavailable, headers: [.retryAfter: "1"],
        message: "all \(busy.workers) hashing workers are busy and \(busy.queueDepth) more requests are waiting; retry shortly")
    case is AuditUnavailable:
      metrics.refused(reason: "audit_log_failed")
      return HTTPError(
        .serviceUnavailable, headers: [.retryAfter: "5"], message: "the audit log cannot be written; no result is given unrecorded")
    default:
      return HTTPError(.internalServerError, message: "internal error; the request id is in the X-Request-Id header")
    }
  }

  /// A short reason for the decode-error metric.
  static func reason(_ error: ImagingError) -> String {
    switch error {
    case .empty: return "empty"
    case .unrecognizedFormat: return "unrecognized_format"
    case .unsupportedFormat: return "unsupported_format"
    case .fileTooLarge: return "too_many_bytes"
    case .tooLarge: return "too_many_pixels"
    case .implausibleSize: return "implausible_size"
    case .truncated: return "truncated"
    case .corrupt: return "corrupt"
    case .unsupported: return "unsupported"
    case .timedOut: return "timed_out"
    case .outOfMemory: return "out_of_memory"
    }
  }

  /// What is wrong with a JSON body, for a person.
  static func message(_ error: DecodingError) -> String {
    switch error {
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
      return "malformed JSON at \(path(context.codingPath)): \(context.debugDescription)"
    case .keyNotFound(let key, let context):
      return "malformed JSON: \(key.stringValue) is missing at \(path(context.codingPath))"
    default:
      return "malformed JSON: the body does not parse as JSON"
    }
  }

  static func path(_ codingPath: [any CodingKey]) -> String {
    codingPath.isEmpty ? "the top level" : codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
  }
}
