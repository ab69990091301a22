import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SieveCase
import SieveCore
import SieveHashSets
import SieveHashing
import SieveImaging
import SievePipeline

/// The examiner's review workspace: a local web app over a case database.
///
/// ```swift
/// let app = try ReviewApp(configuration: .init(caseFolder: "cases/2026-017", examiner: "A. Examiner"))
/// try await app.run { url in print("open \(url)") }
/// ```
///
/// - Served on loopback by default; another address only when asked for
///   (``Configuration/allowRemote``). Every request needs the session's token (the URL
///   printed, then a cookie), and its Host header must name the address served.
/// - Pages are rendered on the server and work without JavaScript; a small script adds
///   keyboard shortcuts and one-at-a-time reveals. A strict Content-Security-Policy allows
///   nothing from elsewhere; every state change carries the session's CSRF token.
/// - Thumbnails are read from the evidence read-only, blurred (and grey) by default, and
///   held only in memory.
/// - Every decision is appended to the case's ledger (``ReviewLedger``).
public final class ReviewApp: Sendable {
  /// Settings of one session.
  public struct Configuration: Sendable {
    public var caseFolder: String
    /// The examiner named in every decision.
    public var examiner: String
    public var host = "127.0.0.1"
    /// 0: a free port.
    public var port = 8765
    /// The run reviewed (default: the latest).
    public var run: Int64?
    /// Serve on an address other than loopback.
    public var allowRemote = false
    /// Largest picture dropped in for "find similar".
    public var maxUploadBytes = 32 << 20
    public var limits = DecodingLimits.default

    public init(caseFolder: String, examiner: String) {
      self.caseFolder = caseFolder
      self.examiner = examiner
    }
  }

  /// Why the app could not start.
  public enum StartError: Error, CustomStringConvertible, Equatable {
    case notLoopback(String)
    public var description: String {
      switch self {
      case .notLoopback(let host):
        return "\(host) is not a loopback address: the review app shows evidence and is served on loopback only, unless --allow-remote is given"
      }
    }
  }

  public let configuration: Configuration
  public let session: ReviewSession
  let browser: CaseBrowser
  let ledger: ReviewLedger
  let pages: ReviewPages
  let settings: Locked<ReviewSettings>
  let thumbnails = ThumbnailCache(capacityBytes: 64 << 20)
  /// Pictures decoded at once (thumbnails, pictures dropped in): one per core but one, so a
  /// core stays free for the pages.
  let decoding = WorkLimiter(width: max(1, ProcessInfo.processInfo.activeProcessorCount - 1))
  /// Pictures being dropped in at once (each held whole in memory until hashed).
  let uploadsInFlight = Locked(0)
  static let maxUploadsInFlight = 2
  /// The Host header values accepted, once the port is known.
  let hosts = Locked<Set<String>>([])

  public init(configuration: Configuration, session: ReviewSession = ReviewSession()) throws {
    if !configuration.allowRemote, !Self.isLoopback(configuration.host) { throw StartError.notLoopback(configuration.host) }
    let examiner = configuration.examiner.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !examiner.isEmpty else { throw CaseError.badDecision("the examiner's name is needed (--examiner)") }
    self.configuration = configuration
    self.session = session
    browser = try CaseBrowser(caseFolder: configuration.caseFolder, run: configuration.run)
    ledger = ReviewLedger(database: browser.database)
    pages = try ReviewPages()
    settings = Locked(try ReviewSettings.load(from: browser.database))
    if configuration.port != 0 { setPort(configuration.port) }
  }

  /// Reads what lists and groups need ahead of the first page (in the background).
  public func warmUp() {
    let browser = browser
    Task.detached(priority: .utility) {
      _ = try? browser.filterChoices()
      _ = browser.groups(radius: 31)
    }
  }

  /// Whether `host` is a loopback address: `localhost`, `::1`, or an IPv4 literal in
  /// 127.0.0.0/8 (never a name that merely starts with "127.").
  static func isLoopback(_ host: String) -> Bool {
    if host == "localhost" || host == "::1" { return true }
    let parts = host.split(separator: ".", omittingEmptySubsequences: false)
    return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { p in p.count <= 3 && UInt8(p) != nil }
  }

  /// A random address of 127.0.0.0/8 for one session (Linux answers on all of them): the
  /// browser keeps the session's cookie for that address alone, so no other service on
  /// 127.0.0.1, on whatever port, is ever sent it.
  public static func randomLoopbackAddress() -> String {
    "127.\(UInt8.random(in: 1...254)).\(UInt8.random(in: 1...254)).\(UInt8.random(in: 1...254))"
  }

  func setPort(_ port: Int) {
    var names: Set<String> = ["127.0.0.1:\(port)", "localhost:\(port)", "[::1]:\(port)"]
    names.insert("\(configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host):\(port)".lowercased())
    hosts.withLock { $0 = names }
  }

  /// The router with every route (tests drive it in-process).
  public func router() -> Router<ReviewContext> {
    let router = Router(context: ReviewContext.self)
    let hosts = self.hosts
    router.add(middleware: SessionGuard(session: session, hosts: { hosts.current }))
    addRoutes(to: router)
    return router
  }

  /// Serves until SIGINT or SIGTERM; `onRunning` gets the URL to open (with the token).
  public func run(onRunning: @escaping @Sendable (String) -> Void) async throws {
    var logger = Logger(label: "sieve-review")
    logger.logLevel = .warning
    let host = configuration.host
    let token = session.token
    warmUp()
    let app = Application(
      router: router(),
      configuration: .init(address: .hostname(host, port: configuration.port), serverName: "sieve-review"),
      onServerRunning: { channel in
        let port = channel.localAddress?.port ?? self.configuration.port
        self.setPort(port)
        let shown = host.contains(":") ? "[\(host)]" : host
        onRunning("http://\(shown):\(port)/?token=\(token)")
      },
      logger: logger)
    try await app.runService()
  }
}
