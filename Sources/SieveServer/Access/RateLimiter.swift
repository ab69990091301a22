import Foundation
import SieveCore

/// Per-key token buckets: each key may send `rate` requests per second on average and
/// up to `burst` at once. `take` answers at once: allowed, or how long until it would be.
final class RateLimiter: Sendable {
  struct Bucket {
    var tokens: Double
    var updated: UInt64
  }

  private let buckets = Locked<[String: Bucket]>([:])
  /// How many seconds of rate a bucket holds (burst = rate × this, at least 1).
  let burstSeconds: Double

  init(burstSeconds: Double = 1) {
    self.burstSeconds = burstSeconds
  }

  /// Takes one token from `key`'s bucket refilled at `rate` per second.
  ///
  /// - Returns: nil when allowed, else the seconds to wait before a token is there (at
  ///   most an hour). A rate that is not positive and finite allows nothing.
  func take(key: String, rate: Double, now: UInt64 = DispatchTime.now().uptimeNanoseconds) -> Double? {
    guard rate > 0, rate.isFinite else { return 3600 }
    return update(key: key, rate: rate, now: now) { bucket in
      if bucket.tokens >= 1 {
        bucket.tokens -= 1
        return nil
      }
      return min(3600, (1 - bucket.tokens) / rate)
    }
  }

  /// Charges `count` more tokens to `key`, whatever its bucket holds: a batch of n queries,
  /// let in by the one token its request took, leaves the bucket n − 1 tokens in debt, so a
  /// key's queries — not its requests — are held to its rate.
  func charge(key: String, rate: Double, count: Int, now: UInt64 = DispatchTime.now().uptimeNanoseconds) {
    guard rate > 0, rate.isFinite, count > 0 else { return }
    update(key: key, rate: rate, now: now) { bucket in
      // Debt is capped at an hour's worth, so that one huge charge cannot lock a key out for long.
      bucket.tokens = max(bucket.tokens - Double(count), -rate * 3600)
    }
  }

  @discardableResult
  private func update<T>(key: String, rate: Double, now: UInt64, _ body: (inout Bucket) -> T) -> T {
    let capacity = max(1, rate * burstSeconds)
    return buckets.withLock { buckets in
      var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
      let elapsed = now > bucket.updated ? Double(now - bucket.updated) / 1e9 : 0
      bucket.tokens = min(capacity, bucket.tokens + elapsed * rate)
      bucket.updated = max(now, bucket.updated)
      defer { buckets[key] = bucket }
      return body(&bucket)
    }
  }
}
