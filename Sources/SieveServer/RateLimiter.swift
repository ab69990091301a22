import Foundation

/// Per-key token buckets: each key may send `rate` requests per second on average and
/// up to `burst` at once. `take` answers at once: allowed, or how long until it would be.
final class RateLimiter: Sendable {
  struct Bucket {
    var tokens: Double
    var updated: UInt64
  }

  private let buckets = LockedValue<[String: Bucket]>([:])
  /// How many seconds of rate a bucket holds (burst = rate × this, at least 1).
  let burstSeconds: Double

  init(burstSeconds: Double = 1) {
    self.burstSeconds = burstSeconds
  }

  /// Takes one token from `key`'s bucket refilled at `rate` per second.
  ///
  /// - Returns: nil when allowed, else the seconds to wait before a token is there.
  func take(key: String, rate: Double, now: UInt64 = DispatchTime.now().uptimeNanoseconds) -> Double? {
    let capacity = max(1, rate * burstSeconds)
    return buckets.withLock { buckets in
      var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
      let elapsed = now > bucket.updated ? Double(now - bucket.updated) / 1e9 : 0
      bucket.tokens = min(capacity, bucket.tokens + elapsed * rate)
      bucket.updated = max(now, bucket.updated)
      defer { buckets[key] = bucket }
      if bucket.tokens >= 1 {
        bucket.tokens -= 1
        return nil
      }
      return (1 - bucket.tokens) / rate
    }
  }
}
