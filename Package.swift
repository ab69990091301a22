// swift-tools-version: 6.1
import PackageDescription

/// Code generation for the CPU: on x86-64, Nehalem (x86-64-v2: 2008 and later, SSE4.2
/// and POPCNT), so that Hamming distances use the hardware `popcnt` instruction instead
/// of a bit-twiddling fallback. Nehalem has no FMA, and Swift never contracts
/// `a * b + c` anyway, so float results (PDQ) are unchanged; the vector tests check it.
/// Set SIEVE_PORTABLE=1 to build for the x86-64 baseline instead.
#if arch(x86_64)
let cpuFlags: [SwiftSetting] =
  Context.environment["SIEVE_PORTABLE"] == nil ? [.unsafeFlags(["-target-cpu", "nehalem"])] : []
#else
let cpuFlags: [SwiftSetting] = []
#endif

/// One set of Swift settings for every target, as swift-nio and hummingbird do.
let swiftSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("MemberImportVisibility"),
] + cpuFlags

let package = Package(
  name: "sieve",
  // Built and tested on Linux only (Debian 12, x86-64); no other platform is claimed.
  products: [
    .library(name: "SieveCore", targets: ["SieveCore"]),
    .library(name: "SieveImaging", targets: ["SieveImaging"]),
    .library(name: "SieveHashing", targets: ["SieveHashing"]),
    .library(name: "SieveVideo", targets: ["SieveVideo"]),
    .library(name: "SievePipeline", targets: ["SievePipeline"]),
    .library(name: "SieveEvidence", targets: ["SieveEvidence"]),
    .library(name: "SieveHashSets", targets: ["SieveHashSets"]),
    .library(name: "SieveMatching", targets: ["SieveMatching"]),
    .library(name: "SieveCase", targets: ["SieveCase"]),
    .library(name: "SieveServer", targets: ["SieveServer"]),
    .library(name: "SieveReview", targets: ["SieveReview"]),
    .library(name: "SieveEval", targets: ["SieveEval"]),
    .executable(name: "sieve", targets: ["sieve"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
  ],
  targets: [
    // The layers, lowest first; each target depends on exactly what it imports.

    // The system calls Sieve makes (open, read, write, stat, sync, realpath, directory
    // listings, read-only mappings), in one place, with typed errors.
    .target(name: "SieveSystem", dependencies: ["CMappedFile", "CDirectIO", "CLibraryLoader"], swiftSettings: swiftSettings),
    // Read-only file mappings guarded against SIGBUS when the file is truncated under them.
    .target(name: "CMappedFile"),
    // Direct I/O (O_DIRECT) switched on an open file: Swift's Glibc does not export the flag.
    .target(name: "CDirectIO"),
    // The Sleuth Kit, libewf, libarchive and libheif loaded at first use (dlopen) instead
    // of linked: every function Sieve calls in them, defined here under its own name.
    // Linked, they would load about 40 shared objects into every process at start-up.
    .target(name: "CLibraryLoader"),

    // Hash values, hex codecs, Hamming distance, the indexes and the choice between
    // them, and the one lock type. No I/O; of C only the prefetch hint in CIndexKernels.
    .target(name: "SieveCore", dependencies: ["CIndexKernels"], swiftSettings: swiftSettings),
    // A memory prefetch hint for the indexes' random reads (Swift has none).
    .target(name: "CIndexKernels"),

    // Small C shims over the system codecs: they own setjmp/longjmp so that a libjpeg,
    // libpng or libtiff error never calls exit() and never unwinds through Swift.
    .target(name: "CJPEG", linkerSettings: [.linkedLibrary("jpeg")]),
    .target(name: "CPNG", linkerSettings: [.linkedLibrary("png16")]),
    .target(name: "CTIFF", linkerSettings: [.linkedLibrary("tiff")]),
    // libwebp, giflib and libheif report errors as return values: plain system-library modules.
    // libheif's, The Sleuth Kit's, libewf's and libarchive's declare the functions without
    // linking the libraries (CLibraryLoader defines them).
    .systemLibrary(name: "CWebP", providers: [.apt(["libwebp-dev"])]),
    .systemLibrary(name: "CGIF", providers: [.apt(["libgif-dev"])]),
    .systemLibrary(name: "CHeif", providers: [.apt(["libheif-dev"])]),
    .systemLibrary(name: "CTSK", providers: [.apt(["libtsk-dev"])]),
    .systemLibrary(name: "CEWF", providers: [.apt(["libewf-dev"])]),
    .systemLibrary(name: "CArchive", providers: [.apt(["libarchive-dev"])]),
    // FFmpeg's libraries behind a shim that reads through custom I/O only (no URLs, no
    // playlists) and reports every failure as a status.
    // The libraries are loaded at the first video (dlopen), not linked: linking them would
    // load about 120 shared libraries into every process at start-up.
    .target(name: "CVideo"),

    // Bytes -> pixel rows, within limits. The only importer of the C codec modules.
    .target(
      name: "SieveImaging", dependencies: ["SieveSystem", "CJPEG", "CPNG", "CWebP", "CGIF", "CTIFF", "CHeif"], swiftSettings: swiftSettings),

    // PDQ's and pHash's pixel loops in C, compiled for several vector widths (portable,
    // AVX2, AVX-512) and chosen at run time; bit-identical at every width.
    .target(name: "CHashKernels"),

    // Pixels -> hashes (PDQ, pHash). No I/O; the pixel loops in CHashKernels.
    .target(name: "SieveHashing", dependencies: ["SieveCore", "SieveImaging", "CHashKernels"], swiftSettings: swiftSettings),

    // Videos -> vPDQ features: FFmpeg decoding within limits, vPDQ's frame sampling, PDQ
    // of each sampled frame.
    .target(
      name: "SieveVideo", dependencies: ["SieveCore", "SieveImaging", "SieveHashing", "CVideo", "CWebP"], swiftSettings: swiftSettings),

    // Known-hash sets: the columnar in-memory set, text formats, Sieve's binary format.
    .target(name: "SieveHashSets", dependencies: ["SieveSystem", "SieveCore"], swiftSettings: swiftSettings),

    // Matching queries against hash sets: dihedral PDQ, pHash, exact digests.
    .target(name: "SieveMatching", dependencies: ["SieveCore", "SieveHashSets"], swiftSettings: swiftSettings),

    // Evidence -> hash records -> match queries: evidence sources, walking and reading
    // read-only, the image pipeline within a memory budget, parallel batches, digests.
    // Shared by the CLI, the scanner and the service.
    .target(
      name: "SievePipeline",
      dependencies: [
        "SieveSystem", "SieveCore", "SieveImaging", "SieveHashing", "SieveHashSets", "SieveMatching", "SieveVideo",
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      swiftSettings: swiftSettings
    ),

    // Evidence as it arrives: disk images through The Sleuth Kit (raw, split, E01;
    // partitions; file systems; deleted files), beside folders.
    .target(
      name: "SieveEvidence",
      dependencies: [
        "SieveSystem", "SieveCore", "SieveImaging", "SievePipeline", "CTSK", "CEWF", "CArchive",
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      swiftSettings: swiftSettings
    ),

    // The forensic case: the scanner, its SQLite database (GRDB), reports.
    .target(
      name: "SieveCase",
      dependencies: [
        "SieveSystem", "SieveCore", "SieveImaging", "SieveHashing", "SieveHashSets", "SieveMatching", "SievePipeline", "SieveEvidence",
        "SieveVideo",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Mustache", package: "swift-mustache"),
      ],
      // The pages' one stylesheet and the static report's template, shared with the review app.
      resources: [.embedInCode("Pages/sieve.css"), .embedInCode("Pages/report.mustache")],
      swiftSettings: swiftSettings
    ),

    // The HTTP matching service (Hummingbird 2), as a library so tests can drive it:
    // API keys, rate limits, the bounded hashing pool, atomic set reloads, metrics, audit.
    .target(
      name: "SieveServer",
      dependencies: [
        "SieveSystem", "SieveCore", "SieveImaging", "SieveHashing", "SieveHashSets", "SieveMatching", "SievePipeline", "SieveVideo",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      resources: [.embedInCode("openapi.json")],
      swiftSettings: swiftSettings
    ),

    // The examiner's review workspace: a local web app (Hummingbird 2, Mustache templates)
    // over a case database, behind a per-session token, with CSRF-checked decisions.
    .target(
      name: "SieveReview",
      dependencies: [
        "SieveCore", "SieveImaging", "SieveHashing", "SieveHashSets", "SievePipeline", "SieveCase",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Mustache", package: "swift-mustache"),
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      resources: [
        .embedInCode("Templates/layout.mustache"), .embedInCode("Templates/overview.mustache"),
        .embedInCode("Templates/matches.mustache"), .embedInCode("Templates/file.mustache"),
        .embedInCode("Templates/groups.mustache"), .embedInCode("Templates/similar.mustache"),
        .embedInCode("Templates/settings.mustache"), .embedInCode("Templates/exports.mustache"),
        .embedInCode("Templates/message.mustache"), .embedInCode("Templates/review.js"),
      ],
      swiftSettings: swiftSettings
    ),

    // The robustness benchmark: a seeded attack suite of picture edits, each strategy's
    // true- and false-match rates and cost, and the report (table, JSON, HTML with SVG).
    .target(
      name: "SieveEval", dependencies: ["SieveCore", "SieveImaging", "SieveHashing", "SieveMatching", "SievePipeline"],
      swiftSettings: swiftSettings),

    // The command-line tool: parse, call, print.
    .executableTarget(
      name: "sieve",
      dependencies: [
        "SieveSystem", "SieveCore", "SieveImaging", "SieveHashing", "SieveHashSets", "SieveMatching", "SievePipeline", "SieveEvidence",
        "SieveCase", "SieveServer", "SieveEval", "SieveVideo", "SieveReview",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: swiftSettings
    ),

    // Helpers shared by the test targets: locating ../shared and the fixtures, CSV.
    .target(name: "SieveTestSupport", dependencies: ["SieveCore"], path: "Tests/SieveTestSupport", swiftSettings: swiftSettings),

    .testTarget(name: "SieveSystemTests", dependencies: ["SieveSystem", "CLibraryLoader", "SieveTestSupport"], swiftSettings: swiftSettings),
    .testTarget(
      name: "SieveEvidenceTests", dependencies: ["SieveCore", "SieveEvidence", "SieveImaging", "SievePipeline", "SieveTestSupport"], swiftSettings: swiftSettings),
    .testTarget(
      name: "SieveEvalTests", dependencies: ["SieveEval", "SieveCore", "SieveHashing", "SieveImaging", "SieveTestSupport"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "SieveVideoTests", dependencies: ["SieveVideo", "SieveCore", "SieveHashing", "SieveImaging", "SieveTestSupport"], swiftSettings: swiftSettings),
    .testTarget(name: "SieveCoreTests", dependencies: ["SieveCore", "SieveTestSupport"], swiftSettings: swiftSettings),
    .testTarget(
      name: "SieveHashSetsTests", dependencies: ["SieveCore", "SieveHashSets", "SieveTestSupport"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "SieveMatchingTests", dependencies: ["SieveCore", "SieveHashSets", "SieveMatching", "SieveTestSupport"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "SieveImagingTests",
      dependencies: ["SieveImaging", "SieveTestSupport"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SieveHashingTests",
      dependencies: ["SieveCore", "SieveHashing", "SieveImaging", "SieveTestSupport", "CHashKernels"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SievePipelineTests",
      dependencies: ["SieveCore", "SieveImaging", "SieveHashing", "SievePipeline", "SieveTestSupport"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SieveServerTests",
      dependencies: [
        "SieveServer", "SieveCore", "SieveHashSets", "SieveMatching", "SieveImaging", "SieveTestSupport",
        .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird"),
        .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SieveReviewTests",
      dependencies: [
        "SieveReview", "SieveCase", "SieveCore", "SieveImaging", "SievePipeline", "SieveTestSupport",
        .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird"),
        .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "GRDB", package: "GRDB.swift"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SieveCaseTests",
      dependencies: [
        "SieveCase", "SieveCore", "SieveEvidence", "SieveHashSets", "SieveMatching", "SievePipeline", "SieveTestSupport",
        .product(name: "GRDB", package: "GRDB.swift"),
      ],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "SieveCLITests",
      dependencies: [
        "sieve", "SieveTestSupport", "SieveCase", "SievePipeline", "SieveCore", "SieveHashSets", "SieveImaging", .product(name: "GRDB", package: "GRDB.swift")],
      swiftSettings: swiftSettings
    ),
  ]
)
