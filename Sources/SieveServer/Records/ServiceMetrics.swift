import Prometheus
import SieveCore
import SieveHashSets

/// The service's Prometheus metrics, kept in its own registry (no global state, so several
/// services can run in one process) and served as text at `GET /metrics`.
final class ServiceMetrics: Sendable {
  let registry = PrometheusCollectorRegistry()

  /// Request latency buckets, 250 µs to 30 s.
  static let latencyBuckets: [Duration] = [
    .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
    .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
    .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
  ]

  /// The series of every request, kept once made: the registry builds a metric's name and
  /// looks it up on each `make…` call, which was 2 % of the service's CPU at one call per
  /// request.
  private struct RequestSeries: Hashable {
    let route: String
    let method: String
    let status: Int
  }
  private struct MatchSeries: Hashable {
    let set: String
    let kind: String
  }
  private let requestSeries = Locked<[RequestSeries: (count: Counter, duration: DurationHistogram)]>([:])
  private let matchSeries = Locked<[MatchSeries: Counter]>([:])
  private let querySeries = Locked<[String: Counter]>([:])

  /// The methods counted by name; any other a client sends is counted as `other`, so that
  /// made-up methods cannot add series without end.
  static let countedMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"]

  /// One request answered.
  func request(route: String, method: String, status: Int, nanoseconds: Int64) {
    let key = RequestSeries(route: route, method: Self.countedMethods.contains(method) ? method : "other", status: status)
    let series = requestSeries.withLock { known in
      if let series = known[key] { return series }
      let labels = [("route", key.route), ("method", key.method), ("status", String(key.status))]
      let series = (
        count: registry.makeCounter(
          descriptor: .init(namespace: "sieve", metricName: "http_requests", unitName: "total", helpText: "HTTP requests answered"),
          labels: labels),
        duration: registry.makeDurationHistogram(
          descriptor: .init(
            namespace: "sieve", metricName: "http_request_duration", unitName: "seconds", helpText: "Time to answer a request"),
          labels: labels, buckets: Self.latencyBuckets)
      )
      known[key] = series
      return series
    }
    series.count.increment()
    series.duration.recordNanoseconds(nanoseconds)
  }

  /// Matches found, by set and hash kind.
  func matched(set: String, kind: String, count: Int = 1) {
    let key = MatchSeries(set: set, kind: kind)
    let counter = matchSeries.withLock { known in
      if let counter = known[key] { return counter }
      let counter = registry.makeCounter(
        descriptor: .init(namespace: "sieve", metricName: "matches", unitName: "total", helpText: "Matches returned"),
        labels: [("set", set), ("kind", kind)])
      known[key] = counter
      return counter
    }
    counter.increment(by: Int64(count))
  }

  /// Queries matched (a batch counts each of its queries).
  func queried(source: String, count: Int = 1) {
    let counter = querySeries.withLock { known in
      if let counter = known[source] { return counter }
      let counter = registry.makeCounter(
        descriptor: .init(namespace: "sieve", metricName: "match_queries", unitName: "total", helpText: "Queries matched, by source"),
        labels: [("source", source)])
      known[source] = counter
      return counter
    }
    counter.increment(by: Int64(count))
  }

  /// An upload that could not be decoded, by reason.
  func decodeError(reason: String) {
    registry.makeCounter(
      descriptor: .init(namespace: "sieve", metricName: "decode_errors", unitName: "total", helpText: "Uploads that could not be decoded"),
      labels: [("reason", reason)]
    ).increment()
  }

  /// A request refused before its handler: auth, rate limit, full queue.
  func refused(reason: String) {
    registry.makeCounter(
      descriptor: .init(namespace: "sieve", metricName: "refused_requests", unitName: "total", helpText: "Requests refused, by reason"),
      labels: [("reason", reason)]
    ).increment()
  }

  /// A reload finished.
  func reloaded(result: String) {
    registry.makeCounter(
      descriptor: .init(namespace: "sieve", metricName: "hashset_reloads", unitName: "total", helpText: "Hash set reloads, by result"),
      labels: [("result", result)]
    ).increment()
  }

  /// Whether the keys file failed to load at the last reload, so that older keys (a
  /// revoked one included) are in force: 1 until a reload loads it.
  func keysStale(_ stale: Bool) {
    registry.makeGauge(
      descriptor: .init(
        namespace: "sieve", metricName: "keys_stale", unitName: "",
        helpText: "1 while the keys file fails to load and the previous keys stay in force"))
      .set(Double(stale ? 1 : 0))
  }

  /// The sets now served: entries by set and kind.
  func setSizes(_ sets: [HashSetRegistry.ServedSet], generation: Int) {
    for served in sets {
      for kind in HashKind.allCases {
        registry.makeGauge(
          descriptor: .init(namespace: "sieve", metricName: "hashset_entries", unitName: "", helpText: "Hashes loaded, by set and kind"),
          labels: [("set", served.set.name), ("kind", kind.rawValue)]
        ).set(Double(served.counts[kind] ?? 0))
      }
    }
    registry.makeGauge(
      descriptor: .init(namespace: "sieve", metricName: "hashset_generation", unitName: "", helpText: "Generation of the served sets"))
      .set(Double(generation))
  }

  /// The hashing pool's queue, sampled when metrics are read.
  func pool(waiting: Int, running: Int) {
    registry.makeGauge(
      descriptor: .init(namespace: "sieve", metricName: "hashing_queue", unitName: "", helpText: "Uploads waiting for a worker"))
      .set(Double(waiting))
    registry.makeGauge(
      descriptor: .init(namespace: "sieve", metricName: "hashing_running", unitName: "", helpText: "Uploads being decoded and hashed"))
      .set(Double(running))
  }

  /// The exposition text.
  func render() -> [UInt8] {
    registry.emitToBuffer()
  }
}
