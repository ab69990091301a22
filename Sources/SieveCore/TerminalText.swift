/// Text made safe to show on a terminal: names from evidence and hash lists can hold
/// control characters (an escape sequence can rewrite the screen, a newline can forge an
/// output line, a carriage return can hide what came before) and bidirectional overrides
/// (which display `gpj.exe` as `exe.jpg`).
public enum TerminalText {
  /// `text` with every control character written as `\xNN` (C0 controls and DEL) or
  /// `\u{NNNN}` (C1 controls, the line and paragraph separators U+2028 and U+2029, and the
  /// bidirectional and zero-width format characters U+061C, U+200B–U+200F, U+202A–U+202E,
  /// U+2060–U+2069, U+FEFF); everything else as is.
  public static func escape(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: needsEscape) else { return text }
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      guard needsEscape(scalar) else {
        out.append(scalar)
        continue
      }
      let hex = String(scalar.value, radix: 16)
      let escaped = scalar.value < 0x80 ? "\\x" + (hex.count == 1 ? "0" + hex : hex) : "\\u{" + hex + "}"
      out.append(contentsOf: escaped.unicodeScalars)
    }
    return String(out)
  }

  /// Whether `scalar` is written escaped by ``escape(_:)``.
  public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00...0x1F, 0x7F...0x9F: return true
    case 0x061C, 0x200B...0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2060...0x2069, 0xFEFF: return true
    default: return false
    }
  }
}
