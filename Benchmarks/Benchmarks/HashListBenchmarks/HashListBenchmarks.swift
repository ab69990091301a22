import Benchmark
import BenchmarkSupport
import Foundation
import SieveCore
import SieveHashSets

/// Text hash lists of 1,000,000 lines read into a set, in four formats: the byte-level
/// fast path against the line-by-line parser (the baseline, what every line took before),
/// and reading the file's lines without parsing them (the floor). One core.
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
    for fast in [true, false] {
      let name = "\(list.name) 1M lines, \(fast ? "fast path" : "baseline: line by line")"
      Benchmark(name) { benchmark in
        var reader = TextHashSetReader(format: list.format, type: list.type, label: "bench")
        reader.usesFastPath = fast
        for _ in benchmark.scaledIterations {
          var set = HashSet(name: "bench")
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
        name: "pdq-cli", path: save("pdq-cli.txt", nil) { "\(hashes[$0]),\(50 + $0 % 51),\(name($0))" }, format: .pdqCLI,
        entries: lines),
      List(
        name: "ThreatExchange CSV",
        path: save("te.csv", "signal_type,signal_str,collab,category,tags") { "pdq,\(hashes[$0]),example,series-\($0 / 200)," },
        format: .threatExchange, entries: lines),
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
    ]
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
