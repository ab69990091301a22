// IndexCompare HASHES QUERIES BITS RADIUS [INDEX...]
// IndexCompare --generate-clustered N SEED OUT   (PDQ, as Scripts/hash_shapes.py's
//   clustered shape: series of 1-100, members within 0-48 distinct bits of their centre;
//   written in seconds where numpy takes many minutes at 100M)
//
// Reads raw little-endian hash words (BITS/64 words per hash) from HASHES and QUERIES,
// builds each index (linear, mih, mih16, mih-wide, bk-tree), and prints one JSON line per index:
// build seconds, bytes per entry, single-query p50/p99 and queries/s, block-of-queries
// time per query-entry pair, and the total number of matches (to compare with faiss).
import Dispatch
import Foundation
import SieveCore

/// The file's hashes, read straight into the array (100M PDQ hashes are 3.2 GB).
func readHashes<H: HammingHash>(_ path: String, as type: H.Type) -> [H] {
  let handle = FileHandle(forReadingAtPath: path)!
  let size = Int(handle.seekToEndOfFile())
  handle.seek(toFileOffset: 0)
  let count = size / (H.wordCount * 8)
  let fd = handle.fileDescriptor
  return [H](unsafeUninitializedCapacity: count) { buffer, initialized in
    let raw = UnsafeMutableRawBufferPointer(buffer)
    var done = 0
    while done < count * H.wordCount * 8 {
      let n = read(fd, raw.baseAddress! + done, count * H.wordCount * 8 - done)
      precondition(n > 0, "short read of \(path)")
      done += n
    }
    initialized = count  // frozen structs of their little-endian words
  }
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
    case "mih", "mih16", "mih-wide":
      // The standard layout, narrow 16-bit parts, or eight 32-bit parts (the wide shape
      // of sets from 2^25 entries) whatever the size.
      let layout = kind == "mih" ? MultiIndexLayout.standard(bitCount: H.bitCount, count: hashes.count)
        : kind == "mih16" ? .narrow(bitCount: H.bitCount, count: hashes.count, substringBits: 16)
        : .wide(bitCount: H.bitCount, count: hashes.count)
      let m = MultiIndexHashTable(hashes, layout: layout)
      index = m
      bytes = Int(m.bytesPerEntry.rounded(.up))
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
if args.count == 5, args[1] == "--generate-clustered" {
  let n = Int(args[2])!
  var rng = SplitMix64(seed: UInt64(args[3])!)
  let out = FileHandle(forWritingAtPath: args[4]) ?? {
    FileManager.default.createFile(atPath: args[4], contents: nil)
    return FileHandle(forWritingAtPath: args[4])!
  }()
  var buffer: [UInt64] = []
  buffer.reserveCapacity(4 << 20)
  var written = 0
  while written < n {
    let centre = (0..<4).map { _ in rng.next() }
    let size = 1 + Int(rng.next() % 100)
    for member in 0..<min(size, n - written) {
      var words = centre
      if member > 0 {
        let flips = Int(rng.next() % 49)
        var chosen = [UInt64](repeating: 0, count: 4)
        var done = 0
        while done < flips {
          let bit = Int(rng.next() % 256)
          if chosen[bit >> 6] & (1 << UInt64(bit & 63)) == 0 {
            chosen[bit >> 6] |= 1 << UInt64(bit & 63)
            done += 1
          }
        }
        for w in 0..<4 { words[w] ^= chosen[w] }
      }
      buffer += words
    }
    written += min(size, n - written)
    if buffer.count >= 4 << 20 || written == n {
      buffer.withUnsafeBytes { out.write(Data($0)) }
      buffer.removeAll(keepingCapacity: true)
    }
  }
  out.closeFile()
  exit(0)
}
let bits = Int(args[3])!
let radius = Int(args[4])!
let kinds = args.count > 5 ? Array(args[5...]) : ["linear", "mih", "mih16", "bk-tree"]
if bits == 256 {
  run(PDQHash.self, hashes: readHashes(args[1], as: PDQHash.self), queries: readHashes(args[2], as: PDQHash.self), radius: radius, kinds: kinds)
} else {
  run(PHash.self, hashes: readHashes(args[1], as: PHash.self), queries: readHashes(args[2], as: PHash.self), radius: radius, kinds: kinds)
}
