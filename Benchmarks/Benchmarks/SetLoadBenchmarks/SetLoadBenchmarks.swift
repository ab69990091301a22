import Benchmark
import BenchmarkSupport
import Foundation
import SieveCore
import SieveHashSets
import SieveMatching

/// A set file of 1,000,000 entries, each with a PDQ hash (in series of near-duplicates)
/// and an MD5, loaded and made ready to match (a `Matcher` with the set's PDQ index and
/// its digests): what `sieve match` and a service reload do before the first query.
///
/// The set file carries its MD5s sorted, so the matcher finds a digest by binary search
/// with nothing built. Baseline in the same run: the same, plus the dictionary of every
/// digest the matcher built before (`[ExactDigest: [Int32]]`, built the way it was, from
/// digests gathered before timing).
let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .peakMemoryResident],
    warmupIterations: 1,
    scalingFactor: .one,
    maxDuration: .seconds(10),
    maxIterations: 10
  )
  let count = 1_000_000
  var rng = BenchmarkRandom(seed: 20_261_202)
  var set = HashSet(name: "bench")
  var md5s: [ExactDigest] = []
  md5s.reserveCapacity(count)
  var centre = PDQHash(w0: 0, w1: 0, w2: 0, w3: 0)
  for i in 0..<count {
    if i % 8 == 0 { centre = PDQHash(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()) }
    let md5 = ExactDigest(kind: .md5, bytes: (0..<16).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
    md5s.append(md5)
    set.append(HashSetEntry(id: "case\(i / 5000)/DCIM/IMG_\(i).jpg", label: "series-\(i / 200)", pdq: rng.flip(centre, bits: 12), md5: md5))
  }
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sieve-setload-bench-\(getpid())")
  try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  let path = folder.path + "/bench.sieveset"
  set.buildPDQIndex()
  do { try BinaryHashSet.write(set, to: path) } catch { fatalError("\(error)") }
  let query = md5s[count / 2]

  /// The dictionary the matcher built before, from digests in entry order.
  func dictionary() -> [ExactDigest: [Int32]] {
    var table: [ExactDigest: [Int32]] = [:]
    for (i, d) in md5s.enumerated() { table[d, default: []].append(Int32(i)) }
    return table
  }

  Benchmark("1M-entry set with MD5s: loaded, matcher ready (sorted digest column)") { benchmark in
    for _ in benchmark.scaledIterations {
      let loaded = try HashSetLoader.load(path).set
      blackHole(Matcher(sets: [loaded]).matches(for: MatchQuery(digests: [query])).count)
    }
  }
  Benchmark("1M-entry set with MD5s: loaded, matcher ready, baseline: + the digest dictionary built before") { benchmark in
    for _ in benchmark.scaledIterations {
      let loaded = try HashSetLoader.load(path).set
      let matcher = Matcher(sets: [loaded])
      blackHole(dictionary().count)
      blackHole(matcher.matches(for: MatchQuery(digests: [query])).count)
    }
  }
}
