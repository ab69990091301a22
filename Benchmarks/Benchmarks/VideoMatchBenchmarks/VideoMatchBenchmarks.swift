import Benchmark
import BenchmarkSupport
import SieveCore
import SieveMatching

/// Whole-video matching by vPDQ's rule against 100,000 known videos of 20 frames each (2
/// million frame hashes), shaped like real video lists: a video's frames are a walk of
/// near-duplicates (each within 8 bits of the one before, as frames a second apart of one
/// scene are), and a tenth of the videos are re-encodes of others (each frame within 6 bits
/// of the original's). Queries: a re-encode of a known video (each frame within 10 bits)
/// and an unrelated video. Baseline in the same run: python-threatexchange's brute-force
/// matcher (every query frame against every known frame).
let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .throughput],
    warmupIterations: 1,
    scalingFactor: .one,
    maxDuration: .seconds(3),
    maxIterations: 100
  )
  var rng = BenchmarkRandom(seed: 12)
  let videos = 100_000, frames = 20
  func walk(_ rng: inout BenchmarkRandom) -> [PDQHash] {
    var hash = PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next())
    return (0..<frames).map { _ in
      defer { hash = rng.flip(hash, bits: 8) }
      return hash
    }
  }
  var known: [[PDQHash]] = []
  for v in 0..<videos {
    known.append(v % 10 == 9 ? known[v - 1 - Int(rng.next() % 8)].map { rng.flip($0, bits: 6) } : walk(&rng))
  }
  func features(_ hashes: [PDQHash]) -> [VPDQFeature] {
    hashes.enumerated().map { VPDQFeature(frameNumber: $0.offset * 30, hash: $0.element, quality: 100, timestamp: Double($0.offset)) }
  }
  let entries = known.enumerated().map { VideoMatcher.Entry(id: "video-\($0.offset)", features: features($0.element)) }
  let matcher = VideoMatcher(entries: entries)
  let reencoded = features(known[43_210].map { rng.flip($0, bits: 10) })
  let unrelated = features(walk(&rng))
  // Sanity: the index finds what the brute-force rule finds.
  precondition(matcher.matches(reencoded).map(\.id) == bruteForce(reencoded, entries).map(\.id), "index and brute force disagree")
  precondition(matcher.matches(reencoded).contains { $0.id == "video-43210" })
  precondition(matcher.matches(unrelated).isEmpty)

  Benchmark("vPDQ 100K videos (2M frames) re-encoded query, index") { benchmark in
    for _ in benchmark.scaledIterations { blackHole(matcher.matches(reencoded)) }
  }
  Benchmark("vPDQ 100K videos (2M frames) unrelated query, index") { benchmark in
    for _ in benchmark.scaledIterations { blackHole(matcher.matches(unrelated)) }
  }
  Benchmark("vPDQ 100K videos (2M frames) re-encoded query, brute force") { benchmark in
    for _ in benchmark.scaledIterations { blackHole(bruteForce(reencoded, entries)) }
  }
}

/// python-threatexchange's brute-force vPDQ matcher, transcribed: each side's frames
/// de-duplicated and quality-filtered, every query frame against every known frame.
func bruteForce(_ query: [VPDQFeature], _ entries: [VideoMatcher.Entry]) -> [(id: String, query: Double, compared: Double)] {
  let q = VideoMatcher.kept(query, minimumQuality: 50)
  var out: [(id: String, query: Double, compared: Double)] = []
  for entry in entries {
    let k = VideoMatcher.kept(entry.features, minimumQuality: 50)
    let queryMatched = q.filter { a in k.contains { a.hash.distance(to: $0.hash) <= 31 } }.count
    let knownMatched = k.filter { b in q.contains { b.hash.distance(to: $0.hash) <= 31 } }.count
    let queryPercent = Double(queryMatched) * 100 / Double(max(1, q.count))
    let comparedPercent = Double(knownMatched) * 100 / Double(max(1, k.count))
    if queryPercent >= 80 { out.append((entry.id, queryPercent, comparedPercent)) }
  }
  return out.sorted { ($0.query, $0.compared) > ($1.query, $1.compared) }
}
