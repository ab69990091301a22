/// Text made safe to put in HTML, for every page Sieve writes (the case report, the eval
/// report).
public enum HTMLText {
  /// `s` with `&`, `<`, `>`, `"` and `'` replaced by character references; with
  /// `replacingControls`, C0 and C1 control characters other than tab and line breaks are
  /// replaced by U+FFFD too.
  ///
  /// Walks Unicode scalars, never `Character`s: a prepend mark (U+0600), a joiner or a
  /// combining mark fuses with the `<` beside it into one grapheme cluster, which would
  /// then equal none of the five and pass through as a live tag.
  public static func escape(_ s: String, replacingControls: Bool = false) -> String {
    var out = String.UnicodeScalarView()
    for scalar in s.unicodeScalars {
      switch scalar {
      case "&": out.append(contentsOf: "&amp;".unicodeScalars)
      case "<": out.append(contentsOf: "&lt;".unicodeScalars)
      case ">": out.append(contentsOf: "&gt;".unicodeScalars)
      case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
      case "'": out.append(contentsOf: "&#39;".unicodeScalars)
      case "\t", "\n", "\r": out.append(scalar)
      case "\u{0}"..."\u{1F}" where replacingControls, "\u{7F}"..."\u{9F}" where replacingControls:
        out.append("\u{FFFD}")
      default: out.append(scalar)
      }
    }
    return String(out)
  }
}
