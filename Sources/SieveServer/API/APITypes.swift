import Hummingbird
import SieveCore
import SieveHashing
import SieveMatching
import SievePipeline

/// The JSON bodies of the `/v1` API (see `openapi.json`). Field names are snake_case,
/// hashes lower-case hex.
enum API {
  struct Match: Codable, Sendable {
    var set: String
    var id: String
    var label: String
    var kind: String
    var distance: Int
    var orientation: String?
    /// Which pictures matched when not both whole images (`query-trimmed`, `entry-crop90`…).
    var picture: String?
    /// How many unrelated images would match this closely by chance.
    var expected_false_matches: Double?
    /// PDQ: the upload's hash that matched (its own, turned or trimmed picture's).
    var query_pdq: String?
    /// A video's frame that matched a picture: its time (seconds) and number; for a known
    /// video matched whole, the first matching frame's.
    var frame_time: Double?
    var frame: Int?
    /// A known video matched whole (kind `vpdq`): vPDQ's two percentages.
    var query_match_percent: Double?
    var compared_match_percent: Double?

    /// A video frame's match.
    init(_ match: SieveMatching.Match, frame: VPDQFeature) {
      self.init(match)
      frame_time = frame.writtenTimestamp
      self.frame = frame.frameNumber
    }

    /// A known video matched whole.
    init(video match: VideoMatcher.Match, set: String) {
      self.set = set
      id = match.id
      label = match.label
      kind = "vpdq"
      distance = match.frames.map(\.distance).min() ?? 0
      query_match_percent = (match.queryMatchPercent * 10).rounded() / 10
      compared_match_percent = (match.comparedMatchPercent * 10).rounded() / 10
      frame_time = match.frames.first?.query.writtenTimestamp
      frame = match.frames.first?.query.frameNumber
    }

    init(_ match: SieveMatching.Match) {
      query_pdq = match.queryPDQ?.hexString
      picture = match.picture
      expected_false_matches = match.expectedFalseMatches
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
    /// Since when the keys file fails to load, while it does: the previous keys are in
    /// force. Why is in the log and the reload's answer (this route needs no key).
    var keys_stale_since: String?
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

extension API.Hashes {
  /// The hashes computed from an upload.
  init(_ upload: UploadHashes) {
    let image = upload.image
    self.init(
      pdq: image.pdq?.hash.hexString, pdq_quality: image.pdq?.quality, phash: image.phash?.hexString, md5: upload.digests.md5.hexString,
      sha1: upload.digests.sha1.hexString, sha256: upload.digests.sha256.hexString, width: image.width, height: image.height)
  }
}
