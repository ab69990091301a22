/// The terminal table of a result: one row per attack with each strategy's true-match
/// rate, then the summary rows (mean, false matches, closest false pair, cost).
extension EvalResult {
  /// The table's lines.
  public var tableLines: [String] {
    let names = strategies.map(\.name)
    let width = max(9, names.map(\.count).max() ?? 0) + 2
    let label = max(14, attacks.map(\.name.count).max() ?? 0) + 2
    func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
      let fill = String(repeating: " ", count: max(0, n - s.count))
      return left ? s + fill : fill + s
    }
    func percent(_ v: Double) -> String { Self.fixed(v * 100, 1) + "%" }
    var lines: [String] = []
    lines.append(
      "\(images) images (\(darkImages) dark), \(attacks.count) attacks, seed \(seed), PDQ distance <= \(threshold), quality >= \(minimumQuality)")
    lines.append(pad("true matches", label, left: true) + names.map { pad($0, width) }.joined())
    for (a, attack) in attacks.enumerated() {
      lines.append(pad(attack.name, label, left: true) + strategies.map { s in
        pad(a < s.perAttack.count ? percent(s.perAttack[a].trueMatchRate) : "-", width)
      }.joined())
    }
    lines.append(pad("mean", label, left: true) + strategies.map { pad(percent($0.meanTrueMatchRate), width) }.joined())
    lines.append(pad("false pairs", label, left: true) + strategies.map { pad("\($0.falsePairs)", width) }.joined())
    lines.append(pad("false rate", label, left: true) + strategies.map { pad(Self.scientific($0.falseMatchRate), width) }.joined())
    lines.append(pad("closest false", label, left: true) + strategies.map { pad($0.closestFalsePair.map { "\($0.distance)" } ?? "-", width) }.joined())
    lines.append(pad("hashes/query", label, left: true) + strategies.map { pad(Self.fixed($0.hashesPerQuery, 1), width) }.joined())
    lines.append(pad("hashes/entry", label, left: true) + strategies.map { pad(Self.fixed($0.hashesPerEntry, 1), width) }.joined())
    lines.append(pad("ms/query", label, left: true) + strategies.map { pad(Self.fixed($0.millisecondsPerQuery, 2), width) }.joined())
    lines.append(pad("cost vs plain", label, left: true) + strategies.map { pad(Self.fixed($0.costRelativeToPlain, 2) + "x", width) }.joined())
    lines.append("(\(strategies.first?.pairs ?? 0) pairs of an attacked copy and another original per strategy)")
    return lines
  }

  /// `v` with `digits` decimals.
  static func fixed(_ v: Double, _ digits: Int) -> String {
    guard v.isFinite else { return "-" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(v) * scale).rounded()
    let whole = Int(scaled / scale)
    var fraction = String(Int(scaled) - whole * Int(scale))
    while fraction.count < digits { fraction = "0" + fraction }
    return (v < 0 && scaled > 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + fraction : "")
  }

  /// `v` as `1.5e-06`, or `0`.
  static func scientific(_ v: Double) -> String {
    guard v.isFinite else { return "-" }
    guard v != 0 else { return "0" }
    var exponent = 0
    var m = abs(v)
    while m >= 10 { m /= 10; exponent += 1 }
    while m < 1 { m *= 10; exponent -= 1 }
    let e = abs(exponent) < 10 ? "0\(abs(exponent))" : "\(abs(exponent))"
    return (v < 0 ? "-" : "") + fixed(m, 1) + "e" + (exponent < 0 ? "-" : "+") + e
  }
}
