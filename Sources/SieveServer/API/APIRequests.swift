import SieveCore
import SieveMatching

// The request bodies of the `/v1` API, apart from the HTTP layer so that they can be
// fuzzed on their own (`Scripts/fuzz.sh service-json`).

/// Why a request's hashes make no query; the service answers 400 with it.
struct QueryError: Error, CustomStringConvertible, Sendable {
  var description: String
  init(_ description: String) { self.description = description }
}

extension API {
  /// Hashes of a query: given by the client, or computed from an upload.
  struct Hashes: Codable, Sendable {
    var pdq: String?
    var pdq_quality: Int?
    var phash: String?
    var md5: String?
    var sha1: String?
    var sha256: String?
    var width: Int?
    var height: Int?
    /// A video's vPDQ features (computed from an upload, or sent for a hash-only query).
    var vpdq: [VPDQFrame]?
    /// An uploaded video: why it was hashed only in part (the rest went unseen).
    var stopped_early: String?

    /// One hashed frame of a video.
    struct VPDQFrame: Codable, Sendable {
      var frame: Int
      var pdq: String
      var quality: Int
      var timestamp: Double
    }

    /// The most frames a hash-only video query may carry.
    static let maxVideoFrames = 20_000

    /// The video features these hashes carry, checked; nil when there are none.
    func videoFeatures() throws(QueryError) -> [VPDQFeature]? {
      guard let vpdq, !vpdq.isEmpty else { return nil }
      guard vpdq.count <= Self.maxVideoFrames else { throw QueryError("\(vpdq.count) vpdq frames; at most \(Self.maxVideoFrames)") }
      var out: [VPDQFeature] = []
      out.reserveCapacity(vpdq.count)
      for (i, f) in vpdq.enumerated() {
        let hash: PDQHash
        do { hash = try PDQHash(hex: f.pdq) } catch { throw QueryError("vpdq[\(i)]: bad PDQ hash: \(error)") }
        guard (0...100).contains(f.quality) else { throw QueryError("vpdq[\(i)]: quality must be 0 to 100") }
        guard f.frame >= 0, f.timestamp.isFinite, f.timestamp >= 0 else {
          throw QueryError("vpdq[\(i)]: frame and timestamp must be 0 or more")
        }
        out.append(VPDQFeature(frameNumber: f.frame, hash: hash, quality: f.quality, timestamp: f.timestamp))
      }
      return out
    }

    /// An uploaded video's features and digests.
    init(video features: [VPDQFeature], stoppedEarly: String?, digests: [ExactDigest], width: Int, height: Int) {
      self.init(width: width, height: height)
      vpdq = features.map {
        VPDQFrame(frame: $0.frameNumber, pdq: $0.hash.hexString, quality: $0.quality, timestamp: $0.writtenTimestamp)
      }
      stopped_early = stoppedEarly
      md5 = digests.first { $0.kind == .md5 }?.hexString
      sha1 = digests.first { $0.kind == .sha1 }?.hexString
      sha256 = digests.first { $0.kind == .sha256 }?.hexString
    }

    init(
      pdq: String? = nil, pdq_quality: Int? = nil, phash: String? = nil, md5: String? = nil, sha1: String? = nil, sha256: String? = nil,
      width: Int? = nil, height: Int? = nil
    ) {
      self.pdq = pdq
      self.pdq_quality = pdq_quality
      self.phash = phash
      self.md5 = md5
      self.sha1 = sha1
      self.sha256 = sha256
      self.width = width
      self.height = height
    }

    /// A query's hashes in canonical form (lower-case hex).
    init(_ query: MatchQuery) {
      self.init(
        pdq: query.pdq?.hexString, pdq_quality: query.pdqQuality, phash: query.phash?.hexString,
        md5: query.digests.first { $0.kind == .md5 }?.hexString, sha1: query.digests.first { $0.kind == .sha1 }?.hexString,
        sha256: query.digests.first { $0.kind == .sha256 }?.hexString)
    }

    /// The query these hashes make.
    func query() throws(QueryError) -> MatchQuery {
      do {
        var query = MatchQuery(pdq: try pdq.map { try PDQHash(hex: $0) }, pdqQuality: pdq_quality, phash: try phash.map { try PHash(hex: $0) })
        if let md5 { query.digests.append(try ExactDigest(kind: .md5, hex: md5)) }
        if let sha1 { query.digests.append(try ExactDigest(kind: .sha1, hex: sha1)) }
        if let sha256 { query.digests.append(try ExactDigest(kind: .sha256, hex: sha256)) }
        if let quality = pdq_quality, !(0...100).contains(quality) {
          throw QueryError("pdq_quality must be 0 to 100")
        }
        guard query.pdq != nil || query.phash != nil || !query.digests.isEmpty || !(vpdq ?? []).isEmpty else {
          throw QueryError("give at least one of pdq, phash, md5, sha1, sha256, vpdq")
        }
        return query
      } catch let error as QueryError {
        throw error
      } catch {
        throw QueryError("bad hash: \(error)")
      }
    }
  }

  /// One query of a batch: the hash fields of ``Hashes`` plus the client's reference.
  struct BatchQuery: Decodable, Sendable {
    /// The client's own reference for the query, echoed back.
    var ref: String?
    var hashes: Hashes

    enum CodingKeys: String, CodingKey { case ref }

    init(from decoder: any Decoder) throws {
      ref = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .ref)
      hashes = try Hashes(from: decoder)
      hashes.width = nil
      hashes.height = nil
      if hashes.vpdq != nil { throw QueryError("a video's vpdq features go to /v1/match, one video a call") }
    }
  }

  struct BatchRequest: Decodable, Sendable {
    var queries: [BatchQuery]

    /// The most queries a batch may hold, from the decoder's user info
    /// (``BatchRequest/maxQueriesKey``); checked before any query is decoded, so that a
    /// 1 MiB body of 350,000 empty objects costs a count, not 350,000 decodes.
    static let maxQueriesKey = CodingUserInfoKey(rawValue: "sieve.maxBatchQueries")!

    enum CodingKeys: String, CodingKey { case queries }

    init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: CodingKeys.self)
      var list = try container.nestedUnkeyedContainer(forKey: .queries)
      if let limit = decoder.userInfo[Self.maxQueriesKey] as? Int, let count = list.count, count > limit {
        throw QueryError("\(count) queries; at most \(limit) a call")
      }
      var queries: [BatchQuery] = []
      while !list.isAtEnd { queries.append(try list.decode(BatchQuery.self)) }
      self.queries = queries
    }
  }
}
