import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SieveCase
import SieveCore
import SieveHashSets
import SieveHashing
import SieveImaging
import SievePipeline

extension ReviewApp {
  /// Largest form body (decisions, settings).
  static let maxFormBytes = 1 << 20
  /// Side of a revealed thumbnail, in pixels.
  static let revealedSide = 240
  /// Link radii offered on the groups page.
  static let groupRadii: [(Int, String)] = [(16, "copies and re-encodes"), (31, "near-duplicates (PDQ's threshold)"), (63, "series: pictures of one folder, looser")]

  func addRoutes(to router: Router<ReviewContext>) {
    router.get("/") { _, _ in try self.overviewPage() }
    router.get("/matches") { request, _ in try self.matchesPage(request) }
    router.get("/files/:id") { request, context in
      guard let id = context.parameters.get("id", as: Int64.self) else { return self.message(.notFound, "No such file", "The file id is not a number.") }
      return try self.filePage(id, reveal: request.uri.queryParameters.get("reveal") == "1")
    }
    router.get("/thumbs/:id") { request, context in
      guard let id = context.parameters.get("id", as: Int64.self) else { return SessionGuard.plain(.notFound, "no such file") }
      return try await self.thumbnail(id, reveal: request.uri.queryParameters.get("reveal") == "1")
    }
    router.get("/groups") { request, _ in self.groupsPage(request) }
    router.get("/similar") { request, _ in try self.similarPage(request) }
    router.post("/similar") { request, _ in try await self.similarUpload(request) }
    router.post("/decide") { request, _ in try await self.decide(request) }
    router.get("/settings") { _, _ in self.settingsPage() }
    router.post("/settings") { request, _ in try await self.saveSettings(request) }
    router.get("/exports") { _, _ in try self.exportsPage() }
    router.post("/exports/:kind") { request, context in try await self.export(context.parameters.get("kind") ?? "", request) }
    // Browsers ask for it on every first load: nothing, and no 404 in their console.
    router.get("/favicon.ico") { _, _ in Response(status: .noContent) }
    router.get("/static/sieve.css") { _, _ in
      Self.response(.ok, PageStyle.css, type: "text/css; charset=utf-8", cache: "private, max-age=300")
    }
    router.get("/static/review.js") { _, _ in
      Self.response(.ok, ReviewPages.script, type: "text/javascript; charset=utf-8", cache: "private, max-age=300")
    }
  }

  // MARK: - Helpers

  static func response(_ status: HTTPResponse.Status, _ text: String, type: String = "text/html; charset=utf-8", cache: String? = nil) -> Response {
    var headers: HTTPFields = [.contentType: type]
    if let cache { headers[.cacheControl] = cache }
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
  }

  static func redirect(_ location: String) -> Response {
    Response(status: .seeOther, headers: [.location: location])
  }

  /// Values every page has.
  func common(_ title: String, nav: String) -> [String: Any] {
    let s = settings.current
    let shortcuts = (try? JSONSerialization.data(withJSONObject: s.shortcuts, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    return [
      "title": title, "caseID": browser.run.info.caseID, "runID": browser.run.id, "examiner": configuration.examiner, "csrf": session.csrf,
      "shortcutsJSON": shortcuts, "toolVersion": ToolVersion.description, nav: true, "grey": s.greyscale,
    ]
  }

  func page(_ template: String, title: String, nav: String, _ values: [String: Any]) -> Response {
    Self.response(.ok, pages.render(template, values, common: common(title, nav: nav)))
  }

  func message(_ status: HTTPResponse.Status, _ heading: String, _ text: String, back: String = "/") -> Response {
    Self.response(status, pages.render("message", ["heading": heading, "message": text, "back": back], common: common(heading, nav: "")))
  }

  /// `value` percent-encoded for a query string.
  static func q(_ value: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
  }

  /// A local path to go back to: only this app's own paths (`/…`, never `//…`).
  static func safeBack(_ back: String?) -> String {
    guard let back, back.hasPrefix("/"), !back.hasPrefix("//"), !back.contains("\\"),
      !back.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
    else { return "/matches" }
    return back
  }

  func categoryTitle(_ id: Int?) -> String? {
    id.map { settings.current.scheme.title($0) }
  }

  func reviewValues(_ review: ReviewLedger.Review) -> [String: Any] {
    var v: [String: Any] = ["state": review.state.rawValue, "stateTitle": review.state.title, "note": false]
    if !review.note.isEmpty { v["note"] = review.note }
    if let c = categoryTitle(review.category) { v["category"] = c }
    return v
  }

  func readForm(_ request: Request, limit: Int = ReviewApp.maxFormBytes) async throws -> FormData {
    let buffer = try await request.body.collect(upTo: limit)
    let bytes = Array(buffer.readableBytesView)
    let type = request.headers[.contentType] ?? ""
    if type.lowercased().hasPrefix("multipart/form-data") {
      let boundary = type.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        .first { $0.lowercased().hasPrefix("boundary=") }.map { String($0.dropFirst(9)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) } ?? ""
      return FormData(multipart: bytes, boundary: boundary) ?? FormData()
    }
    return FormData(urlEncoded: bytes)
  }

  func csrfIsGood(_ form: FormData) -> Bool {
    ReviewSession.same(form.value("csrf") ?? "", session.csrf)
  }

  static func dateText(_ t: Double?) -> String {
    guard let t else { return "—" }
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    return f.string(from: Date(timeIntervalSince1970: t))
  }
}
