import Foundation
import Hummingbird
import SieveCore
import SieveHashSets
import SieveHashing
import SieveImaging
import SieveMatching

/// The HTTP matching service: JSON endpoints under `/v1` on Hummingbird 2.
///
/// This is the first part of the service (issue 5): health and readiness, the loaded
/// sets, hashing and matching of uploaded images or of hashes. Authentication, rate
/// limits, reload, metrics, the audit log and the bounded decode pool come next.
public enum SieveService {
  /// Settings for a service.
  public struct Configuration: Sendable {
    public var host: String
    public var port: Int
    /// The largest request body accepted (413 above). Default 32 MiB.
    public var maxBodyBytes: Int
    public var limits: DecodingLimits
    public var matchOptions: MatchOptions

    public init(
      host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 32 << 20, limits: DecodingLimits = .default,
      matchOptions: MatchOptions = MatchOptions()
    ) {
      self.host = host
      self.port = port
      self.maxBodyBytes = maxBodyBytes
      self.limits = limits
      self.matchOptions = matchOptions
    }
  }

  /// JSON bodies.
  struct HashesJSON: Codable, Sendable {
    var pdq: String?
    var pdq_quality: Int?
    var phash: String?
    var md5: String?
    var sha1: String?
    var sha256: String?
    var width: Int?
    var height: Int?
  }

  struct MatchJSON: Codable, Sendable {
    var set: String
    var id: String
    var label: String
    var kind: String
    var distance: Int
    var orientation: String?
  }

  struct MatchResponse: ResponseEncodable, Sendable {
    var hashes: HashesJSON
    var matches: [MatchJSON]
    var low_quality: Bool
    var timing_ms: Double
  }

  struct HashResponse: ResponseEncodable, Sendable {
    var hashes: HashesJSON
    var timing_ms: Double
  }

  struct SetInfo: ResponseEncodable, Sendable {
    var name: String
    var entries: Int
    var pdq: Int
    var phash: Int
    var md5: Int
    var sha1: Int
    var sha256: Int
  }

  /// Builds the router over `sets`.
  public static func router(sets: [HashSet], configuration: Configuration) -> Router<BasicRequestContext> {
    let matcher = Matcher(sets: sets, options: configuration.matchOptions)
    let router = Router()
    router.get("healthz") { _, _ in "ok\n" }
    router.get("readyz") { _, _ in "ready: \(sets.count) hash sets\n" }
    router.get("v1/hashsets") { _, _ in
      sets.map {
        SetInfo(
          name: $0.name, entries: $0.count, pdq: $0.count(of: .pdq), phash: $0.count(of: .phash), md5: $0.count(of: .md5),
          sha1: $0.count(of: .sha1), sha256: $0.count(of: .sha256))
      }
    }
    router.post("v1/hash") { request, _ in
      let start = Date()
      let body = try await Self.body(request, configuration)
      guard Self.isImage(request) else { throw HTTPError(.unsupportedMediaType, message: "send the image bytes with Content-Type image/*") }
      let hashes = try Self.hash(body, configuration)
      return HashResponse(hashes: Self.json(hashes), timing_ms: Date().timeIntervalSince(start) * 1000)
    }
    router.post("v1/match") { request, _ in
      let start = Date()
      let body = try await Self.body(request, configuration)
      var query: MatchQuery
      var hashesJSON: HashesJSON
      if Self.isImage(request) {
        let hashes = try Self.hash(body, configuration)
        hashesJSON = Self.json(hashes)
        query = MatchQuery(
          pdq: hashes.pdq?.hash, pdqQuality: hashes.pdq?.quality, pdqDihedral: hashes.pdq?.dihedral, phash: hashes.phash)
      } else if request.headers[.contentType]?.hasPrefix("application/json") == true {
        do {
          hashesJSON = try JSONDecoder().decode(HashesJSON.self, from: Data(body))
          query = try Self.query(hashesJSON)
        } catch let error as HTTPError {
          throw error
        } catch {
          throw HTTPError(.badRequest, message: "malformed JSON: \(error)")
        }
      } else {
        throw HTTPError(.unsupportedMediaType, message: "send image/* bytes or application/json hashes")
      }
      let matches = matcher.matches(for: query).map {
        MatchJSON(set: $0.set, id: $0.id, label: $0.label, kind: $0.kind.rawValue, distance: $0.distance, orientation: $0.orientation?.name)
      }
      let lowQuality = query.pdq != nil && !matcher.pdqQualityIsEnough(query.pdqQuality)
      return MatchResponse(hashes: hashesJSON, matches: matches, low_quality: lowQuality, timing_ms: Date().timeIntervalSince(start) * 1000)
    }
    return router
  }

  static func isImage(_ request: Request) -> Bool {
    request.headers[.contentType]?.lowercased().hasPrefix("image/") == true
      || request.headers[.contentType]?.lowercased().hasPrefix("application/octet-stream") == true
  }

  static func body(_ request: Request, _ configuration: Configuration) async throws -> [UInt8] {
    var request = request
    do {
      let buffer = try await request.collectBody(upTo: configuration.maxBodyBytes)
      return Array(buffer.readableBytesView)
    } catch {
      throw HTTPError(.contentTooLarge, message: "the body is over the \(configuration.maxBodyBytes)-byte limit")
    }
  }

  static func hash(_ bytes: [UInt8], _ configuration: Configuration) throws -> ImageHashes {
    var hasher = ImageHasher(decoder: ImageDecoder(limits: configuration.limits), options: HashOptions(dihedral: true))
    do {
      return try hasher.hash(bytes)
    } catch let error as ImagingError {
      throw HTTPError(.unprocessableContent, message: error.description)
    }
  }

  static func json(_ h: ImageHashes) -> HashesJSON {
    HashesJSON(pdq: h.pdq?.hash.hexString, pdq_quality: h.pdq?.quality, phash: h.phash?.hexString, width: h.width, height: h.height)
  }

  static func query(_ j: HashesJSON) throws -> MatchQuery {
    do {
      var query = MatchQuery(pdq: try j.pdq.map { try PDQHash(hex: $0) }, pdqQuality: j.pdq_quality, phash: try j.phash.map { try PHash(hex: $0) })
      if let md5 = j.md5 { query.digests.append(try ExactDigest(kind: .md5, hex: md5)) }
      if let sha1 = j.sha1 { query.digests.append(try ExactDigest(kind: .sha1, hex: sha1)) }
      if let sha256 = j.sha256 { query.digests.append(try ExactDigest(kind: .sha256, hex: sha256)) }
      guard query.pdq != nil || query.phash != nil || !query.digests.isEmpty else {
        throw HTTPError(.badRequest, message: "give at least one of pdq, phash, md5, sha1, sha256")
      }
      return query
    } catch let error as HashParseError {
      throw HTTPError(.badRequest, message: "bad hash: \(error)")
    }
  }
}

extension SieveService {
  /// Runs the service until SIGTERM or SIGINT (graceful shutdown through
  /// swift-service-lifecycle), calling `onRunning` with the bound port.
  public static func run(sets: [HashSet], configuration: Configuration, onRunning: @escaping @Sendable (Int) -> Void) async throws {
    let app = Application(
      router: router(sets: sets, configuration: configuration),
      configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "sieve"),
      onServerRunning: { channel in onRunning(channel.localAddress?.port ?? configuration.port) })
    try await app.runService()
  }
}
