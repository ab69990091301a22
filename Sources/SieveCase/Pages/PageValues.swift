import Foundation
import SieveCore

/// The values a page template is rendered with, escaped for HTML before Mustache sees them.
///
/// Mustache's own escaping walks `Character`s: a prepend mark (U+0600) or a joiner fused
/// with `<` into one grapheme cluster equals no special character and would pass through
/// as a live tag — and paths, labels and set names come from evidence and third-party
/// lists. So every string is escaped here, scalar by scalar (``HTMLText/escape(_:replacingControls:)``),
/// and templates print values unescaped (`{{{name}}}`); only ``Markup`` (SVG charts the
/// code builds from escaped parts) passes as it is.
public enum PageValues {
  /// Markup built by the code, passed through unescaped.
  public struct Markup: Sendable {
    public var html: String
    public init(_ html: String) { self.html = html }
  }

  /// `s` escaped, with bidirectional controls shown as `[U+202E]`: a name from the evidence
  /// must not reorder what is shown after it (`IMG_0001[U+202E]gpj.exe` is not "IMG_0001exe.jpg").
  public static func text(_ s: String) -> String {
    var shown = String.UnicodeScalarView()
    for scalar in s.unicodeScalars {
      switch scalar.value {
      case 0x200E, 0x200F, 0x061C, 0x202A...0x202E, 0x2066...0x2069:
        shown.append(contentsOf: String(format: "[U+%04X]", scalar.value).unicodeScalars)
      default: shown.append(scalar)
      }
    }
    return HTMLText.escape(String(shown), replacingControls: true)
  }

  /// `value` with every string in it escaped (dictionaries and arrays walked).
  public static func escaped(_ value: Any) -> Any {
    switch value {
    case let markup as Markup: return markup.html
    case let s as String: return text(s)
    case let s as Substring: return text(String(s))
    case let d as [String: Any]: return d.mapValues { escaped($0) }
    case let d as [String: String]: return d.mapValues { text($0) }
    case let a as [[String: Any]]: return a.map { $0.mapValues { escaped($0) } }
    case let a as [[String: String]]: return a.map { $0.mapValues { text($0) } }
    case let a as [String]: return a.map { text($0) }
    case let a as [Any]: return a.map { escaped($0) }
    case is Int, is Int64, is Double, is Bool: return value
    default: return text(String(describing: value))
    }
  }
}
