import Benchmark
import BenchmarkSupport
import Foundation
import SieveCore
import SieveHashSets

/// Text hash lists of 1,000,000 lines read into a set, in every line format: the byte-level
/// fast path against the line-by-line parser (the baseline, what every line took before),
/// and reading the file's lines without parsing them (the floor). A Project VIC (VICS) JSON
/// list of 1,000,000 lines (83,333 media records of ten fields, one field a line, as
/// exporters write them) read streamed, against reading it whole with JSONSerialization
/// (the baseline, how it was read before). One core, and for the line formats the fast path
/// on every core too (blocks of lines parsed a part a core, joined in order).
///
/// The lists are written once to a temporary folder before measuring: PDQ hashes in series
/// of near-duplicates, made-up file names and labels, as `Scripts/make_hash_lists.py`
/// writes them.
let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .throughput, .peakMemoryResident],
    warmupIterations: 1,
    scalingFactor: .one,
    maxDuration: .seconds(10),
    maxIterations: 5
  )
  let lines = 1_000_000
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sieve-hashlist-bench-\(getpid())")
  try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  let lists = HashLists.write(lines: lines, to: folder.path)

  for list in lists {
    let ways: [(fast: Bool, everyCore: Bool)] =
      list.format == .vics || list.format == .vpdq ? [(true, false), (false, false)] : [(true, false), (true, true), (false, false)]
    for (fast, everyCore) in ways {
      let name = list.format == .vics
        ? "\(list.name) 1M lines, \(fast ? "streamed" : "baseline: read whole (JSONSerialization)")"
        : "\(list.name) 1M lines, \(fast ? (everyCore ? "fast path, every core" : "fast path") : "baseline: line by line")"
      Benchmark(name) { benchmark in
        var reader = TextHashSetReader(format: list.format, type: list.type, label: "bench")
        reader.usesFastPath = fast
        reader.usesEveryCore = everyCore
        for _ in benchmark.scaledIterations {
          var set = HashSet(name: "bench")
          if list.format == .vics && !fast {
            let entries = try HashLists.readVICSWhole(list.path, into: &set)
            precondition(entries == list.entries, "\(entries) entries read")
            blackHole(set.count)
            continue
          }
          let report = try reader.read(list.path, into: &set)
          precondition(report.entries == list.entries, "\(report.entries) entries read")
          blackHole(set.count)
        }
      }
    }
  }
  Benchmark("floor: the plain list's lines, read and counted") { benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(HashLists.countLines(lists[0].path))
    }
  }
}

/// The lists, written once.
enum HashLists {
  struct List: Sendable {
    var name: String
    var path: String
    var format: HashSetFormat
    var type: HashKind?
    /// Entries the list holds (videos, for vPDQ's frame lines).
    var entries: Int
  }

  static func write(lines: Int, to folder: String) -> [List] {
    var random = BenchmarkRandom(seed: 20_261_201)
    var hashes: [String] = []
    hashes.reserveCapacity(lines)
    while hashes.count < lines {
      let centre = PDQHash(w0: random.next(), w1: random.next(), w2: random.next(), w3: random.next())
      hashes.append(centre.hexString)
      for _ in 0..<Int(random.next() % 10) where hashes.count < lines {
        hashes.append(random.flip(centre, bits: Int(random.next() % 17)).hexString)
      }
    }
    func name(_ i: Int) -> String { "case\(i / 5000)/DCIM/IMG_\(i).jpg" }
    func save(_ file: String, _ header: String?, _ row: (Int) -> String) -> String {
      var text = header.map { $0 + "\n" } ?? ""
      text.reserveCapacity(lines * 120)
      for i in 0..<lines {
        text += row(i)
        text += "\n"
      }
      let path = folder + "/" + file
      FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
      return path
    }
    return [
      List(name: "plain PDQ", path: save("plain.txt", nil) { hashes[$0] }, format: .plain, type: .pdq, entries: lines),
      List(
        name: "md5sum (MD5, two spaces, a file name)",
        path: save("list.md5", nil) { "\(hashes[$0].suffix(32))  \(name($0))" }, format: .md5sum, type: .md5, entries: lines),
      List(
        name: "pdq-cli", path: save("pdq-cli.txt", nil) { "\(hashes[$0]),\(50 + $0 % 51),\(name($0))" }, format: .pdqCLI,
        entries: lines),
      List(
        name: "ThreatExchange CSV",
        path: save("te.csv", "signal_type,signal_str,collab,category,tags") { "pdq,\(hashes[$0]),example,series-\($0 / 200)," },
        format: .threatExchange, entries: lines),
      List(
        name: "sieve hash CSV",
        path: save("sieve.csv", "path,pdq,pdq_quality,phash,width,height,format,pdq_mode") {
          "\(name($0)),\(hashes[$0]),\(50 + $0 % 51),\(hashes[$0].prefix(16)),4000,3000,jpeg,fullres"
        },
        format: .sieveCSV, entries: lines),
      List(
        name: "set CSV",
        path: save("set.csv", "id,label,pdq,pdq_quality,phash,md5,sha1,sha256") {
          "\(name($0)),series-\($0 / 200),\(hashes[$0]),\(50 + $0 % 51),\(hashes[$0].prefix(16)),\(hashes[$0].suffix(32)),,"
        },
        format: .setCSV, entries: lines),
      List(
        name: "vPDQ frames (60 a video)",
        path: save("videos.vpdq", nil) {
          ($0 % 60 == 0 ? "# video-\($0 / 60)\n" : "") + "\($0 % 60 * 30),\(50 + $0 % 51),\(hashes[$0]),\($0 % 60).000"
        },
        format: .vpdq, entries: (lines + 59) / 60),
      List(name: "VICS JSON (83,333 media records)", path: saveVICS(), format: .vics, entries: lines / 12),
    ]

    /// Project VIC JSON, twelve lines a record, as `Scripts/make_hash_lists.py` writes it.
    func saveVICS() -> String {
      var text = "{\n  \"@odata.context\": \"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media\",\n  \"value\": [\n"
      let records = lines / 12
      text.reserveCapacity(records * 420)
      for i in 0..<records {
        let md5 = hashes[i].suffix(32).uppercased(), sha1 = hashes[i].prefix(40).uppercased()
        text += "    {\n      \"MediaID\": \(i + 1),\n      \"Category\": \(i % 5),\n      \"MD5\": \"\(md5)\",\n      \"SHA1\": \"\(sha1)\",\n"
        text += "      \"MediaSize\": \(1000 + i * 7 % 900_000),\n      \"DateUpdated\": \"2026-01-01T02:31:49.8300Z\",\n"
        text += "      \"IsPrecategorized\": \"\(i % 3 == 0)\",\n      \"RelativeFilePath\": \"\(name(i))\",\n"
        text += "      \"FileName\": \"IMG_\(i).jpg\",\n      \"Tags\": []\n    }\(i + 1 < records ? "," : "")\n"
      }
      text += "  ]\n}\n"
      let path = folder + "/media.vics.json"
      FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
      return path
    }
  }

  /// The former VICS reader, for the baseline: the whole file read, parsed by
  /// JSONSerialization, then each media record's digests and category taken from it.
  static func readVICSWhole(_ path: String, into set: inout HashSet) throws -> Int {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any], let media = object["value"] as? [Any] else { return 0 }
    var count = 0
    for item in media {
      guard let fields = item as? [String: Any] else { continue }
      let record = Dictionary(fields.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
      let md5 = (record["md5"] as? String).flatMap { try? ExactDigest(kind: .md5, hex: $0.lowercased()) }
      let sha1 = (record["sha1"] as? String).flatMap { try? ExactDigest(kind: .sha1, hex: $0.lowercased()) }
      let label = (record["category"] as? NSNumber).map { "\($0.intValue)" } ?? ""
      set.append(HashSetEntry(id: "media \(record["mediaid"] ?? count)", label: label, md5: md5, sha1: sha1))
      count += 1
    }
    return count
  }

  /// The file's lines, counted: reading it in 1 MiB blocks and finding the line ends.
  static func countLines(_ path: String) -> Int {
    guard let handle = FileHandle(forReadingAtPath: path) else { return 0 }
    defer { try? handle.close() }
    var count = 0
    while let block = try? handle.read(upToCount: 1 << 20), !block.isEmpty {
      block.withUnsafeBytes { raw in
        var p = raw.baseAddress!
        var left = raw.count
        while left > 0, let hit = memchr(p, 0x0A, left) {
          count += 1
          let next = hit + 1
          left -= p.distance(to: next)
          p = UnsafeRawPointer(next)
        }
      }
    }
    return count
  }
}
