// IndexCompare HASHES QUERIES BITS RADIUS [INDEX...]
//
// Reads raw little-endian hash words (BITS/64 words per hash) from HASHES and QUERIES,
// builds each index (linear, mih, mih16, bk-tree), and prints one JSON line per index:
// build seconds, bytes per entry, single-query p50/p99 and queries/s, block-of-queries
// time per query-entry pair, and the total number of matches (to compare with faiss).
import Dispatch
import Foundation
import SieveCore

func readWords(_ path: String) -> [UInt64] {
  let data = FileManager.default.contents(atPath: path)!
  return data.withUnsafeBytes { raw in (0..<raw.count / 8).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self) } }
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func percentile(_ values: [Double], _ p: Double) -> Double {
  let sorted = values.sorted()
  return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func run<H: HammingHash>(_ type: H.Type, hashes: [H], queries: [H], radius: Int, kinds: [String]) {
  for kind in kinds {
    let t0 = now()
    let index: any HashIndex<H>
    let bytes: Int
    switch kind {
    case "mih":
      let m = MultiIndexHashTable(hashes)
      index = m
      bytes = Int(MultiIndexHashTable<H>.bytesPerEntry(count: hashes.count, substringBits: MultiIndexHashTable<H>.defaultSubstringBits(for: hashes.count)).rounded(.up))
    case "mih16":
      let m = MultiIndexHashTable(hashes, substringBits: 16)
      index = m
      bytes = Int(MultiIndexHashTable<H>.bytesPerEntry(count: hashes.count, substringBits: 16).rounded(.up))
    case "bk-tree":
      index = BKTree(hashes)
      bytes = BKTree<H>.bytesPerEntry
    default:
      index = LinearScanIndex(hashes)
      bytes = LinearScanIndex<H>.bytesPerEntry
    }
    let build = now() - t0
    var times: [Double] = []
    var total = 0
    let deadline = now() + 20
    for q in queries {
      let s = now()
      total += index.matches(for: q, within: radius).count
      times.append(now() - s)
      if now() > deadline { break }
    }
    var blockPair = -1.0
    if kind == "linear" {
      let linear = index as! LinearScanIndex<H>
      let s = now()
      let block = linear.matches(for: queries, within: radius)
      let elapsed = now() - s
      blockPair = elapsed / Double(queries.count) / Double(hashes.count) * 1e9
      precondition(block.reduce(0) { $0 + $1.count } == total || times.count < queries.count)
    }
    let qps = Double(times.count) / times.reduce(0, +)
    print(
      "{\"index\":\"\(kind)\",\"n\":\(hashes.count),\"bits\":\(H.wordCount * 64),\"radius\":\(radius),\"build_s\":\(build),"
        + "\"bytes_per_entry\":\(bytes),\"queries\":\(times.count),\"p50_us\":\(percentile(times, 0.5) * 1e6),"
        + "\"p99_us\":\(percentile(times, 0.99) * 1e6),\"qps\":\(qps),\"block_ns_per_pair\":\(blockPair),\"matches\":\(total)}")
    fflush(nil)
  }
}

let args = CommandLine.arguments
let hashWords = readWords(args[1])
let queryWords = readWords(args[2])
let bits = Int(args[3])!
let radius = Int(args[4])!
let kinds = args.count > 5 ? Array(args[5...]) : ["linear", "mih", "mih16", "bk-tree"]
if bits == 256 {
  func make(_ w: [UInt64]) -> [PDQHash] { (0..<w.count / 4).map { PDQHash(w0: w[4 * $0], w1: w[4 * $0 + 1], w2: w[4 * $0 + 2], w3: w[4 * $0 + 3]) } }
  run(PDQHash.self, hashes: make(hashWords), queries: make(queryWords), radius: radius, kinds: kinds)
} else {
  run(PHash.self, hashes: hashWords.map(PHash.init), queries: queryWords.map(PHash.init), radius: radius, kinds: kinds)
}
