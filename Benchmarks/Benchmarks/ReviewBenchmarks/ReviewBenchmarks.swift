import Benchmark
import Foundation
import ReviewCaseMaker
import SieveCase
import SieveCore

/// The review workspace's queries on a generated case of 100,000 matches (ReviewCaseMaker:
/// 200,000 pictures, series of near-duplicates, four sets, 20,000 decisions): the pages an
/// examiner opens most, each a list page of 50 files with its total, or the overview. The
/// goal: every list page and filter under 200 ms. Baseline in the same run: reading every
/// match of the run (what a page without paging or filtering in SQL would have to do).
let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock], warmupIterations: 1, scalingFactor: .one, maxDuration: .seconds(3), maxIterations: 50)
  let folder = NSTemporaryDirectory() + "sieve-review-bench-100k"
  let made = try! ReviewCaseMaker.make(folder: folder)
  print("generated: \(made.files) files, \(made.matchedFiles) matched, \(made.matches) matches, \(made.decisions) decisions")
  let browser = try! CaseBrowser(caseFolder: folder)

  func page(_ name: String, page: Int = 1, _ change: (inout MatchFilter) -> Void = { _ in }) {
    var filter = MatchFilter()
    change(&filter)
    let f = filter
    Benchmark("list: \(name)") { benchmark in
      for _ in benchmark.scaledIterations { blackHole(try browser.matchPage(f, page: page, pageSize: 50)) }
    }
  }
  page("first page, closest first")
  page("page 1000", page: 1000)
  page("last page", page: made.matchedFiles / 50)
  page("set and label") { $0.set = "partner-list"; $0.label = "vehicle" }
  page("kind pHash, distance <= 4") { $0.kind = "phash"; $0.maxDistance = 4 }
  page("not reviewed") { $0.state = .unreviewed }
  page("confirmed, category 2") { $0.state = .confirmed; $0.category = .some(2) }
  page("path contains") { $0.pathContains = "user17/" }
  page("by size") { $0.sort = .size }
  page("by modification time, page 200", page: 200) { $0.sort = .modified }
  Benchmark("overview") { benchmark in
    for _ in benchmark.scaledIterations { blackHole(try browser.overview()) }
  }
  Benchmark("file detail") { benchmark in
    for i in benchmark.scaledIterations { blackHole(try browser.file(Int64(1 + i * 997 % made.files))) }
  }
  Benchmark("baseline: every match of the run read") { benchmark in
    for _ in benchmark.scaledIterations { blackHole(try CaseReport.load(from: browser.database, clusterRadius: 0).matches.count) }
  }
}
