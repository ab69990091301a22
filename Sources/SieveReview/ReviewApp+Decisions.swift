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

/// The routes that change something: decisions, settings, and the ledger and exports page.
extension ReviewApp {
  // MARK: - Decisions

  func decide(_ request: Request) async throws -> Response {
    let form = try await readForm(request)
    let back = Self.safeBack(form.value("back"))
    guard csrfIsGood(form) else { return message(.forbidden, "Refused", "The form's token is missing or wrong: reload the page and decide again.", back: back) }
    let act = form.value("act") ?? ""
    let parts = act.split(separator: ":", maxSplits: 1).map(String.init)
    let name = parts.first ?? ""
    var files: [Int64]
    if parts.count == 2 {
      guard let one = Int64(parts[1]) else { return message(.badRequest, "Refused", "Not a file: \(parts[1]).", back: back) }
      files = [one]
    } else if let groupNumber = form.value("group").flatMap(Int.init) {
      let radius = form.value("radius").flatMap(Int.init) ?? 31
      guard Self.groupRadii.contains(where: { $0.0 == radius }) else {
        return message(.badRequest, "Refused", "Groups are made at radius \(Self.groupRadii.map { String($0.0) }.joined(separator: ", ")).", back: back)
      }
      guard let g = browser.groups(radius: radius).first(where: { $0.number == groupNumber }) else {
        return message(.badRequest, "Refused", "No group \(groupNumber).", back: back)
      }
      files = g.files
    } else {
      files = form.values("file").compactMap(Int64.init)
    }
    guard !files.isEmpty else { return message(.badRequest, "Nothing ticked", "Tick one or more files first.", back: back) }
    let action: ReviewAction
    switch name {
    case "confirm": action = .confirm
    case "false_match": action = .falseMatch
    case "reset": action = .reset
    case "note": action = .note
    case "categorise":
      let raw = form.value("category") ?? ""
      if raw.isEmpty { action = .categorise(nil) } else if let n = Int(raw) { action = .categorise(n) } else {
        return message(.badRequest, "Refused", "Not a category: \(raw).", back: back)
      }
    default: return message(.badRequest, "Refused", "Unknown decision \(name).", back: back)
    }
    // Only files of the reviewed run.
    let known = try browser.summaries(files)
    guard known.count == Set(files).count else { return message(.badRequest, "Refused", "Some files are not in this run.", back: back) }
    do {
      try ledger.record(
        action, files: files, examiner: configuration.examiner, note: form.value("note") ?? "", scheme: settings.current.scheme, run: browser.run.id)
    } catch let error as CaseError {
      return message(.badRequest, "Refused", error.description, back: back)
    }
    return Self.redirect(back + (files.count == 1 && !back.contains("#") && back.hasPrefix("/matches") ? "#f\(files[0])" : ""))
  }

  // MARK: - Settings

  static let shortcutTitles: [(String, String)] = [
    ("confirm", "Confirm"), ("false_match", "False match"), ("reset", "Not reviewed"), ("category_0", "Category 0"),
    ("category_1", "Category 1"), ("category_2", "Category 2"), ("category_3", "Category 3"), ("category_4", "Category 4"),
    ("category_none", "No category"), ("reveal", "Reveal / blur again"), ("next", "Next file"), ("previous", "Previous file"),
  ]

  func settingsPage(error: String? = nil) -> Response {
    let s = settings.current
    var values: [String: Any] = [
      "blur": s.blur, "blurMin": ReviewSettings.blurRange.lowerBound, "blurMax": ReviewSettings.blurRange.upperBound,
      "greyscale": s.greyscale, "nextKey": s.shortcuts["next"] ?? "", "previousKey": s.shortcuts["previous"] ?? "",
      "shortcuts": Self.shortcutTitles.map { ["action": $0.0, "title": $0.1, "key": s.shortcuts[$0.0] ?? ""] },
      "schemeName": s.scheme.name, "categories": s.scheme.categories.map { ["id": $0.id, "name": $0.name] },
    ]
    if let error { values["error"] = error }
    return page("settings", title: "Settings", nav: "navSettings", values)
  }

  func saveSettings(_ request: Request) async throws -> Response {
    let form = try await readForm(request)
    guard csrfIsGood(form) else { return message(.forbidden, "Refused", "The form's token is missing or wrong: reload the page.", back: "/settings") }
    var s = settings.current
    if let blur = form.value("blur").flatMap(Int.init) { s.blur = blur }
    s.greyscale = form.value("greyscale") == "1"
    for (action, _) in Self.shortcutTitles {
      if let key = form.value("key_" + action), !key.isEmpty { s.shortcuts[action] = key }
    }
    do {
      try s.save(to: browser.database)
    } catch let error as CaseError {
      return message(.badRequest, "Settings not saved", error.description, back: "/settings")
    }
    settings.withLock { $0 = s }
    return Self.redirect("/settings")
  }

  // MARK: - Ledger and exports

  func exportsPage() throws -> Response {
    let check = try ledger.verify()
    let scheme = settings.current.scheme
    let exporter = ReviewExporter(browser: browser)
    let entries = try ledger.latest(100).map { e -> [String: Any] in
      [
        "seq": e.seq, "at": e.at, "examiner": e.examiner, "fileID": e.fileID, "path": e.path, "previousState": e.previousState.title,
        "newState": e.newState.title, "previousCategory": scheme.title(e.previousCategory), "newCategory": scheme.title(e.newCategory), "note": e.note,
      ]
    }
    return page(
      "exports", title: "Ledger & exports", nav: "navExports",
      [
        "intact": check.isIntact, "rows": check.rows, "head": check.head, "problems": check.problems, "entries": Array(entries),
        "negativeCount": try exporter.count(.negative), "confirmedCount": try exporter.count(.confirmed),
      ])
  }

  func export(_ kind: String, _ request: Request) async throws -> Response {
    let form = try await readForm(request)
    guard csrfIsGood(form) else { return message(.forbidden, "Refused", "The form's token is missing or wrong: reload the page.", back: "/exports") }
    let caseName = ReviewApp.fileNamePart(browser.run.info.caseID)
    let bytes: [UInt8]
    let name: String
    let type: String
    switch kind {
    case "negative", "confirmed":
      let k: ReviewExporter.Kind = kind == "negative" ? .negative : .confirmed
      do {
        bytes = try ReviewExporter(browser: browser).encoded(k).bytes
      } catch let error as CaseError {
        return message(.conflict, "Not exported", error.description, back: "/exports")
      }
      name = "\(caseName)-\(kind).sieveset"
      type = "application/octet-stream"
    case "vics":
      let check = try ledger.verify()
      guard check.isIntact else {
        return message(.conflict, "Not exported", "The review ledger is broken (\(check.problems.count) problems): run `sieve review verify`.", back: "/exports")
      }
      bytes = try CaseReporter(caseFolder: configuration.caseFolder).write(format: .vics, run: browser.run.id).bytes
      name = "\(caseName)-vics.json"
      type = "application/json"
    default:
      return message(.notFound, "No such export", "Exports are negative, confirmed and vics.", back: "/exports")
    }
    return Response(
      status: .ok,
      headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(name)\"", .cacheControl: "no-store"],
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
  }

  /// A case id made safe for a download's file name.
  static func fileNamePart(_ s: String) -> String {
    let kept = s.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0) ? Character($0) : "_" }
    let name = String(kept.prefix(60))
    return name.isEmpty ? "case" : name
  }
}
