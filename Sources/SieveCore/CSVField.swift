/// CSV field quoting (RFC 4180), shared by every writer of CSV in Sieve.
public enum CSVField {
  /// `field` as is, or in double quotes (inner quotes doubled) when it holds a comma, a
  /// quote or a line break.
  public static func quote(_ field: String) -> String {
    // Scalars, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n".
    guard field.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
    var escaped = ""
    for ch in field { escaped += ch == "\"" ? "\"\"" : String(ch) }
    return "\"" + escaped + "\""
  }
}
