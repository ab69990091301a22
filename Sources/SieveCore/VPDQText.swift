/// vPDQ's text forms of a video's features.
///
/// - The file vPDQ's C++ tools write and read, one frame a line:
///   `frame,quality,hash,timestamp` (timestamp with 3 decimals), e.g.
///   `30,100,e271…055c,1.000`.
/// - python-threatexchange's signal string: a JSON array of `"hash,quality,timestamp"`
///   strings (no frame numbers), e.g. `["e271…055c,100,0.0", …]`.
public enum VPDQText {
  /// Why a line could not be read.
  public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 1-based line (or array element) number.
    public var line: Int
    public var reason: String
    public var description: String { "line \(line): \(reason)" }
  }

  /// The features as vPDQ's C++ tools write them.
  public static func lines(_ features: [VPDQFeature]) -> String {
    features.map { line($0) + "\n" }.joined()
  }

  /// One feature as a vPDQ line (no newline).
  public static func line(_ f: VPDQFeature) -> String {
    "\(f.frameNumber),\(f.quality),\(f.hash.hexString),\(f.timestampText)"
  }

  /// Reads vPDQ's lines (`frame,quality,hash,timestamp`); blank lines and lines starting
  /// with `#` are skipped. Frame numbers and times must not go backwards.
  public static func parse(_ text: some StringProtocol) throws(ParseError) -> [VPDQFeature] {
    var out: [VPDQFeature] = []
    // Lines end in LF, CRLF (one Character in Swift) or CR; never at U+2028 and the like,
    // which a name may hold.
    for (n, line) in String(text).split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
      .enumerated()
    {
      if line.allSatisfy({ $0 == " " || $0 == "\t" }) || line.first == "#" { continue }
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(trimmed)
      guard fields.count == 4 else {
        throw ParseError(line: n + 1, reason: "expected 4 fields (frame,quality,hash,timestamp), found \(fields.count)")
      }
      guard let frame = Int(fields[0]), frame >= 0 else { throw ParseError(line: n + 1, reason: "bad frame number '\(fields[0])'") }
      let feature = try feature(hash: fields[2], quality: fields[1], timestamp: fields[3], frame: frame, line: n + 1)
      if let last = out.last, last.frameNumber > frame {
        throw ParseError(line: n + 1, reason: "frame \(frame) comes after frame \(last.frameNumber)")
      }
      out.append(feature)
    }
    return out
  }

  /// Reads python-threatexchange's `"hash,quality,timestamp"` items; frames are numbered
  /// by their place, as the form does not carry them.
  public static func parseSignal(_ items: [String]) throws(ParseError) -> [VPDQFeature] {
    var out: [VPDQFeature] = []
    for (n, item) in items.enumerated() {
      let fields = item.split(separator: ",", omittingEmptySubsequences: false).map(trimmed)
      guard fields.count == 3 else {
        throw ParseError(line: n + 1, reason: "expected 3 fields (hash,quality,timestamp), found \(fields.count)")
      }
      out.append(try feature(hash: fields[0], quality: fields[1], timestamp: fields[2], frame: n, line: n + 1))
    }
    return out
  }

  /// The features as python-threatexchange's items (its timestamp: 3 significant digits).
  public static func signalItems(_ features: [VPDQFeature]) -> [String] {
    features.map { "\($0.hash.hexString),\($0.quality),\(significant3($0.timestamp))" }
  }

  private static func feature(hash: Substring, quality: Substring, timestamp: Substring, frame: Int, line: Int)
    throws(ParseError) -> VPDQFeature
  {
    let pdq: PDQHash
    do { pdq = try PDQHash(hex: hash) } catch { throw ParseError(line: line, reason: "bad PDQ hash: \(error)") }
    guard let q = Int(quality), (0...100).contains(q) else { throw ParseError(line: line, reason: "bad quality '\(quality)' (0-100)") }
    guard let t = Double(timestamp), t.isFinite, t >= 0 else { throw ParseError(line: line, reason: "bad timestamp '\(timestamp)'") }
    return VPDQFeature(frameNumber: frame, hash: pdq, quality: q, timestamp: t)
  }

  /// `%.3f`, without Foundation.
  static func fixed3(_ value: Double) -> String {
    let thousandths = (value * 1000).rounded()
    guard thousandths.isFinite, abs(thousandths) < 9e15 else { return "\(value)" }
    let n = Int64(thousandths)
    let sign = n < 0 ? "-" : ""
    let m = n.magnitude
    let fraction = String(m % 1000)
    return "\(sign)\(m / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
  }

  /// Python's `f"{x:.3}"` for the times vPDQ writes (≥ 0): 3 significant digits, trailing
  /// zeros dropped but one kept after the point, exponent form from 100 s on (`1e+02`,
  /// `1.23e+02`), as python-threatexchange writes them.
  static func significant3(_ value: Double) -> String {
    guard value > 0, value.isFinite else { return value == 0 ? "0.0" : "\(value)" }
    // Times under a femtosecond are not times (and their powers of ten would underflow).
    guard value >= 1e-15 else { return "0.0" }
    var exponent = decade(value)
    var digits = (value / pow10(exponent - 2)).rounded()
    if digits >= 1000 { exponent += 1; digits = (value / pow10(exponent - 2)).rounded() }
    let mantissa = Int(digits)  // 100…999
    if exponent >= 2 || exponent < -4 {
      var m = String(mantissa)
      while m.count > 1 && m.hasSuffix("0") { m.removeLast() }
      let body = m.count > 1 ? "\(m.first!).\(m.dropFirst())" : m
      let e = exponent < 0 ? "-" + pad2(-exponent) : "+" + pad2(exponent)
      return "\(body)e\(e)"
    }
    // Fixed: the 3 digits placed around the point.
    var text = String(mantissa)
    if exponent >= 0 {
      let whole = String(text.prefix(exponent + 1))
      var fraction = String(text.dropFirst(exponent + 1))
      while fraction.hasSuffix("0") { fraction.removeLast() }
      return whole + "." + (fraction.isEmpty ? "0" : fraction)
    }
    text = String(repeating: "0", count: -exponent - 1) + text
    while text.hasSuffix("0") { text.removeLast() }
    return "0." + text
  }

  private static func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
  private static func pow10(_ e: Int) -> Double {
    var r = 1.0
    for _ in 0..<abs(e) { r *= 10 }
    return e < 0 ? 1 / r : r
  }
  /// `s` without spaces or tabs at either end.
  private static func trimmed(_ s: Substring) -> Substring {
    var s = s
    while s.first == " " || s.first == "\t" { s.removeFirst() }
    while s.last == " " || s.last == "\t" { s.removeLast() }
    return s
  }

  /// ⌊log10 v⌋ for v > 0, by counting.
  private static func decade(_ v: Double) -> Int {
    var e = 0
    var x = v
    while x >= 10 { x /= 10; e += 1 }
    while x < 1 { x *= 10; e -= 1 }
    return e
  }
}
