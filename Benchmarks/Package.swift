// swift-tools-version: 6.1
// Benchmarks live in their own package so that `swift build` and `swift test` of Sieve
// never build the benchmark tool. Run from the repository root:
//   swift package --package-path Benchmarks benchmark
import PackageDescription

let package = Package(
  name: "SieveBenchmarks",
  platforms: [.macOS(.v13)],
  dependencies: [
    .package(name: "sieve", path: "../"),
    .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
  ],
  targets: [
    // What the suites share: deterministic random hashes.
    .target(
      name: "BenchmarkSupport",
      dependencies: [.product(name: "SieveCore", package: "sieve")],
      path: "Benchmarks/BenchmarkSupport"
    ),
    .executableTarget(
      name: "HashingBenchmarks",
      dependencies: [
        .product(name: "Benchmark", package: "benchmark"),
        .product(name: "SieveImaging", package: "sieve"),
        .product(name: "SieveHashing", package: "sieve"),
      ],
      path: "Benchmarks/HashingBenchmarks",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    ),
    .executableTarget(
      name: "IndexBenchmarks",
      dependencies: [
        .product(name: "Benchmark", package: "benchmark"),
        "BenchmarkSupport",
        .product(name: "SieveCore", package: "sieve"),
      ],
      path: "Benchmarks/IndexBenchmarks",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    ),
    .executableTarget(
      name: "VideoMatchBenchmarks",
      dependencies: [
        .product(name: "Benchmark", package: "benchmark"),
        "BenchmarkSupport",
        .product(name: "SieveCore", package: "sieve"),
        .product(name: "SieveMatching", package: "sieve"),
      ],
      path: "Benchmarks/VideoMatchBenchmarks",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    ),
    // A 1M-entry set file with MD5s loaded and made ready to match: sorted digest columns
    // against the dictionary built before.
    .executableTarget(
      name: "SetLoadBenchmarks",
      dependencies: [
        .product(name: "Benchmark", package: "benchmark"), "BenchmarkSupport",
        .product(name: "SieveCore", package: "sieve"), .product(name: "SieveHashSets", package: "sieve"),
        .product(name: "SieveMatching", package: "sieve"),
      ],
      path: "Benchmarks/SetLoadBenchmarks",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    ),
    // Text hash lists read into sets: the fast path against the line-by-line parser.
    .executableTarget(
      name: "HashListBenchmarks",
      dependencies: [
        .product(name: "Benchmark", package: "benchmark"), "BenchmarkSupport",
        .product(name: "SieveCore", package: "sieve"), .product(name: "SieveHashSets", package: "sieve"),
      ],
      path: "Benchmarks/HashListBenchmarks",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    ),
    // A generated case for the review workspace (100,000 matches), its queries measured.
    .target(
      name: "ReviewCaseMaker",
      dependencies: [
        "BenchmarkSupport", .product(name: "SieveCore", package: "sieve"), .product(name: "SieveCase", package: "sieve"),
        .product(name: "SieveMatching", package: "sieve"), .product(name: "SievePipeline", package: "sieve"),
      ],
      path: "Benchmarks/ReviewCaseMaker"
    ),
    .executableTarget(
      name: "GenerateReviewCase", dependencies: ["ReviewCaseMaker"], path: "Benchmarks/GenerateReviewCase"),
    .executableTarget(
      name: "ReviewBenchmarks",
      dependencies: [
        .product(name: "Benchmark", package: "benchmark"), "ReviewCaseMaker", .product(name: "SieveCase", package: "sieve"),
        .product(name: "SieveCore", package: "sieve"),
      ],
      path: "Benchmarks/ReviewBenchmarks",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    ),
    // A plain timing program over hash files shared with Scripts/bench_index_vs_faiss.py,
    // so Sieve's indexes and faiss answer the same queries in one run.
    .executableTarget(
      name: "IndexCompare",
      dependencies: [.product(name: "SieveCore", package: "sieve")],
      path: "Benchmarks/IndexCompare"
    ),
  ]
)
