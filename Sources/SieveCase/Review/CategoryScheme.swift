import Foundation

/// The categories an examiner files material under: numbers with names, as hash-sharing
/// programs exchange them.
///
/// The default is the current Project VIC scheme. "Not yet categorised" is no category at
/// all (nil), never a number: the legacy scheme used 0 for it, where the current one means
/// non-pertinent, so a list in the legacy scheme is mapped (``legacyMapping``) as it is read.
public struct CategoryScheme: Sendable, Codable, Equatable {
  /// One category.
  public struct Category: Sendable, Codable, Equatable {
    /// Its number, as exported (VICS `Category`).
    public var id: Int
    public var name: String

    public init(id: Int, name: String) {
      self.id = id
      self.name = name
    }
  }

  /// The scheme's name, shown beside its categories.
  public var name: String
  public var categories: [Category]
  /// How a category number in a list of the legacy scheme maps to this one; a number
  /// mapped to nil (the legacy 0, uncategorised) becomes no category.
  public var legacyMapping: [Int: Int?]

  public init(name: String, categories: [Category], legacyMapping: [Int: Int?] = [0: nil]) {
    self.name = name
    self.categories = categories
    self.legacyMapping = legacyMapping
  }

  /// Project VIC's current scheme.
  public static let projectVIC = CategoryScheme(
    name: "Project VIC",
    categories: [
      Category(id: 0, name: "Non-pertinent"),
      Category(id: 1, name: "Child abuse material"),
      Category(id: 2, name: "Child exploitive / age difficult"),
      Category(id: 3, name: "CGI / animation"),
      Category(id: 4, name: "Comparison"),
    ])

  /// The category numbered `id`, if the scheme has one.
  public func category(_ id: Int) -> Category? { categories.first { $0.id == id } }

  /// A category's name for people: "1 · Child abuse material", "not categorised" for nil,
  /// "7 (not in the scheme)" for a number the scheme lacks.
  public func title(_ id: Int?) -> String {
    guard let id else { return "not categorised" }
    return category(id).map { "\($0.id) · \($0.name)" } ?? "\(id) (not in the scheme)"
  }

  /// A legacy list's category number, mapped into this scheme (nil: not categorised).
  public func fromLegacy(_ number: Int) -> Int? {
    if let mapped = legacyMapping[number] { return mapped }
    return number
  }

  /// Reads a scheme from JSON: `{"name": …, "categories": [{"id": 0, "name": …}, …],
  /// "legacy": {"0": null, …}}`.
  ///
  /// - Throws: ``CaseError/badScheme(_:)`` on malformed JSON, a repeated or negative number,
  ///   or an empty name.
  public static func decode(_ data: Data) throws -> CategoryScheme {
    struct File: Decodable {
      var name: String
      var categories: [Category]
      var legacy: [String: Int?]?
    }
    let file: File
    do {
      file = try JSONDecoder().decode(File.self, from: data)
    } catch {
      throw CaseError.badScheme("not a category scheme (expected {\"name\":…, \"categories\":[{\"id\":0,\"name\":…},…]}): \(error)")
    }
    guard !file.categories.isEmpty else { throw CaseError.badScheme("the scheme has no categories") }
    var seen = Set<Int>()
    for c in file.categories {
      guard c.id >= 0, c.id < 1000 else { throw CaseError.badScheme("category number \(c.id) is out of range (0…999)") }
      guard seen.insert(c.id).inserted else { throw CaseError.badScheme("category \(c.id) is given twice") }
      guard !c.name.trimmingCharacters(in: .whitespaces).isEmpty, c.name.count <= 200 else {
        throw CaseError.badScheme("category \(c.id) needs a name (at most 200 characters)")
      }
    }
    var legacy: [Int: Int?] = [0: nil]
    for (key, value) in file.legacy ?? [:] {
      guard let number = Int(key) else { throw CaseError.badScheme("legacy mapping key \"\(key)\" is not a number") }
      if let value, !seen.contains(value) { throw CaseError.badScheme("legacy \(number) maps to \(value), which is not in the scheme") }
      legacy[number] = value
    }
    return CategoryScheme(name: file.name, categories: file.categories, legacyMapping: legacy)
  }
}
