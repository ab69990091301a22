import ArgumentParser
import Foundation
import SieveCore
import SieveHashing
import SieveImaging
import SievePipeline
import SieveVideo

/// How `sieve hash` writes its records.
enum HashFormat: String, ExpressibleByArgument, CaseIterable {
  /// Aligned columns for a person; a video's frames as vPDQ's lines under it.
  case text
  /// RFC 4180 CSV with a header row whose first two columns are `path,pdq`; a video's
  /// frames a row each.
  case csv
  /// One JSON object per line.
  case jsonl
  /// Videos only, as vPDQ writes them: `# PATH`, then `frame,quality,hash,timestamp` lines.
  case vpdq
}

/// Formats hash records as text, CSV, JSON Lines or vPDQ's lines.
struct RecordWriter {
  let format: HashFormat
  let options: HashOptions
  var digests = false

  static let dihedralNames = PDQOrientation.allCases.dropFirst().map(\.name)

  /// The header line, for formats that have one.
  var header: String? {
    guard format == .csv else { return nil }
    var columns = ["path", "pdq", "pdq_quality", "phash", "width", "height", "format", "pdq_mode"]
    if options.dihedral { columns += Self.dihedralNames.map { "pdq_" + $0 } }
    if options.orientations { columns += Self.dihedralNames.map { "pdq_turned_" + $0 } }
    if options.borders { columns += ["pdq_trimmed", "pdq_trimmed_box"] }
    if digests { columns += ["md5", "sha1", "sha256"] }
    if options.fastJPEG { columns.append("jpeg_scale") }
    columns += ["frame", "timestamp"]
    return columns.joined(separator: ",")
  }

  /// A picture's line; nil in the vpdq format (videos only).
  func line(path: String, hashes: ImageHashes, header: ImageHeader, digests fileDigests: FileDigests? = nil) -> String? {
    let digestHex = digests ? (fileDigests?.all.map(\.hexString) ?? ["", "", ""]) : []
    let pdq = hashes.pdq?.hash.hexString ?? ""
    let quality = hashes.pdq.map { String($0.quality) } ?? ""
    let phash = hashes.phash?.hexString ?? ""
    let dihedral = hashes.pdq?.dihedral?.hashes.dropFirst().map(\.hexString) ?? []
    let turned = hashes.pdq?.orientations?.hashes.dropFirst().map(\.hexString) ?? []
    let trimmed = hashes.pdq?.variants(.trimmed) ?? []
    let boxes = trimmed.map { "\($0.x)+\($0.y)+\($0.width)x\($0.height)" }
    switch format {
    case .text:
      var fields = [pdq, "q" + quality.padding(toLength: 3, withPad: " ", startingAt: 0), phash]
      fields.append("\(hashes.width)x\(hashes.height)".padding(toLength: 11, withPad: " ", startingAt: 0))
      fields.append(header.format.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0))
      fields.append(hashes.pdqMode.rawValue)
      if !dihedral.isEmpty { fields.append(dihedral.joined(separator: ",")) }
      if !turned.isEmpty { fields.append("turned=" + turned.joined(separator: ",")) }
      for (t, box) in zip(trimmed, boxes) { fields.append("trimmed=\(t.hash.hexString)@\(box)") }
      if let md5 = digestHex.first { fields.append("md5=" + md5) }
      if hashes.scaleDenominator > 1 { fields.append("fast-1/\(hashes.scaleDenominator)") }
      fields.append(path)
      return fields.filter { !$0.isEmpty }.joined(separator: "  ")
    case .csv:
      var fields = [
        CSVField.quote(path), pdq, quality, phash, String(hashes.width), String(hashes.height),
        header.format.rawValue, hashes.pdqMode.rawValue,
      ]
      if options.dihedral { fields += dihedral }
      if options.orientations { fields += turned.isEmpty ? Array(repeating: "", count: 7) : turned }
      if options.borders { fields += [trimmed.map(\.hash.hexString).joined(separator: ";"), boxes.joined(separator: ";")] }
      fields += digestHex
      if options.fastJPEG { fields.append("1/\(hashes.scaleDenominator)") }
      fields += ["", ""]
      return fields.joined(separator: ",")
    case .jsonl:
      var object = JSONObject()
      object.add("path", path)
      object.add("pdq", pdq)
      object.add("pdq_quality", hashes.pdq?.quality)
      object.add("pdq_mode", hashes.pdqMode.rawValue)
      if options.dihedral, let set = hashes.pdq?.dihedral {
        var inner = JSONObject()
        for orientation in PDQOrientation.allCases.dropFirst() { inner.add(orientation.name, set[orientation].hexString) }
        object.addRaw("pdq_dihedral", inner.text)
      }
      if options.orientations, let set = hashes.pdq?.orientations {
        var inner = JSONObject()
        for orientation in PDQOrientation.allCases.dropFirst() { inner.add(orientation.name, set[orientation].hexString) }
        object.addRaw("pdq_turned", inner.text)
      }
      if options.borders {
        let items = trimmed.map { t -> String in
          var inner = JSONObject()
          inner.add("pdq", t.hash.hexString)
          inner.add("pdq_quality", t.quality)
          inner.add("x", t.x)
          inner.add("y", t.y)
          inner.add("width", t.width)
          inner.add("height", t.height)
          return inner.text
        }
        object.addRaw("pdq_trimmed", "[" + items.joined(separator: ",") + "]")
      }
      if options.extensions {
        var inner = JSONObject()
        for variant in PDQVariant.extensions.map(\.variant) {
          if let v = hashes.pdq?.variants(variant).first { inner.add(variant.name, v.hash.hexString) }
        }
        object.addRaw("pdq_extended", inner.text)
      }
      if let phash = hashes.phash { object.add("phash", phash.hexString) }
      object.add("width", hashes.width)
      object.add("height", hashes.height)
      object.add("format", header.format.rawValue)
      if options.fastJPEG { object.add("jpeg_scale", hashes.scaleDenominator) }
      if digests {
        object.add("md5", digestHex[0])
        object.add("sha1", digestHex[1])
        object.add("sha256", digestHex[2])
      }
      return object.text
    case .vpdq:
      return nil
    }
  }

  /// A video's lines: its frames' features, with its header's facts.
  func videoLines(path: String, video: VideoHashes, container: VideoContainer?, digests fileDigests: FileDigests? = nil) -> [String] {
    let info = video.info
    let digestHex = digests ? (fileDigests?.all.map(\.hexString) ?? ["", "", ""]) : []
    let kind = container?.rawValue ?? "video"
    switch format {
    case .text:
      var fields = [
        "vpdq", "\(video.features.count) frames", "\(info.width)x\(info.height)", "\(Self.decimal(info.frameRate)) fps",
        info.duration.map { "\(Self.decimal($0)) s" } ?? "", "\(kind)/\(info.codec)",
        video.stoppedEarly == nil ? "" : "STOPPED EARLY",
      ]
      if let md5 = digestHex.first { fields.append("md5=" + md5) }
      fields.append(path)
      return [fields.filter { !$0.isEmpty }.joined(separator: "  ")] + video.features.map { "  " + VPDQText.line($0) }
    case .vpdq:
      return ["# " + path] + video.features.map(VPDQText.line)
    case .csv:
      return video.features.map { f in
        var fields = [
          CSVField.quote(path), f.hash.hexString, String(f.quality), "", String(info.width), String(info.height), kind, "fullres",
        ]
        if options.dihedral { fields += Array(repeating: "", count: 7) }
        if options.orientations { fields += Array(repeating: "", count: 7) }
        if options.borders { fields += ["", ""] }
        fields += digestHex
        if options.fastJPEG { fields.append("") }
        fields += [String(f.frameNumber), f.timestampText]
        return fields.joined(separator: ",")
      }
    case .jsonl:
      var object = JSONObject()
      object.add("path", path)
      object.add("kind", "video")
      object.add("format", kind)
      object.add("codec", info.codec)
      object.add("width", info.width)
      object.add("height", info.height)
      object.addRaw("frame_rate", Self.decimal(info.frameRate))
      object.addRaw("duration", info.duration.map(Self.decimal) ?? "null")
      object.add("frames_decoded", video.framesDecoded)
      object.add("decoding", video.decodedInStretches ? "stretches" : "one pass")
      let frames = video.features.map { f -> String in
        var inner = JSONObject()
        inner.add("frame", f.frameNumber)
        inner.add("pdq", f.hash.hexString)
        inner.add("quality", f.quality)
        inner.addRaw("timestamp", f.timestampText)
        return inner.text
      }
      object.addRaw("vpdq", "[" + frames.joined(separator: ",") + "]")
      if video.badPackets > 0 { object.add("bad_packets", video.badPackets) }
      if let why = video.stoppedEarly { object.add("stopped_early", why) }
      if digests {
        object.add("md5", digestHex[0])
        object.add("sha1", digestHex[1])
        object.add("sha256", digestHex[2])
      }
      return [object.text]
    }
  }

  /// A number for output: up to 3 decimals, trailing zeros dropped.
  static func decimal(_ value: Double) -> String {
    var text = String(format: "%.3f", value)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
  }
}

/// A JSON object built in insertion order (stable field order for diffing and grepping).
struct JSONObject {
  private var fields: [String] = []

  mutating func add(_ key: String, _ value: String) {
    fields.append(Self.string(key) + ":" + Self.string(value))
  }

  mutating func add(_ key: String, _ value: Int?) {
    fields.append(Self.string(key) + ":" + (value.map(String.init) ?? "null"))
  }

  mutating func addRaw(_ key: String, _ json: String) {
    fields.append(Self.string(key) + ":" + json)
  }

  var text: String { "{" + fields.joined(separator: ",") + "}" }

  /// A JSON string literal; control characters and invalid UTF-8 are escaped.
  static func string(_ value: String) -> String {
    var out = "\""
    for scalar in value.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}
