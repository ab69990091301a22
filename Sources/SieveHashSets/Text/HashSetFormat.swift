/// Text formats Sieve reads hash sets from (and writes them to).
public enum HashSetFormat: String, Sendable, CaseIterable {
  /// One hex value per line; the kind comes from `--type` (64 hex digits are PDQ or
  /// SHA-256, never guessed). `#` starts a comment line.
  case plain
  /// `md5sum`/`sha1sum`/`sha256sum` output: `HEX  name` or `HEX *name`.
  case md5sum
  /// The PDQ reference CLI: `hash,quality,filename`.
  case pdqCLI = "pdq-cli"
  /// ThreatExchange-style CSV: `signal_type,signal_str,collab,category,tags`.
  case threatExchange = "threatexchange"
  /// The CSV `sieve hash --format csv` writes: `path,pdq,pdq_quality,phash,...`.
  case sieveCSV = "sieve-csv"
  /// Sieve's own export CSV: `id,label,pdq,pdq_quality,phash,md5,sha1,sha256`.
  case setCSV = "set-csv"
  /// vPDQ's features of videos: `frame,quality,hash,timestamp` lines. One video a file
  /// (its id: the file name), or several, each after a `# ID` line (as `sieve hash
  /// --format vpdq` and `sieve hashset export --format vpdq` write them).
  case vpdq
  /// Project VIC (VICS) JSON: media records with their digests and category (read whole;
  /// detected by its opening `{`).
  case vics

  /// Guesses the format from the first non-empty, non-comment line.
  static func detect(firstLine line: String) -> HashSetFormat? {
    let lower = line.lowercased()
    if lower.hasPrefix("path,pdq") { return .sieveCSV }
    if lower.hasPrefix("id,label,pdq") { return .setCSV }
    if lower.hasPrefix("signal_type,signal_str") || lower.hasPrefix("pdq,") || lower.hasPrefix("photo_md5,") {
      return .threatExchange
    }
    let fields = CSVLine.split(line)
    if fields.count == 4, Int(fields[0]) != nil, Int(fields[1]) != nil, fields[2].count == 64, Double(fields[3]) != nil {
      return .vpdq
    }
    if fields.count == 3, fields[0].count == 64, Int(fields[1]) != nil { return .pdqCLI }
    let tokens = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
    if tokens.count >= 2, tokens[0].allSatisfy(\.isHexDigit) { return .md5sum }
    if tokens.count == 1, tokens[0].allSatisfy(\.isHexDigit) { return .plain }
    return nil
  }
}

/// Minimal RFC 4180 field splitting for one line.
enum CSVLine {
  static func split(_ line: some StringProtocol) -> [String] {
    var out: [String] = []
    var field = ""
    var quoted = false
    var previousQuote = false
    for ch in line {
      if quoted {
        if ch == "\"" {
          quoted = false
          previousQuote = true
          continue
        }
        field.append(ch)
      } else if ch == "\"" {
        if previousQuote { field.append("\"") }
        quoted = true
      } else if ch == "," {
        out.append(field)
        field = ""
      } else {
        field.append(ch)
      }
      previousQuote = false
    }
    out.append(field)
    return out
  }

}
