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

/// The pages that show the case: overview, matches, a file, thumbnails, groups, find similar.
extension ReviewApp {
  // MARK: - Overview

  func overviewPage() throws -> Response {
    let o = try browser.overview()
    let run = browser.run
    let scheme = settings.current.scheme
    var charts: [[String: Any]] = []
    for (kind, counts) in o.distances {
      let top = kind == "pdq" ? max(32, counts.count) : max(counts.count, 1)
      var padded = counts
      if padded.count < top { padded += [Int](repeating: 0, count: top - padded.count) }
      charts.append([
        "kind": kind == "pdq" ? "PDQ (distance of 256 bits)" : kind == "phash" ? "pHash (distance of 64 bits)" : kind,
        "svg": PageValues.Markup(SVGChart.bars(
          padded, labels: padded.indices.map(String.init), labelEvery: max(1, top / 8), title: "\(kind) matches by distance")),
      ])
    }
    let timeline = o.timeline.suffix(240)
    let values: [String: Any] = [
      "filesTotal": o.filesByStatus.map(\.1).reduce(0, +), "matchedFiles": o.matchedFiles, "matches": o.matches,
      "unreviewed": o.byState[.unreviewed] ?? 0, "confirmed": o.byState[.confirmed] ?? 0, "falseMatches": o.byState[.falseMatch] ?? 0,
      "decisions": o.decisions, "runStatus": run.status, "resumed": run.resumed, "startedAt": run.startedAt,
      "finishedAt": run.finishedAt ?? "—", "scanExaminer": run.info.examiner, "host": run.info.host, "evidence": run.info.evidence,
      "sets": run.info.hashSets.map { ["name": $0.name, "entries": $0.entries, "path": $0.path] }, "notes": run.notes,
      "byStatus": o.filesByStatus.map { ["name": $0.0, "count": $0.1] }, "byType": o.filesByType.map { ["name": $0.0, "count": $0.1] },
      "distanceCharts": charts,
      "setChart": PageValues.Markup(SVGChart.horizontal(
        o.bySetAndLabel.prefix(20).map { ("\($0.set)\($0.label.isEmpty ? "" : " · " + $0.label)", $0.files) }, title: "matched files by set and label")),
      "bySetAndLabel": o.bySetAndLabel.map {
        ["set": $0.set, "label": $0.label.isEmpty ? "(none)" : $0.label, "files": $0.files, "setQuery": Self.q($0.set), "labelQuery": Self.q($0.label)]
      },
      "byCategory": o.byCategory.map { ["name": scheme.title($0.0), "count": $0.1, "query": $0.0.map(String.init) ?? "none"] },
      "timelineChart": PageValues.Markup(
        timeline.isEmpty
          ? "<p class=\"muted\">No modification times recorded.</p>"
          : SVGChart.bars(
            timeline.map(\.files), labels: timeline.map(\.month), overlay: timeline.map(\.matched), labelEvery: max(1, timeline.count / 8),
            title: "files by modification month (matched files in the second colour)")),
    ]
    return page("overview", title: "Overview", nav: "navOverview", values)
  }

  // MARK: - Matches

  func filter(from request: Request) -> MatchFilter {
    let p = request.uri.queryParameters
    var f = MatchFilter()
    let nonEmpty = { (k: String) -> String? in p.get(k).flatMap { $0.isEmpty ? nil : $0 } }
    f.set = nonEmpty("set")
    f.label = nonEmpty("label")
    f.kind = nonEmpty("kind")
    f.maxDistance = nonEmpty("max").flatMap(Int.init)
    f.state = nonEmpty("state").flatMap(ReviewState.init(rawValue:))
    if let c = nonEmpty("category") { f.category = c == "none" ? .some(nil) : Int(c).map { .some($0) } }
    f.pathContains = nonEmpty("q")
    f.sort = nonEmpty("sort").flatMap(MatchFilter.Sort.init(rawValue:)) ?? .distance
    return f
  }

  func matchesPage(_ request: Request) throws -> Response {
    let f = filter(from: request)
    let params = request.uri.queryParameters
    let size = params.get("size").flatMap(Int.init).map { max(10, min($0, 200)) } ?? 50
    let pageNumber = params.get("page").flatMap(Int.init) ?? 1
    let result = try browser.matchPage(f, page: pageNumber, pageSize: size)
    let reveal = params.get("reveal").flatMap(Int64.init)
    // The list's own address, for paging and for coming back after a decision.
    var query: [(String, String)] = []
    if let v = f.set { query.append(("set", v)) }
    if let v = f.label { query.append(("label", v)) }
    if let v = f.kind { query.append(("kind", v)) }
    if let v = f.maxDistance { query.append(("max", String(v))) }
    if let v = f.state { query.append(("state", v.rawValue)) }
    if let v = f.category { query.append(("category", v.map(String.init) ?? "none")) }
    if let v = f.pathContains { query.append(("q", v)) }
    if f.sort != .distance { query.append(("sort", f.sort.rawValue)) }
    if size != 50 { query.append(("size", String(size))) }
    func link(page: Int, reveal: Int64? = nil) -> String {
      var items = query + [("page", String(page))]
      if let reveal { items.append(("reveal", String(reveal))) }
      return "/matches?" + items.map { "\($0.0)=\(Self.q($0.1))" }.joined(separator: "&")
    }
    let choices = try browser.filterChoices()
    let s = settings.current
    let rows: [[String: Any]] = result.rows.map { row in
      var v: [String: Any] = [
        "id": row.fileID, "path": row.path, "size": row.size.map(String.init) ?? "?", "type": row.type ?? "other", "isVideo": row.isVideo,
        "revealed": reveal == row.fileID, "revealLink": link(page: result.page, reveal: row.fileID) + "#f\(row.fileID)",
        "matches": row.matches.prefix(8).map { m -> [String: Any] in
          var d: [String: Any] = ["set": m.set, "entry": m.entry, "kind": m.kind, "distance": m.distance]
          if !m.label.isEmpty { d["label"] = m.label }
          if let o = m.orientation { d["orientation"] = o }
          return d
        },
      ]
      v.merge(reviewValues(row.review)) { _, new in new }
      return v
    }
    let names: [String: String] = [
      "confirm": "confirm", "false_match": "false match", "reset": "not reviewed", "reveal": "reveal", "next": "next", "previous": "previous",
      "category_none": "no category",
    ]
    let keyHelp = s.shortcuts.sorted { $0.value < $1.value }.map { action, key -> [String: String] in
      ["key": key, "what": names[action] ?? action.replacingOccurrences(of: "category_", with: "category ")]
    }
    let values: [String: Any] = [
      "total": result.total, "page": result.page, "pageCount": result.pageCount, "rows": rows, "back": link(page: result.page),
      "previous": result.page > 1 ? link(page: result.page - 1) : false,
      "next": result.page < result.pageCount ? link(page: result.page + 1) : false,
      "sets": choices.sets.map { ["value": $0, "selected": $0 == f.set] },
      "labels": choices.labels.map { ["value": $0, "selected": $0 == f.label] },
      "kinds": choices.kinds.map { ["value": $0, "selected": $0 == f.kind] },
      "max": f.maxDistance.map(String.init) ?? "",
      "states": ReviewState.allCases.map { ["value": $0.rawValue, "title": $0.title, "selected": $0 == f.state] },
      "categoryFilter": [["value": "none", "title": "not categorised", "selected": f.category == .some(nil)]]
        + s.scheme.categories.map { ["value": String($0.id), "title": s.scheme.title($0.id), "selected": f.category == .some($0.id)] },
      "q": f.pathContains ?? "",
      "sorts": MatchFilter.Sort.allCases.map { ["value": $0.rawValue, "selected": $0 == f.sort] },
      "sizes": [25, 50, 100, 200].map { ["value": $0, "selected": $0 == size] },
      "categories": s.scheme.categories.map { ["id": $0.id, "title": s.scheme.title($0.id)] },
      "keyHelp": keyHelp,
    ]
    return page("matches", title: "Matches", nav: "navMatches", values)
  }

  // MARK: - One file

  func filePage(_ id: Int64, reveal: Bool) throws -> Response {
    guard let file = try browser.file(id) else { return message(.notFound, "No such file", "File \(id) is not in run \(browser.run.id).") }
    let s = settings.current
    var location: [[String: String]] = [["name": "Path", "value": file.path]]
    if let l = file.location {
      location += [
        ["name": "Disk image", "value": l.image], ["name": "Volume", "value": l.partition.map { "\($0) at byte \(l.partitionOffset)" } ?? "—"],
        ["name": "File system", "value": l.fileSystem], ["name": "Path in it", "value": l.pathInFileSystem],
        ["name": "Metadata address", "value": String(l.metadataAddress)], ["name": "Allocation", "value": l.allocation.rawValue],
      ]
      if let c = l.carvedOffset { location.append(["name": "Carved at byte", "value": String(c)]) }
    }
    if let m = file.member {
      location.append(["name": "Archive", "value": m.containerPath(of: RawPath(bytes: file.pathBytes)).description])
      location.append(["name": "Member", "value": m.memberPath])
    }
    location += [
      ["name": "Size", "value": file.size.map { "\($0) bytes" } ?? "—"], ["name": "Modified", "value": Self.dateText(file.modified)],
      ["name": "Changed", "value": Self.dateText(file.changed)], ["name": "Accessed", "value": Self.dateText(file.accessed)],
      ["name": "Created", "value": Self.dateText(file.created)],
      ["name": "Type", "value": (file.type ?? "other") + (file.width.map { " \($0)×\(file.height ?? 0)" } ?? "")],
      ["name": "Status", "value": file.status + (file.error.map { ": " + $0 } ?? "")],
    ]
    var hashes: [[String: String]] = []
    for (name, value) in [("MD5", file.md5), ("SHA-1", file.sha1), ("SHA-256", file.sha256), ("pHash", file.phash)] {
      if let value { hashes.append(["name": name, "value": value]) }
    }
    if let pdq = file.pdq { hashes.append(["name": "PDQ (quality \(file.pdqQuality ?? 0))", "value": pdq]) }
    if file.isVideo { hashes.append(["name": "Video frames hashed", "value": String(file.videoFrames)]) }
    let matches: [[String: Any]] = file.matches.map { m in
      [
        "set": m.set, "entry": m.entry, "label": m.label, "kind": m.kind, "distance": m.distance, "orientation": m.orientation ?? "",
        "picture": m.picture ?? "", "expectedFalse": m.expectedFalse.map { String(format: "%.2g", $0) } ?? "—",
        "video": m.frameTime.map { String(format: "frame at %.3f s", $0) + (m.queryMatch.map { q in String(format: "; %.1f %% / %.1f %%", q, m.comparedMatch ?? 0) } ?? "") } ?? "",
      ]
    }
    var values: [String: Any] = [
      "id": file.id, "path": file.path, "revealed": reveal, "location": location, "hashes": hashes, "matches": matches,
      "matchCount": file.matches.count,
      "categories": s.scheme.categories.map { ["id": $0.id, "title": s.scheme.title($0.id), "selected": $0.id == file.review.category] },
      "hasHistory": !file.history.isEmpty,
      "history": file.history.map { e -> [String: Any] in
        [
          "seq": e.seq, "at": e.at, "examiner": e.examiner, "previousState": e.previousState.title, "newState": e.newState.title,
          "previousCategory": s.scheme.title(e.previousCategory), "newCategory": s.scheme.title(e.newCategory), "note": e.note,
        ]
      },
    ]
    values.merge(reviewValues(file.review)) { _, new in new }
    if browser.groupsIfReady(radius: 31) == nil {
      values["groupsPending"] = true
    } else if let group = browser.group(of: id, radius: 31) {
      let summaries = try browser.summaries(Array(group.files.prefix(200)))
      values["group"] = [
        "number": group.number, "radius": 31, "size": group.files.count,
        "members": group.files.prefix(200).compactMap { summaries[$0] }.filter { $0.id != id }.map { m -> [String: Any] in
          ["id": m.id, "path": m.path, "state": m.review.state.rawValue, "stateTitle": m.review.state.title]
        },
      ]
    }
    return page("file", title: "File \(id)", nav: "navMatches", values)
  }

  // MARK: - Thumbnails

  func thumbnail(_ id: Int64, reveal: Bool) async throws -> Response {
    let s = settings.current
    let key = ThumbnailCache.Key(file: id, side: reveal ? Self.revealedSide : s.blur, greyscale: s.greyscale)
    var bytes = thumbnails.get(key)
    if bytes == nil {
      let browser = browser
      bytes = try await decoding.run { try browser.thumbnail(id, side: key.side, greyscale: key.greyscale) }
      if let bytes { thumbnails.put(key, bytes) }
    }
    guard let bytes else {
      return Response(
        status: .notFound, headers: [.contentType: "image/svg+xml"],
        body: ResponseBody(byteBuffer: ByteBuffer(string: Self.missingPicture)))
    }
    return Response(
      status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "no-store"],
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
  }

  static let missingPicture =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 96 96\"><rect width=\"96\" height=\"96\" fill=\"#e4e6ea\"/><text x=\"48\" y=\"52\" font-size=\"10\" text-anchor=\"middle\" fill=\"#5d6675\">not shown</text></svg>"

  // MARK: - Groups

  func groupsPage(_ request: Request) -> Response {
    let params = request.uri.queryParameters
    let radius = params.get("radius").flatMap(Int.init).flatMap { r in Self.groupRadii.contains { $0.0 == r } ? r : nil } ?? 31
    let all = browser.groups(radius: radius)
    let perPage = 20
    let pageCount = max(1, (all.count + perPage - 1) / perPage)
    let pageNumber = max(1, min(params.get("page").flatMap(Int.init) ?? 1, pageCount))
    let shown = all.dropFirst((pageNumber - 1) * perPage).prefix(perPage)
    let summaries = (try? browser.summaries(shown.flatMap { $0.files.prefix(100) })) ?? [:]
    let s = settings.current
    let link = { (p: Int) in "/groups?radius=\(radius)&page=\(p)" }
    let groups: [[String: Any]] = shown.map { g in
      [
        "number": g.number, "size": g.files.count, "maxLink": g.maxLinkDistance, "radius": radius,
        "members": g.files.prefix(100).compactMap { summaries[$0] }.map { m -> [String: Any] in
          var v: [String: Any] = ["id": m.id, "path": m.path, "matches": m.matches]
          v.merge(reviewValues(m.review)) { _, new in new }
          return v
        },
      ]
    }
    return page(
      "groups", title: "Groups", nav: "navGroups",
      [
        "groupCount": all.count, "groups": groups, "radius": radius, "back": link(pageNumber), "page": pageNumber, "pageCount": pageCount,
        "previous": pageNumber > 1 ? link(pageNumber - 1) : false, "next": pageNumber < pageCount ? link(pageNumber + 1) : false,
        "radii": Self.groupRadii.map { ["value": $0.0, "title": $0.1, "selected": $0.0 == radius] },
        "categories": s.scheme.categories.map { ["id": $0.id, "title": s.scheme.title($0.id)] },
      ])
  }

  // MARK: - Find similar

  func similarValues(_ hash: PDQHash, query: String) throws -> [String: Any] {
    let hits = browser.similar(to: hash, limit: 100, maxDistance: 128)
    let summaries = try browser.summaries(hits.map(\.id))
    return [
      "query": query, "count": hits.count, "maxDistance": 128,
      "hits": hits.compactMap { hit -> [String: Any]? in
        guard let m = summaries[hit.id] else { return nil }
        var v: [String: Any] = ["id": hit.id, "distance": hit.distance, "quality": hit.quality, "path": m.path, "matches": m.matches]
        v.merge(reviewValues(m.review)) { _, new in new }
        return v
      },
    ]
  }

  func similarPage(_ request: Request) throws -> Response {
    guard let file = request.uri.queryParameters.get("file").flatMap(Int64.init) else {
      return page("similar", title: "Find similar", nav: "navSimilar", [:])
    }
    guard let hash = browser.pdq(of: file) else {
      return page("similar", title: "Find similar", nav: "navSimilar", ["fileParam": file, "error": "File \(file) has no PDQ hash in this run."])
    }
    var values = try similarValues(hash, query: "file \(file)")
    values["fileParam"] = file
    return page("similar", title: "Find similar", nav: "navSimilar", values)
  }

  func similarUpload(_ request: Request) async throws -> Response {
    // The form's token comes in its address too, so that an upload without it is refused
    // before its body is read.
    guard ReviewSession.same(request.uri.queryParameters.get("csrf") ?? "", session.csrf) else {
      return message(.forbidden, "Refused", "The form's token is missing or wrong: reload the page.", back: "/similar")
    }
    // A few uploads at once, each within the byte limit: memory stays bounded.
    guard uploadsInFlight.withLock({ n in n < Self.maxUploadsInFlight ? { n += 1; return true }() : false }) else {
      return message(.serviceUnavailable, "Busy", "Other pictures are being searched for: try again in a moment.", back: "/similar")
    }
    defer { uploadsInFlight.withLock { $0 -= 1 } }
    let form: FormData
    do {
      form = try await readForm(request, limit: configuration.maxUploadBytes + 64 << 10)
    } catch {
      return message(.contentTooLarge, "Picture too large", "Pictures up to \(configuration.maxUploadBytes >> 20) MiB can be dropped in.", back: "/similar")
    }
    guard csrfIsGood(form) else { return message(.forbidden, "Refused", "The form's token is missing or wrong: reload the page.", back: "/similar") }
    guard let bytes = form.files["image"], !bytes.isEmpty else {
      return page("similar", title: "Find similar", nav: "navSimilar", ["error": "Choose a picture first."])
    }
    let limits = configuration.limits
    // Hashed in memory and forgotten.
    let hashed: Result<PDQHash, any Error> =
      (try? await decoding.run {
        Result {
          var hasher = ImageHasher(decoder: ImageDecoder(limits: limits), options: HashOptions(pdq: true, phash: false))
          guard let pdq = try hasher.hash(bytes).pdq else { throw CaseError.badDecision("no PDQ hash") }
          return pdq.hash
        }
      }) ?? .failure(CaseError.badDecision("the picture could not be hashed"))
    switch hashed {
    case .success(let hash):
      return page("similar", title: "Find similar", nav: "navSimilar", try similarValues(hash, query: "the picture dropped in"))
    case .failure(let error):
      return page("similar", title: "Find similar", nav: "navSimilar", ["error": "The picture could not be read: \(error)"])
    }
  }
}
