import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SieveCase
import SieveCore
import SieveImaging
import SievePipeline
import SieveTestSupport
import Testing

@testable import SieveReview

/// The review app's routes in-process: the session token and cookie, the Host check, CSRF,
/// the security headers, every page, decisions reaching the ledger, settings kept, exports,
/// thumbnails, and names from the evidence that must not become markup.
@Suite struct ReviewRouteTests {
  static let sample = TestData.repoRoot.appendingPathComponent("hashsets/sample-fixtures.sieveset").path
  static let images = TestData.fixtureVectors.appendingPathComponent("pdq/images")

  /// A scanned case of `evidence` against the sample set, and the app over it.
  static func app(evidence: String = images.path) throws -> (TemporaryDirectory, ReviewApp) {
    let dir = try TemporaryDirectory("sieve-review-app")
    var configuration = CaseScanner.Configuration(evidence: [RawPath(evidence)], hashSetPaths: [sample])
    configuration.examiner = "Scanner"
    configuration.caseID = "R-2"
    configuration.workers = 2
    _ = try CaseScanner(caseFolder: dir.path + "/c", configuration: configuration).run { _ in }
    let app = try ReviewApp(
      configuration: .init(caseFolder: dir.path + "/c", examiner: "A. Examiner"), session: ReviewSession(token: "t0k3n", csrf: "c5rf"))
    // The router test client names its host "localhost".
    app.hosts.withLock { $0 = ["localhost"] }
    return (dir, app)
  }

  static let cookie: HTTPFields = [.cookie: "sieve_review_t0k3n=t0k3n"]

  static func form(_ pairs: [(String, String)]) -> ByteBuffer {
    ByteBuffer(string: pairs.map { "\($0.0)=\(ReviewApp.q($0.1))" }.joined(separator: "&"))
  }

  static let formHeaders: HTTPFields = [.cookie: "sieve_review_t0k3n=t0k3n", .contentType: "application/x-www-form-urlencoded"]

  static func text(_ response: TestResponse) -> String { String(buffer: response.body) }

  @Test func theTokenOpensTheSessionAndNothingElseDoes() async throws {
    let (dir, app) = try Self.app()
    defer { dir.remove() }
    try await Application(router: app.router()).test(.router) { client in
      // No cookie, a wrong cookie, a wrong token: refused.
      try await client.execute(uri: "/", method: .get) { #expect($0.status == .forbidden) }
      try await client.execute(uri: "/matches", method: .get, headers: [.cookie: "sieve_review_t0k3n=wrong"]) { #expect($0.status == .forbidden) }
      try await client.execute(uri: "/thumbs/1", method: .get) { #expect($0.status == .forbidden) }
      try await client.execute(uri: "/?token=nope", method: .get) { #expect($0.status == .forbidden) }
      // The right token sets the cookie and leaves the address without it.
      try await client.execute(uri: "/matches?token=t0k3n&state=confirmed", method: .get) { response in
        #expect(response.status == .seeOther)
        #expect(response.headers[.location] == "/matches?state=confirmed")
        let cookie = response.headers[.setCookie] ?? ""
        #expect(cookie.contains("sieve_review_t0k3n=t0k3n") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
      }
      // The address it goes back to stays on this app and keeps its query intact.
      try await client.execute(uri: "//evil.example/?token=t0k3n", method: .get) { response in
        #expect(response.headers[.location] == "/")
      }
      try await client.execute(uri: "/matches?token=t0k3n&q=a%26b%20c", method: .get) { response in
        #expect(response.headers[.location] == "/matches?q=a%26b%20c")
      }
      // Every answer carries the security headers, refusals too.
      for uri in ["/", "/nope", "/static/review.js"] {
        try await client.execute(uri: uri, method: .get, headers: Self.cookie) { response in
          #expect(response.headers[.contentSecurityPolicy] == SessionGuard.contentSecurityPolicy)
          #expect(response.headers[.xContentTypeOptions] == "nosniff")
          #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
        }
      }
    }
    // Another Host (a DNS name rebound to loopback): refused.
    app.hosts.withLock { $0 = ["127.0.0.1:9"] }
    try await Application(router: app.router()).test(.router) { client in
      try await client.execute(uri: "/", method: .get, headers: Self.cookie) { #expect($0.status == .misdirectedRequest) }
    }
  }

  /// What a page on another port of this host (same-site, not same-origin) could try: load
  /// an app address as an image (an absurd page number among them), upload without the
  /// token in the address. All refused, and the app keeps answering.
  @Test func otherSitesCanOnlyOpenPagesAndAbsurdPagesAreEmpty() async throws {
    let (dir, app) = try Self.app()
    defer { dir.remove() }
    try await Application(router: app.router()).test(.router) { client in
      var image = Self.cookie
      image[HTTPField.Name("Sec-Fetch-Site")!] = "same-site"
      image[HTTPField.Name("Sec-Fetch-Mode")!] = "no-cors"
      image[HTTPField.Name("Sec-Fetch-Dest")!] = "image"
      try await client.execute(uri: "/matches?page=9223372036854775807", method: .get, headers: image) { #expect($0.status == .forbidden) }
      var navigation = Self.cookie
      navigation[HTTPField.Name("Sec-Fetch-Site")!] = "same-site"
      navigation[HTTPField.Name("Sec-Fetch-Mode")!] = "navigate"
      navigation[HTTPField.Name("Sec-Fetch-Dest")!] = "document"
      try await client.execute(uri: "/matches?page=9223372036854775807&size=9223372036854775807", method: .get, headers: navigation) { response in
        #expect(response.status == .ok)
      }
      try await client.execute(uri: "/matches?page=-5", method: .get, headers: Self.cookie) { #expect($0.status == .ok) }
      try await client.execute(uri: "/", method: .get, headers: Self.cookie) { #expect($0.status == .ok) }
      try await client.execute(
        uri: "/similar", method: .post, headers: [.cookie: "sieve_review_t0k3n=t0k3n", .contentType: "multipart/form-data; boundary=XyZ"],
        body: ByteBuffer(string: "--XyZ--\r\n")
      ) { #expect($0.status == .forbidden) }
      // A group at a radius the page does not offer: refused, nothing computed.
      try await client.execute(
        uri: "/decide", method: .post, headers: Self.formHeaders,
        body: Self.form([("csrf", "c5rf"), ("act", "confirm"), ("group", "1"), ("radius", "96")])
      ) { #expect($0.status == .badRequest) }
    }
    #expect(ReviewApp.isLoopback("127.0.0.1") && ReviewApp.isLoopback("127.83.1.9") && ReviewApp.isLoopback("::1"))
    #expect(!ReviewApp.isLoopback("127.evil.example") && !ReviewApp.isLoopback("0.0.0.0") && !ReviewApp.isLoopback("1270.0.0.1"))
    #expect(ReviewApp.isLoopback(ReviewApp.randomLoopbackAddress()))
  }

  @Test func loopbackOnlyUnlessAskedFor() throws {
    let (dir, _) = try Self.app()
    defer { dir.remove() }
    var configuration = ReviewApp.Configuration(caseFolder: dir.path + "/c", examiner: "A")
    configuration.host = "0.0.0.0"
    #expect(throws: ReviewApp.StartError.self) { try ReviewApp(configuration: configuration) }
    configuration.allowRemote = true
    _ = try ReviewApp(configuration: configuration)
    configuration.examiner = " "
    #expect(throws: CaseError.self) { try ReviewApp(configuration: configuration) }
  }

  @Test func pagesRenderAndDecisionsReachTheLedger() async throws {
    let (dir, app) = try Self.app()
    defer { dir.remove() }
    let rows = try app.browser.matchPage(MatchFilter(), pageSize: 100).rows
    #expect(rows.count == 8)
    let (a, b) = (rows[0].fileID, rows[1].fileID)
    try await Application(router: app.router()).test(.router) { client in
      for uri in ["/", "/matches", "/matches?kind=pdq&max=0&sort=path&size=25", "/files/\(a)", "/groups", "/groups?radius=63", "/similar",
        "/similar?file=\(a)", "/settings", "/exports", "/static/sieve.css", "/static/review.js"]
      {
        try await client.execute(uri: uri, method: .get, headers: Self.cookie) { response in
          #expect(response.status == .ok, "\(uri)")
          #expect(response.headers[.cacheControl] != nil, "\(uri)")
        }
      }
      try await client.execute(uri: "/", method: .get, headers: Self.cookie) { response in
        let page = Self.text(response)
        #expect(page.contains("<svg") && page.contains("8</div><div class=\"t\">matched files"))
      }
      try await client.execute(uri: "/files/999999", method: .get, headers: Self.cookie) { #expect($0.status == .notFound) }
      // A decision without the form's token: refused, nothing recorded.
      try await client.execute(
        uri: "/decide", method: .post, headers: Self.formHeaders, body: Self.form([("act", "confirm:\(a)"), ("back", "/matches")])
      ) { #expect($0.status == .forbidden) }
      #expect(try app.ledger.entries().isEmpty)
      // One file by its row button, then the ticked ones with a category and a note.
      try await client.execute(
        uri: "/decide", method: .post, headers: Self.formHeaders,
        body: Self.form([("csrf", "c5rf"), ("act", "confirm:\(a)"), ("back", "/matches?state=unreviewed"), ("file", "\(b)")])
      ) { response in
        #expect(response.status == .seeOther)
        #expect(response.headers[.location] == "/matches?state=unreviewed#f\(a)")
      }
      try await client.execute(
        uri: "/decide", method: .post, headers: Self.formHeaders,
        body: Self.form([("csrf", "c5rf"), ("act", "categorise"), ("category", "4"), ("note", "a <b>note</b>"), ("file", "\(a)"), ("file", "\(b)"), ("back", "//evil.example/")])
      ) { response in
        #expect(response.status == .seeOther)
        #expect(response.headers[.location] == "/matches")  // never off this app
      }
      // A category not in the scheme, an unknown file, nothing ticked: refused.
      for body in [
        [("csrf", "c5rf"), ("act", "categorise"), ("category", "9"), ("file", "\(a)")], [("csrf", "c5rf"), ("act", "confirm"), ("file", "999999")],
        [("csrf", "c5rf"), ("act", "confirm")], [("csrf", "c5rf"), ("act", "explode"), ("file", "\(a)")],
      ] {
        try await client.execute(uri: "/decide", method: .post, headers: Self.formHeaders, body: Self.form(body)) { #expect($0.status == .badRequest, "\(body)") }
      }
      // The group form decides for every member.
      let group = try #require(app.browser.groups(radius: 31).first)
      try await client.execute(
        uri: "/decide", method: .post, headers: Self.formHeaders,
        body: Self.form([("csrf", "c5rf"), ("act", "false_match"), ("group", "\(group.number)"), ("radius", "31"), ("back", "/groups")])
      ) { #expect($0.status == .seeOther) }
      for file in group.files { #expect(try app.ledger.review(of: file).state == .falseMatch) }
      // The file page shows the history; the list filters by state.
      try await client.execute(uri: "/files/\(a)", method: .get, headers: Self.cookie) { response in
        let page = Self.text(response)
        #expect(page.contains("A. Examiner") && page.contains("a &lt;b&gt;note&lt;/b&gt;") && !page.contains("<b>note"))
      }
      try await client.execute(uri: "/matches?state=false_match", method: .get, headers: Self.cookie) { response in
        #expect(Self.text(response).contains("(\(group.files.count) files)"))
      }
      // Cross-site posts are refused even with the cookie and token.
      var crossSite = Self.formHeaders
      crossSite[HTTPField.Name("Sec-Fetch-Site")!] = "cross-site"
      try await client.execute(
        uri: "/decide", method: .post, headers: crossSite, body: Self.form([("csrf", "c5rf"), ("act", "confirm:\(a)")])
      ) { #expect($0.status == .forbidden) }
    }
    let entries = try app.ledger.entries()
    #expect(entries.count >= 4 && entries.allSatisfy { $0.examiner == "A. Examiner" })
    #expect(try app.ledger.review(of: a).category == 4)
    #expect(try app.ledger.verify().isIntact)
  }

  @Test func settingsAreKeptAndChecked() async throws {
    let (dir, app) = try Self.app()
    defer { dir.remove() }
    try await Application(router: app.router()).test(.router) { client in
      try await client.execute(
        uri: "/settings", method: .post, headers: Self.formHeaders,
        body: Self.form([("csrf", "c5rf"), ("blur", "12"), ("greyscale", "1"), ("key_confirm", "y")])
      ) { #expect($0.status == .seeOther) }
      // A key used twice, a blur out of range: refused, nothing changed.
      try await client.execute(
        uri: "/settings", method: .post, headers: Self.formHeaders, body: Self.form([("csrf", "c5rf"), ("key_reset", "y")])
      ) { #expect($0.status == .badRequest) }
      try await client.execute(
        uri: "/settings", method: .post, headers: Self.formHeaders, body: Self.form([("csrf", "c5rf"), ("blur", "1000")])
      ) { #expect($0.status == .badRequest) }
    }
    let kept = try ReviewSettings.load(from: app.browser.database)
    #expect(kept.blur == 12 && kept.greyscale && kept.shortcuts["confirm"] == "y" && kept.shortcuts["reset"] == "u")
  }

  @Test func thumbnailsComeFromTheEvidenceBlurredUnlessRevealed() async throws {
    let (dir, app) = try Self.app()
    defer { dir.remove() }
    let id = try app.browser.matchPage(MatchFilter()).rows[0].fileID
    try await Application(router: app.router()).test(.router) { client in
      var blurredSize = 0
      try await client.execute(uri: "/thumbs/\(id)", method: .get, headers: Self.cookie) { response in
        #expect(response.status == .ok && response.headers[.contentType] == "image/jpeg" && response.headers[.cacheControl] == "no-store")
        blurredSize = response.body.readableBytes
      }
      try await client.execute(uri: "/thumbs/\(id)?reveal=1", method: .get, headers: Self.cookie) { response in
        #expect(response.status == .ok && response.body.readableBytes > blurredSize)
        let decoded = try ImageDecoder().decodeImage(Array(buffer: response.body))
        #expect(max(decoded.width, decoded.height) <= ReviewApp.revealedSide)
      }
      try await client.execute(uri: "/thumbs/999999", method: .get, headers: Self.cookie) { #expect($0.status == .notFound) }
    }
  }

  @Test func findSimilarFromAPictureDroppedIn() async throws {
    let (dir, app) = try Self.app()
    defer { dir.remove() }
    let wee = try TestData.bytes(Self.images.appendingPathComponent("misc-images/wee.jpg"))
    var body = ByteBuffer(string: "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nc5rf\r\n")
    body.writeString("--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n")
    body.writeBytes(wee)
    body.writeString("\r\n--XyZ--\r\n")
    let upload = body
    try await Application(router: app.router()).test(.router) { client in
      try await client.execute(
        uri: "/similar?csrf=c5rf", method: .post, headers: [.cookie: "sieve_review_t0k3n=t0k3n", .contentType: "multipart/form-data; boundary=XyZ"], body: upload
      ) { response in
        let page = Self.text(response)
        #expect(response.status == .ok)
        // The closest file is the same picture, at distance 0.
        let first = try #require(page.range(of: "<td class=\"num\">"))
        #expect(page[first.upperBound...].hasPrefix("0</td>"))
        #expect(page.contains("wee.jpg"))
      }
      // Not a picture: a clear message, no crash.
      var junk = ByteBuffer(string: "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nc5rf\r\n")
      junk.writeString("--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.jpg\"\r\n\r\nnot a picture\r\n--XyZ--\r\n")
      try await client.execute(
        uri: "/similar?csrf=c5rf", method: .post, headers: [.cookie: "sieve_review_t0k3n=t0k3n", .contentType: "multipart/form-data; boundary=XyZ"], body: junk
      ) { response in
        #expect(Self.text(response).contains("could not be read"))
      }
    }
  }

  /// Paths, set names and labels come from evidence and third-party lists: with a prepend
  /// mark fused to `<` (which Mustache's own escaping, by `Character`, lets through) they
  /// must still not become markup on any page.
  @Test func namesFromTheEvidenceNeverBecomeMarkup() async throws {
    let evidence = try TemporaryDirectory("sieve-hostile")
    defer { evidence.remove() }
    let wee = try TestData.bytes(Self.images.appendingPathComponent("misc-images/wee.jpg"))
    _ = try evidence.write("\u{0600}<img src=x onerror=alert(1)>.jpg", wee)
    _ = try evidence.write("\u{0600}<script>alert(2)</script>\u{0001}.jpg", wee)
    let (dir, app) = try Self.app(evidence: evidence.path)
    defer { dir.remove() }
    let rows = try app.browser.matchPage(MatchFilter()).rows
    #expect(rows.count == 2)
    try await Application(router: app.router()).test(.router) { client in
      for uri in ["/", "/matches", "/files/\(rows[0].fileID)", "/files/\(rows[1].fileID)", "/groups", "/similar?file=\(rows[0].fileID)", "/exports"] {
        try await client.execute(uri: uri, method: .get, headers: Self.cookie) { response in
          let bytes = Array(response.body.readableBytesView)
          for needle in ["<img src=x", "<script>alert", "\u{0001}"] {
            #expect(!Self.contains(bytes, Array(needle.utf8)), "\(uri): \(needle)")
          }
        }
      }
    }
  }

  static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= hay.count else { return false }
    return (0...(hay.count - needle.count)).contains { hay[$0..<($0 + needle.count)].elementsEqual(needle) }
  }

  @Test func exportsDownloadAndAreRecorded() async throws {
    let (dir, app) = try Self.app()
    defer { dir.remove() }
    let rows = try app.browser.matchPage(MatchFilter()).rows
    try app.ledger.record(.falseMatch, files: [rows[0].fileID], examiner: "A", scheme: .projectVIC)
    try app.ledger.record(.confirm, files: [rows[1].fileID], examiner: "A", scheme: .projectVIC)
    try await Application(router: app.router()).test(.router) { client in
      for kind in ["negative", "confirmed", "vics"] {
        try await client.execute(uri: "/exports/\(kind)", method: .post, headers: Self.formHeaders, body: Self.form([("csrf", "c5rf")])) { response in
          #expect(response.status == .ok, "\(kind)")
          #expect(response.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"R-2-") == true)
          #expect(response.body.readableBytes > 0)
        }
      }
      try await client.execute(uri: "/exports/negative", method: .post, headers: Self.formHeaders, body: Self.form([("csrf", "no")])) {
        #expect($0.status == .forbidden)
      }
    }
    let formats = try app.browser.database.read { try String.fetchAll($0, sql: "SELECT format FROM reports ORDER BY id") }
    #expect(formats == ["negative-list", "hashset", "vics"])
  }
}
