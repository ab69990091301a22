/// CSV field quoting (RFC 4180), shared by every writer of CSV in Sieve.
public enum CSVField {
  /// `field` as is, or in double quotes (inner quotes doubled) when it holds a comma, a
  /// quote or a line break.
  public static func quote(_ field: String) -> String {
    // Scalars, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n".
    guard field.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
    // Scalars again: a quote followed by a combining mark is one Character that is not "\"".
    var escaped = String.UnicodeScalarView()
    for scalar in field.unicodeScalars {
      escaped.append(scalar)
      if scalar == "\"" { escaped.append(scalar) }
    }
    return "\"" + String(escaped) + "\""
  }

  /// `field` with a leading `'` when it starts with a character a spreadsheet would read as
  /// the start of a formula (`=`, `+`, `-`, `@`, tab, carriage return), so that a file or
  /// label name from evidence cannot run as a formula when an examiner opens the CSV (the
  /// OWASP "CSV injection" guard). For files meant for spreadsheets; not yet quoted.
  public static func spreadsheetSafe(_ field: String) -> String {
    guard let first = field.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) else { return field }
    return "'" + field
  }
}
