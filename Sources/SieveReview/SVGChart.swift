import SieveCore

/// Small bar charts as inline SVG (no script, no external resource): the overview's
/// distance histograms, matches by set and label, and the timeline.
import Foundation

enum SVGChart {
  /// A vertical bar chart: one bar per value, labelled below every `labelEvery` bars; a
  /// second series (`overlay`) is drawn over the first in another colour.
  static func bars(
    _ values: [Int], labels: [String], overlay: [Int]? = nil, labelEvery: Int = 1, width: Int = 640, height: Int = 180, title: String
  ) -> String {
    let maxValue = max(1, values.max() ?? 1)
    let left = 40, bottom = 28, top = 10
    let plotW = width - left - 8, plotH = height - bottom - top
    let step = Double(plotW) / Double(max(1, values.count))
    let barW = min(40.0, max(1.0, step * 0.8))
    var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(HTMLText.escape(title))\">"
    s += "<title>\(HTMLText.escape(title))</title>"
    s += "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(width - 8)\" y2=\"\(top + plotH)\" stroke=\"#999\"/>"
    s += "<text x=\"\(left - 4)\" y=\"\(top + 8)\" text-anchor=\"end\">\(maxValue)</text><text x=\"\(left - 4)\" y=\"\(top + plotH)\" text-anchor=\"end\">0</text>"
    for (i, v) in values.enumerated() {
      let h = Double(plotH) * Double(v) / Double(maxValue)
      let x = Double(left) + Double(i) * step
      s += "<rect class=\"bar-rect\" x=\"\(fmt(x))\" y=\"\(fmt(Double(top + plotH) - h))\" width=\"\(fmt(barW))\" height=\"\(fmt(h))\"><title>\(HTMLText.escape(labels[i])): \(v)</title></rect>"
      if let overlay, i < overlay.count, overlay[i] > 0 {
        let oh = Double(plotH) * Double(overlay[i]) / Double(maxValue)
        s += "<rect class=\"bar-rect alt\" x=\"\(fmt(x))\" y=\"\(fmt(Double(top + plotH) - oh))\" width=\"\(fmt(barW))\" height=\"\(fmt(oh))\"><title>\(HTMLText.escape(labels[i])): \(overlay[i]) matched</title></rect>"
      }
      if i % max(1, labelEvery) == 0 {
        s += "<text x=\"\(fmt(x + barW / 2))\" y=\"\(height - 12)\" text-anchor=\"middle\">\(HTMLText.escape(labels[i]))</text>"
      }
    }
    return s + "</svg>"
  }

  /// A horizontal bar chart of named counts.
  static func horizontal(_ items: [(String, Int)], width: Int = 640, title: String) -> String {
    let rowH = 20, labelW = 220
    let height = max(1, items.count) * rowH + 8
    let maxValue = max(1, items.map(\.1).max() ?? 1)
    var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(HTMLText.escape(title))\">"
    s += "<title>\(HTMLText.escape(title))</title>"
    for (i, (name, v)) in items.enumerated() {
      let y = 4 + i * rowH
      let w = Double(width - labelW - 60) * Double(v) / Double(maxValue)
      let shown = name.count > 34 ? String(name.prefix(33)) + "…" : name
      s += "<text x=\"\(labelW - 6)\" y=\"\(y + 14)\" text-anchor=\"end\">\(HTMLText.escape(shown))</text>"
      s += "<rect class=\"bar-rect\" x=\"\(labelW)\" y=\"\(y + 3)\" width=\"\(fmt(max(1, w)))\" height=\"\(rowH - 6)\"><title>\(HTMLText.escape(name)): \(v)</title></rect>"
      s += "<text x=\"\(fmt(Double(labelW) + max(1, w) + 4))\" y=\"\(y + 14)\">\(v)</text>"
    }
    return s + "</svg>"
  }

  private static func fmt(_ x: Double) -> String { String(format: "%.1f", x) }
}
