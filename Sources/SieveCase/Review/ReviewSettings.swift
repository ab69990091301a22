import Foundation
import GRDB

/// The review workspace's settings, kept in the case database so that they hold across
/// sessions: how thumbnails are shown, the keyboard shortcuts, the category scheme.
public struct ReviewSettings: Sendable, Codable, Equatable {
  /// How strongly thumbnails are blurred until revealed: the side, in pixels, of the tiny
  /// picture a blurred thumbnail is made from (smaller is blurrier; 4…32).
  public var blur: Int = 8
  /// Whether thumbnails are shown in grey.
  public var greyscale = false
  /// Keyboard shortcuts: a decision's name to its key (a single character).
  public var shortcuts: [String: String] = ReviewSettings.defaultShortcuts
  /// The categories decisions use.
  public var scheme: CategoryScheme = .projectVIC

  public init() {}

  /// The decisions a shortcut can take, with their default keys: confirm, false match,
  /// reset, the categories 0–4, clear the category, reveal, next and previous row.
  public static let defaultShortcuts: [String: String] = [
    "confirm": "c", "false_match": "x", "reset": "u", "category_0": "0", "category_1": "1", "category_2": "2",
    "category_3": "3", "category_4": "4", "category_none": "n", "reveal": "r", "next": "j", "previous": "k",
  ]

  /// Blur levels accepted.
  public static let blurRange = 4...32

  /// Checks the settings: blur in range, each shortcut one printable character, no key
  /// used twice.
  public func validated() throws -> ReviewSettings {
    guard Self.blurRange.contains(blur) else { throw CaseError.badDecision("blur must be \(Self.blurRange.lowerBound)…\(Self.blurRange.upperBound)") }
    var used: [String: String] = [:]
    for (action, key) in shortcuts {
      guard key.unicodeScalars.count == 1, let scalar = key.unicodeScalars.first, scalar.value > 0x20, scalar.value != 0x7F,
        ![.control, .format, .nonspacingMark, .spacingMark, .enclosingMark, .privateUse, .unassigned, .surrogate]
          .contains(scalar.properties.generalCategory),
        !scalar.properties.isWhitespace
      else { throw CaseError.badDecision("the shortcut for \(action) must be one visible character") }
      if let other = used[key] { throw CaseError.badDecision("\(key) is the shortcut of both \(other) and \(action)") }
      used[key] = action
    }
    return self
  }

  /// The settings stored in `database` (defaults for what was never set).
  public static func load(from database: CaseDatabase) throws -> ReviewSettings {
    try database.read { db in
      guard let text = try String.fetchOne(db, sql: "SELECT value FROM review_settings WHERE key = 'settings'"),
        let settings = try? JSONDecoder().decode(ReviewSettings.self, from: Data(text.utf8))
      else { return ReviewSettings() }
      return settings
    }
  }

  /// Stores the settings (checked first).
  public func save(to database: CaseDatabase) throws {
    let checked = try validated()
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let text = String(decoding: try encoder.encode(checked), as: UTF8.self)
    try database.queue.write { db in
      try db.execute(sql: "INSERT OR REPLACE INTO review_settings (key, value) VALUES ('settings', ?)", arguments: [text])
    }
  }
}
