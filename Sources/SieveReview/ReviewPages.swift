import Foundation
import Mustache
import SieveCase

/// The review app's pages: Mustache templates embedded in the binary (values escaped for
/// HTML by default), all laid out by `layout`.
struct ReviewPages: Sendable {
  let library: MustacheLibrary

  init() throws {
    var templates: [String: MustacheTemplate] = [:]
    let sources: [(String, [UInt8])] = [
      ("layout", PackageResources.layout_mustache), ("overview", PackageResources.overview_mustache),
      ("matches", PackageResources.matches_mustache), ("file", PackageResources.file_mustache),
      ("groups", PackageResources.groups_mustache), ("similar", PackageResources.similar_mustache),
      ("settings", PackageResources.settings_mustache), ("exports", PackageResources.exports_mustache),
      ("message", PackageResources.message_mustache),
    ]
    for (name, bytes) in sources { templates[name] = try MustacheTemplate(string: String(decoding: bytes, as: UTF8.self)) }
    library = MustacheLibrary(templates: templates)
  }

  /// The page `template` rendered with `values` over the values every page has; every
  /// string escaped first (``PageValues``: templates print values with `{{{…}}}`).
  func render(_ template: String, _ values: [String: Any], common: [String: Any]) -> String {
    library.render(PageValues.escaped(common.merging(values) { _, new in new }), withTemplate: template) ?? ""
  }

  static let script = String(decoding: PackageResources.review_js, as: UTF8.self)
}
