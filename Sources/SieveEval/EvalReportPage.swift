import SieveCore

/// A `sieve eval` result as one self-contained HTML5 page: a summary, the strategies
/// side by side, an ROC chart, per-attack bars and table, and the attack suite.
///
/// No script, no external resource, inline style only: the page reads offline and prints
/// with its colours. Standard library only (no Foundation), so numbers are formatted here.
public enum EvalReportPage {
  /// The complete page for `result`.
  ///
  /// Safe on any result: no strategies, no attacks, empty ROC curves, a `perAttack`
  /// shorter than the suite, zero counts and NaN or infinite figures all render
  /// (as "–" or "n/a"); nothing divides.
  public static func html(_ result: EvalResult) -> String {
    var page = header(result)
    page += summarySection(result)
    page += rocSection(result)
    page += barSection(result)
    page += attackTableSection(result)
    page += suiteSection(result)
    page += "</main>\n</body>\n</html>\n"
    return page
  }
}

// MARK: - Sections

extension EvalReportPage {
  /// Doctype, head with the inline style, the title and the summary paragraphs.
  private static func header(_ r: EvalResult) -> String {
    let darkLuma = fixed(EvalResult.darkLuma, 0)
    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <meta http-equiv="Content-Security-Policy" content="\(contentSecurityPolicy)">
      <title>Sieve eval: PDQ robustness (seed \(r.seed))</title>
      <style>
      \(style)
      </style>
      </head>
      <body>
      <main>
      <h1>Sieve eval: PDQ robustness report</h1>
      <p>\(plural(r.attacks.count, "attack")) applied to \(plural(r.images, "benign image")) \
      (\(grouped(r.darkImages)) of them dark: mean luma under \(darkLuma)), seed \(r.seed). \
      An attacked copy is found when PDQ puts its original at distance ≤ \(r.threshold); \
      hashes of quality under \(r.minimumQuality) are never matched. \
      <abbr title="true-match rate">TMR</abbr>: share of attacked copies found. \
      <abbr title="false-match rate">FMR</abbr>: share of (attacked copy, other original) pairs within the threshold. \
      Measured by Sieve \(escape(r.version)).</p>
      <p>Reproduce with the same images and Sieve version: <code>sieve eval IMAGES --seed \(r.seed)</code></p>

      """
  }

  /// One row per strategy: cost, mean TMR, false matches and the closest false pair.
  private static func summarySection(_ r: EvalResult) -> String {
    var out = "<h2 id=\"strategies\">Strategies</h2>\n"
    guard !r.strategies.isEmpty else { return out + "<p class=\"muted\">No strategy was measured.</p>\n" }
    out += """
      <div class="wide"><table>
      <thead><tr><th>Strategy</th><th>Description</th><th>Hashes per query</th><th>Hashes per entry</th>\
      <th>ms per query</th><th>Cost vs plain</th><th>Mean TMR</th><th>False pairs / pairs</th><th>FMR</th>\
      <th>Closest false pair</th></tr></thead>
      <tbody>

      """
    for (i, s) in r.strategies.enumerated() {
      let closest =
        s.closestFalsePair.map { p in
          "distance \(p.distance): <code>\(escape(p.query))</code> (\(escape(p.attack))) vs <code>\(escape(p.other))</code>"
        } ?? "<span class=\"muted\">none</span>"
      out += "<tr><th scope=\"row\">\(swatch(i))\(escape(s.name))</th><td>\(escape(s.description))</td>"
      out += "<td class=\"num\">\(fixed(s.hashesPerQuery, 2))</td><td class=\"num\">\(fixed(s.hashesPerEntry, 2))</td>"
      out += "<td class=\"num\">\(fixed(s.millisecondsPerQuery, 2))</td><td class=\"num\">\(times(s.costRelativeToPlain))</td>"
      out += "<td class=\"num\">\(percent(s.meanTrueMatchRate))</td>"
      out += "<td class=\"num\">\(grouped(s.falsePairs)) / \(grouped(s.pairs))</td>"
      out += "<td class=\"num\">\(scientific(s.falseMatchRate))</td><td>\(closest)</td></tr>\n"
    }
    return out + "</tbody></table></div>\n"
  }

  /// The ROC chart in a figure, with its caption.
  private static func rocSection(_ r: EvalResult) -> String {
    let out = "<h2 id=\"roc\">ROC curves</h2>\n"
    guard !r.strategies.isEmpty else { return out + "<p class=\"muted\">No strategy, so no curve.</p>\n" }
    return out + """
      <figure class="keep">
      \(rocChart(r))<figcaption>True-match rate against false-match rate (log scale) for every PDQ distance threshold \
      from 0 to 256. Circles mark the threshold used, \(r.threshold). Points without any false match (FMR = 0) sit on \
      the left edge, in the shaded band marked 0; rates between 0 and 1e-7 are drawn at 1e-7. The dashed line is an FMR \
      budget of 1e-5.</figcaption>
      </figure>

      """
  }

  /// Grouped horizontal bars: per attack, one bar per strategy.
  private static func barSection(_ r: EvalResult) -> String {
    let out = "<h2 id=\"bars\">True-match rate per attack</h2>\n"
    guard !r.strategies.isEmpty, !r.attacks.isEmpty else {
      return out + "<p class=\"muted\">No attack or no strategy, so no bars.</p>\n"
    }
    return out + """
      <figure>
      \(barChart(r))<figcaption>Share of attacked copies found at threshold \(r.threshold), per attack (in the order \
      applied) and strategy; n/a where a strategy has no copy for that attack.</figcaption>
      </figure>

      """
  }

  /// Rows are attacks, columns strategies' TMR, with the dark originals' counts beneath.
  private static func attackTableSection(_ r: EvalResult) -> String {
    var out = "<h2 id=\"attacks\">Per attack</h2>\n"
    guard !r.attacks.isEmpty else { return out + "<p class=\"muted\">No attack was applied.</p>\n" }
    out += "<div class=\"wide\"><table>\n<thead><tr><th>Attack</th><th>Group</th><th>Description</th>"
    for (i, s) in r.strategies.enumerated() { out += "<th>\(swatch(i))\(escape(s.name))</th>" }
    out += "</tr></thead>\n<tbody>\n"
    for (a, attack) in r.attacks.enumerated() {
      let found = r.strategies.map { attackResult($0, a, attack.name) }
      let rates = found.map(shownRate)
      let best = rates.compactMap { $0 }.max()
      out += "<tr><th scope=\"row\"><code>\(escape(attack.name))</code></th><td>\(escape(attack.group))</td>"
      out += "<td>\(escape(attack.description))</td>"
      for (one, rate) in zip(found, rates) {
        guard let one, let rate else {
          out += "<td class=\"num muted\">n/a</td>"
          continue
        }
        let value = rate == best && r.strategies.count > 1 ? "<strong>\(percent(rate))</strong>" : percent(rate)
        let dark = one.darkQueries > 0 ? "<span class=\"dark\">dark: \(one.darkTrueMatches)/\(one.darkQueries)</span>" : ""
        out += "<td class=\"num\" title=\"\(escape(details(one)))\">\(value)\(dark)</td>"
      }
      out += "</tr>\n"
    }
    out += "</tbody>\n"
    if !r.strategies.isEmpty {
      out += "<tfoot><tr><th scope=\"row\" colspan=\"3\">Mean over the attacks</th>"
      for s in r.strategies { out += "<td class=\"num\">\(percent(s.meanTrueMatchRate))</td>" }
      out += "</tr></tfoot>\n"
    }
    return out + "</table></div>\n"
  }

  /// The attack suite, in the order applied, so that others can reproduce it.
  private static func suiteSection(_ r: EvalResult) -> String {
    var out = "<h2 id=\"suite\">Attack suite</h2>\n"
    guard !r.attacks.isEmpty else { return out + "<p class=\"muted\">The suite was empty.</p>\n" }
    out += "<p>\(plural(r.attacks.count, "attack")), applied in this order to every original; seed \(r.seed).</p>\n"
    out += "<ol class=\"suite\">\n"
    for attack in r.attacks {
      out += "<li><code>\(escape(attack.name))</code> <span class=\"group\">\(escape(attack.group))</span> "
      out += "— \(escape(attack.description))</li>\n"
    }
    return out + "</ol>\n"
  }
}

// MARK: - Charts

extension EvalReportPage {
  /// Width of both charts; their legends start at ``legendX``.
  private static let chartWidth = 800.0
  private static let legendX = 630.0

  /// The ROC chart's plot area: FMR = 0 on the left edge, then a shaded gap, then 1e-7 … 1 in decades.
  private struct ROCFrame {
    let left = 70.0
    let zeroGap = 26.0
    let right = 600.0
    let top = 34.0
    let bottom = 350.0
    var logLeft: Double { left + zeroGap }

    /// x of a false-match rate: 0 on the left edge, (0, 1e-7) at 1e-7, above 1 at 1.
    func x(_ fmr: Double) -> Double {
      guard fmr > 0 else { return left }
      let decades = clamped(decimalLog(fmr), -7, 0)
      return logLeft + (decades + 7) / 7 * (right - logLeft)
    }

    /// y of a true-match rate (a share, 0 … 1).
    func y(_ tmr: Double) -> Double { bottom - clamped(tmr, 0, 1) * (bottom - top) }
  }

  /// The ROC chart: grid, FMR = 0 band, budget line, one polyline per strategy, threshold markers, legend.
  private static func rocChart(_ r: EvalResult) -> String {
    let f = ROCFrame()
    let legendHeight = f.top + Double(r.strategies.count + 1) * 20 + 16
    let height = max(f.bottom + 56, legendHeight)
    var svg = svgOpen(height: height, label: "ROC curves: true-match rate against false-match rate, one per strategy")
    svg += rect(f.left, f.top, f.right - f.left, f.bottom - f.top, fill: "#fff", stroke: "#999")
    svg += rect(f.left, f.top, f.zeroGap, f.bottom - f.top, fill: "#eee", stroke: "none")
    for step in 0...5 {
      let y = f.y(Double(step) / 5)
      svg += line(f.left, y, f.right, y, stroke: "#ddd")
      svg += text(f.left - 6, y + 4, "\(step * 20)%", anchor: "end")
    }
    for decade in -7...0 {
      let x = f.x(timesPowerOfTen(1, decade))
      svg += line(x, f.top, x, f.bottom, stroke: "#ddd")
      svg += text(x, f.bottom + 16, decade == 0 ? "1" : "1e\(decade)", anchor: "middle")
    }
    // FMR = 0: the left edge, labelled 0, with a break in the axis before the log scale starts.
    let gapMiddle = f.left + f.zeroGap / 2
    svg += text(f.left, f.bottom + 16, "0", anchor: "middle")
    svg += text(gapMiddle + 3, (f.top + f.bottom) / 2, "FMR = 0", anchor: "middle", rotate: true, className: "faint")
    svg += rect(gapMiddle - 4, f.bottom - 3, 8, 6, fill: "#fff", stroke: "none")
    svg += line(gapMiddle - 6, f.bottom + 4, gapMiddle - 2, f.bottom - 4, stroke: "#666")
    svg += line(gapMiddle + 2, f.bottom + 4, gapMiddle + 6, f.bottom - 4, stroke: "#666")
    // The budget.
    let budget = f.x(1e-5)
    svg += line(budget, f.top - 4, budget, f.bottom, stroke: "#444", dash: "5 4")
    svg += text(budget, f.top - 8, "budget 1e-5", anchor: "middle")
    svg += text((f.logLeft + f.right) / 2, f.bottom + 38, "False-match rate (log scale)", anchor: "middle", className: "title")
    svg += text(18, (f.top + f.bottom) / 2, "True-match rate", anchor: "middle", rotate: true, className: "title")
    // The curves, then the markers on top of them all.
    for (i, s) in r.strategies.enumerated() {
      let points = rocPoints(s).map { "\(coord(f.x($0.falseMatchRate))),\(coord(f.y($0.trueMatchRate)))" }
      guard !points.isEmpty else { continue }
      svg += "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"\(colour(i))\" stroke-width=\"2\""
      svg += " stroke-linejoin=\"round\" stroke-linecap=\"round\"\(dashAttribute(i))>"
      svg += "<title>\(escape(s.name))</title></polyline>\n"
    }
    for (i, s) in r.strategies.enumerated() {
      guard let p = rocPoints(s).first(where: { $0.threshold == r.threshold }) else { continue }
      let tip = "\(s.name) at threshold \(p.threshold): TMR \(percent(p.trueMatchRate)), FMR \(scientific(p.falseMatchRate))"
      svg += "<circle cx=\"\(coord(f.x(p.falseMatchRate)))\" cy=\"\(coord(f.y(p.trueMatchRate)))\" r=\"4.5\""
      svg += " fill=\"\(colour(i))\" stroke=\"#222\"><title>\(escape(tip))</title></circle>\n"
    }
    svg += legend(r.strategies, top: f.top, marker: "threshold \(r.threshold)")
    return svg + "</svg>\n"
  }

  /// The bar chart, its height from the number of attacks × strategies.
  private static func barChart(_ r: EvalResult) -> String {
    let labelRight = 150.0
    let barLeft = 156.0
    let barSpan = 400.0
    let top = 34.0
    let barHeight = 11.0
    let barGap = 3.0
    let groupGap = 12.0
    let groupHeight = Double(r.strategies.count) * (barHeight + barGap) - barGap
    let plotBottom = top + Double(r.attacks.count) * (groupHeight + groupGap) - groupGap
    let height = max(plotBottom + 16, top + Double(r.strategies.count) * 20 + 16)
    var svg = svgOpen(height: height, label: "True-match rate per attack, one bar per strategy")
    for step in 0...4 {
      let x = barLeft + Double(step) / 4 * barSpan
      svg += line(x, top - 6, x, plotBottom, stroke: "#ddd")
      svg += text(x, top - 12, "\(step * 25)%", anchor: "middle")
    }
    for (a, attack) in r.attacks.enumerated() {
      let groupTop = top + Double(a) * (groupHeight + groupGap)
      if a > 0 {
        let y = groupTop - groupGap / 2
        svg += line(8, y, barLeft + barSpan, y, stroke: "#eee")
      }
      let name = "<title>\(escape(attack.name)) (\(escape(attack.group)))</title>\(escape(shortened(attack.name, 22)))"
      let nameY = coord(groupTop + groupHeight / 2 + 4)
      svg += "<text x=\"\(coord(labelRight))\" y=\"\(nameY)\" text-anchor=\"end\">\(name)</text>\n"
      for (s, strategy) in r.strategies.enumerated() {
        let y = groupTop + Double(s) * (barHeight + barGap)
        let found = attackResult(strategy, a, attack.name)
        let rate = shownRate(found)
        let width = clamped(rate ?? 0, 0, 1) * barSpan
        if rate != nil {
          let tip = "\(strategy.name), \(attack.name): " + (found.map(details) ?? "")
          svg += "<rect x=\"\(coord(barLeft))\" y=\"\(coord(y))\" width=\"\(coord(width))\" height=\"\(coord(barHeight))\""
          svg += " fill=\"\(colour(s))\"><title>\(escape(tip))</title></rect>\n"
        }
        svg += text(barLeft + width + 4, y + barHeight - 2, rate.map(percent) ?? "n/a", className: "value")
      }
    }
    svg += line(barLeft, top - 6, barLeft, plotBottom, stroke: "#666")
    svg += legend(r.strategies, top: top, marker: nil)
    return svg + "</svg>\n"
  }

  /// The legend column at ``legendX``: a stroke in each strategy's colour and dash, then an optional marker row.
  private static func legend(_ strategies: [EvalResult.StrategyResult], top: Double, marker: String?) -> String {
    var out = ""
    for (i, s) in strategies.enumerated() {
      let y = top + 6 + Double(i) * 20
      out += "<line x1=\"\(coord(legendX))\" y1=\"\(coord(y))\" x2=\"\(coord(legendX + 22))\" y2=\"\(coord(y))\""
      out += " stroke=\"\(colour(i))\" stroke-width=\"4\"\(dashAttribute(i))/>\n"
      out += text(legendX + 28, y + 4, shortened(s.name, 20))
    }
    if let marker {
      let y = top + 6 + Double(strategies.count) * 20
      out += "<circle cx=\"\(coord(legendX + 11))\" cy=\"\(coord(y))\" r=\"4.5\" fill=\"#fff\" stroke=\"#222\"/>\n"
      out += text(legendX + 28, y + 4, marker)
    }
    return out
  }

  /// `<svg …>` for a chart ``chartWidth`` wide, scaled down to fit narrow screens and paper.
  private static func svgOpen(height: Double, label: String) -> String {
    let w = coord(chartWidth)
    let h = coord(height)
    return "<svg width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" role=\"img\" aria-label=\"\(escape(label))\">\n"
  }

  private static func rect(_ x: Double, _ y: Double, _ width: Double, _ height: Double, fill: String, stroke: String) -> String {
    let box = "x=\"\(coord(x))\" y=\"\(coord(y))\" width=\"\(coord(width))\" height=\"\(coord(height))\""
    return "<rect \(box) fill=\"\(fill)\" stroke=\"\(stroke)\"/>\n"
  }

  private static func line(
    _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, dash: String? = nil
  ) -> String {
    let dashed = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
    let ends = "x1=\"\(coord(x1))\" y1=\"\(coord(y1))\" x2=\"\(coord(x2))\" y2=\"\(coord(y2))\""
    return "<line \(ends) stroke=\"\(stroke)\"\(dashed)/>\n"
  }

  /// A `<text>` of `content` (escaped here); `rotate` turns it a quarter left about its anchor.
  private static func text(
    _ x: Double, _ y: Double, _ content: String, anchor: String = "start", rotate: Bool = false, className: String? = nil
  ) -> String {
    let turn = rotate ? " transform=\"rotate(-90 \(coord(x)) \(coord(y)))\"" : ""
    let cls = className.map { " class=\"\($0)\"" } ?? ""
    return "<text x=\"\(coord(x))\" y=\"\(coord(y))\" text-anchor=\"\(anchor)\"\(turn)\(cls)>\(escape(content))</text>\n"
  }

  /// The Okabe–Ito colours (colour-blind safe), yellow last as it is faint on white.
  private static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

  /// Strategy `index`'s colour; past the palette, colours repeat with a dash (``dashAttribute(_:)``).
  private static func colour(_ index: Int) -> String { palette[index % palette.count] }

  /// Solid for the first round of colours, then dashed, then dotted.
  private static func dashAttribute(_ index: Int) -> String {
    switch index / palette.count % 3 {
    case 1: return " stroke-dasharray=\"7 3\""
    case 2: return " stroke-dasharray=\"2 3\""
    default: return ""
    }
  }

  /// A small square in strategy `index`'s colour, before its name in the tables.
  private static func swatch(_ index: Int) -> String {
    "<span class=\"swatch c\(index % palette.count)\" aria-hidden=\"true\"></span>"
  }
}

// MARK: - Data

extension EvalReportPage {
  /// `strategy`'s figures for attack `index` of the suite: the entry of that name (at that index if it is there),
  /// else the entry at that index, else nil (a `perAttack` shorter than the suite).
  private static func attackResult(
    _ strategy: EvalResult.StrategyResult, _ index: Int, _ name: String
  ) -> EvalResult.AttackResult? {
    let entries = strategy.perAttack
    if entries.indices.contains(index), entries[index].attack == name { return entries[index] }
    if let named = entries.first(where: { $0.attack == name }) { return named }
    return entries.indices.contains(index) ? entries[index] : nil
  }

  /// The true-match rate to show, or nil when there is nothing to show (no entry, no copy, not finite).
  private static func shownRate(_ result: EvalResult.AttackResult?) -> Double? {
    guard let result, result.queries > 0, result.trueMatchRate.isFinite else { return nil }
    return result.trueMatchRate
  }

  /// Found, mean distance and low quality, for a tooltip.
  private static func details(_ a: EvalResult.AttackResult) -> String {
    "\(a.trueMatches)/\(a.queries) found, mean distance \(fixed(a.meanDistance, 1)), \(a.lowQuality) under minimum quality"
  }

  /// A strategy's ROC points with finite rates, by threshold.
  private static func rocPoints(_ s: EvalResult.StrategyResult) -> [EvalResult.ROCPoint] {
    s.roc.filter { $0.trueMatchRate.isFinite && $0.falseMatchRate.isFinite }.sorted { $0.threshold < $1.threshold }
  }
}

// MARK: - Text and numbers

extension EvalReportPage {
  /// `s` escaped for text and attribute values alike, control characters other than tab
  /// and line breaks replaced by U+FFFD.
  private static func escape(_ s: String) -> String { HTMLText.escape(s, replacingControls: true) }

  /// `s` cut to `limit` characters, the last one an ellipsis, for chart labels (the full text goes in a tooltip).
  private static func shortened(_ s: String, _ limit: Int) -> String {
    s.count <= limit ? s : String(s.prefix(max(limit - 1, 0))) + "…"
  }

  /// `value` rounded to `decimals` places (0 … 6): "12.35"; "–" when not finite.
  private static func fixed(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return "–" }
    let places = min(max(decimals, 0), 6)
    var unit: UInt64 = 1
    for _ in 0..<places { unit *= 10 }
    let scaled = (value.magnitude * Double(unit)).rounded()
    guard scaled < 1e18 else { return scientific(value, 2) }  // past UInt64's exact range
    let units = UInt64(scaled)
    var digits = String(units / unit)
    if places > 0 {
      let fraction = String(units % unit)
      digits += "." + String(repeating: "0", count: places - fraction.count) + fraction
    }
    return (value < 0 && units > 0 ? "-" : "") + digits
  }

  /// `value` in scientific notation with `digits` decimals and a two-digit exponent: "1.5e-06";
  /// "0" for zero, "–" when not finite.
  private static func scientific(_ value: Double, _ digits: Int = 1) -> String {
    guard value.isFinite else { return "–" }
    guard value != 0 else { return "0" }
    let places = min(max(digits, 0), 6)
    var exponent = Int(decimalLog(value.magnitude).rounded(.down))
    var mantissa = timesPowerOfTen(value.magnitude, -exponent)
    // The logarithm may land one off next to a power of ten, and rounding may carry to 10.
    if mantissa < 1 { mantissa *= 10; exponent -= 1 }
    if mantissa >= 10 { mantissa /= 10; exponent += 1 }
    let unit = timesPowerOfTen(1, places)
    mantissa = (mantissa * unit).rounded() / unit
    if mantissa >= 10 { mantissa /= 10; exponent += 1 }
    let exponentDigits = String(exponent.magnitude)
    let padded = exponentDigits.count < 2 ? "0" + exponentDigits : exponentDigits
    return (value < 0 ? "-" : "") + fixed(mantissa, places) + "e" + (exponent < 0 ? "-" : "+") + padded
  }

  /// A share (0 … 1) as a percentage with one decimal: "97.3%"; "–" when not finite.
  private static func percent(_ share: Double) -> String {
    let value = share * 100
    return value.isFinite ? fixed(value, 1) + "%" : "–"
  }

  /// A ratio as a multiple: "1.21×"; "–" when not finite.
  private static func times(_ ratio: Double) -> String { ratio.isFinite ? fixed(ratio, 2) + "×" : "–" }

  /// An integer with thousands separators: "1,234,567".
  private static func grouped(_ n: Int) -> String {
    let digits = Array(String(n.magnitude))
    var out = n < 0 ? "-" : ""
    for (i, digit) in digits.enumerated() {
      if i > 0, (digits.count - i) % 3 == 0 { out += "," }
      out.append(digit)
    }
    return out
  }

  /// "1 image", "2,000 images".
  private static func plural(_ n: Int, _ noun: String) -> String { "\(grouped(n)) \(noun)\(n == 1 ? "" : "s")" }

  /// An SVG coordinate, one decimal; a non-finite one (never expected) becomes 0 rather than invalid markup.
  private static func coord(_ v: Double) -> String { fixed(v.isFinite ? v : 0, 1) }

  /// `v` within `low … high`; NaN becomes `low`.
  private static func clamped(_ v: Double, _ low: Double, _ high: Double) -> Double { v.isNaN ? low : min(max(v, low), high) }

  /// `value` × 10^`exponent`, in steps of at most 10^22 (exact in a Double) so no step overflows on the way.
  private static func timesPowerOfTen(_ value: Double, _ exponent: Int) -> Double {
    var result = value
    var remaining = exponent
    while remaining != 0 {
      let step = min(remaining.magnitude, 22)
      var power = 1.0
      for _ in 0..<step { power *= 10 }
      if remaining > 0 { result *= power; remaining -= Int(step) } else { result /= power; remaining += Int(step) }
    }
    return result
  }

  /// The base-10 logarithm of a positive finite `x` (the standard library has none without Foundation):
  /// `x` = s × 2^e with s in [1, 2), and ln s = 2 atanh((s − 1) / (s + 1)), whose series converges fast as
  /// that ratio is under 1/3. Zero gives −∞; a negative or non-finite `x` gives NaN.
  private static func decimalLog(_ x: Double) -> Double {
    guard x.isFinite, x >= 0 else { return .nan }
    guard x > 0 else { return -.infinity }
    let s = x.significand
    let t = (s - 1) / (s + 1)
    let t2 = t * t
    var term = t
    var sum = 0.0
    for k in stride(from: 1.0, through: 41.0, by: 2.0) {
      sum += term / k
      term *= t2
    }
    let ln2 = 0.693_147_180_559_945_3
    let ln10 = 2.302_585_092_994_046
    return (Double(x.exponent) * ln2 + 2 * sum) / ln10
  }
}

// MARK: - Page furniture

extension EvalReportPage {
  /// No script, no network, no form: only the page's own inline style. A tag that escaping missed could not run or load.
  private static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'"

  /// The inline style sheet: readable on screen, compact and in colour on paper.
  private static let style: String = {
    let swatches = palette.enumerated().map { ".c\($0.offset){background:\($0.element)}" }.joined()
    return """
      body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;padding:0 1em;color:#222;max-width:72em}
      *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
      h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
      table{border-collapse:collapse;margin:.5em 0}
      td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
      th{background:#f3f3f3}tbody th{white-space:nowrap}tfoot th,tfoot td{background:#fafafa}
      code{font:12px ui-monospace,monospace}
      .num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
      .muted{color:#666}.dark{display:block;font-size:.8em;color:#555}
      .swatch{display:inline-block;width:.8em;height:.8em;margin-right:.4em;border-radius:2px;vertical-align:-.05em}
      \(swatches)
      .wide{overflow-x:auto}
      figure{margin:1em 0}figcaption{color:#555;font-size:.9em;max-width:50em}
      svg{display:block;max-width:100%;height:auto;font:11px system-ui,sans-serif;fill:#222}
      svg .title{font-size:12px}svg .faint{fill:#777;font-size:10px}svg .value{font-size:10px}
      .suite .group{color:#555;font-size:.9em}
      @media print{body{margin:0;padding:0;max-width:none;font-size:11px}.wide{overflow:visible}
      h2{break-after:avoid}tr,.keep{break-inside:avoid}}
      """
  }()
}
