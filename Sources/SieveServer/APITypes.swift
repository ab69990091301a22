import Hummingbird
import SieveCore
import SieveHashing
import SieveMatching
import SievePipeline

/// The JSON bodies of the `/v1` API (see `openapi.json`). Field names are snake_case,
/// hashes lower-case hex.
enum API {
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

    init(_ upload: UploadHashes) {
      let image = upload.image
      self.init(
        pdq: image.pdq?.hash.hexString, pdq_quality: image.pdq?.quality, phash: image.phash?.hexString, md5: upload.digests.md5.hexString,
        sha1: upload.digests.sha1.hexString, sha256: upload.digests.sha256.hexString, width: image.width, height: image.height)
    }

    /// A query's hashes in canonical form (lower-case hex).
    init(_ query: MatchQuery) {
      self.init(
        pdq: query.pdq?.hexString, pdq_quality: query.pdqQuality, phash: query.phash?.hexString,
        md5: query.digests.first { $0.kind == .md5 }?.hexString, sha1: query.digests.first { $0.kind == .sha1 }?.hexString,
        sha256: query.digests.first { $0.kind == .sha256 }?.hexString)
    }

    /// The query these hashes make.
    func query() throws(HTTPError) -> MatchQuery {
      do {
        var query = MatchQuery(pdq: try pdq.map { try PDQHash(hex: $0) }, pdqQuality: pdq_quality, phash: try phash.map { try PHash(hex: $0) })
        if let md5 { query.digests.append(try ExactDigest(kind: .md5, hex: md5)) }
        if let sha1 { query.digests.append(try ExactDigest(kind: .sha1, hex: sha1)) }
        if let sha256 { query.digests.append(try ExactDigest(kind: .sha256, hex: sha256)) }
        if let quality = pdq_quality, !(0...100).contains(quality) {
          throw HTTPError(.badRequest, message: "pdq_quality must be 0 to 100")
        }
        guard query.pdq != nil || query.phash != nil || !query.digests.isEmpty else {
          throw HTTPError(.badRequest, message: "give at least one of pdq, phash, md5, sha1, sha256")
        }
        return query
      } catch let error as HTTPError {
        throw error
      } catch {
        throw HTTPError(.badRequest, message: "bad hash: \(error)")
      }
    }
  }

  struct Match: Codable, Sendable {
    var set: String
    var id: String
    var label: String
    var kind: String
    var distance: Int
    var orientation: String?

    init(_ match: SieveMatching.Match) {
      set = match.set
      id = match.id
      label = match.label
      kind = match.kind.rawValue
      distance = match.distance
      orientation = match.orientation?.name
    }
  }

  /// A set version a result was matched against.
  struct SetVersion: Codable, Sendable {
    var name: String
    var checksum: String
  }

  struct Timing: Codable, Sendable {
    var hash_ms: Double?
    var match_ms: Double
    var total_ms: Double
  }

  struct MatchResponse: ResponseEncodable, Sendable {
    var request_id: String
    var hashes: Hashes
    var matches: [Match]
    var low_quality: Bool
    var sets: [SetVersion]
    var timing: Timing
  }

  struct HashResponse: ResponseEncodable, Sendable {
    var request_id: String
    var hashes: Hashes
    var timing: Timing
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
    }
  }

  struct BatchRequest: Decodable, Sendable {
    var queries: [BatchQuery]
  }

  struct BatchResult: Codable, Sendable {
    var ref: String?
    var matches: [Match]
    var low_quality: Bool
  }

  struct BatchResponse: ResponseEncodable, Sendable {
    var request_id: String
    var results: [BatchResult]
    var sets: [SetVersion]
    var timing: Timing
  }

  struct SetInfo: Codable, Sendable {
    var name: String
    /// The file it was read from: shown to admin keys only (and without keys, on loopback).
    var path: String?
    var format: String
    var checksum: String
    var entries: Int
    var counts: [String: Int]
    var loaded_at: String
    var load_seconds: Double
  }

  struct SetsResponse: ResponseEncodable, Sendable {
    var generation: Int
    var ready: Bool
    var sets: [SetInfo]
  }

  struct ReloadFailure: Codable, Sendable {
    var path: String
    var error: String
  }

  struct ReloadResponse: ResponseEncodable, Sendable {
    var generation: Int
    var reloaded: [String]
    var unchanged: [String]
    var failed: [ReloadFailure]
    var keys: Int
    var keys_error: String?
    var seconds: Double
  }

  struct Ready: ResponseEncodable, Sendable {
    var ready: Bool
    var generation: Int
    var sets: Int
  }

  /// One audit log line.
  /// One audit line. `event` says which fields it has: `match` (a query: source, hashes,
  /// matches, set versions), `hash` (an upload hashed: its hashes), `refused` (a request
  /// turned away: status and reason), `reload` (the sets and keys re-read: trigger and
  /// outcome).
  struct AuditEntry: Encodable, Sendable {
    var event: String = "match"
    var time: String
    var request_id: String?
    var key: String?
    var route: String?
    var source: String?
    var ref: String?
    var batch_index: Int?
    var hashes: Hashes?
    var matches: [Match]?
    var sets: [SetVersion]?
    /// `refused`: the status answered and why (no_key, bad_key, forbidden, rate_limited).
    var status: Int?
    var reason: String?
    /// `refused`: the client's address.
    var client: String?
    /// `reload`: what triggered it, and its outcome.
    var trigger: String?
    var reload: ReloadResponse?
  }
}
