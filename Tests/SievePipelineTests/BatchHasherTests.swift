import Foundation
import SieveCore
import SieveHashing
import SieveImaging
import SievePipeline
import SieveTestSupport
import Testing

@Suite struct BatchHasherTests {
  static let images = TestData.fixtureVectors.appendingPathComponent("pdq/images")
  static let jpegs = [
    "reg-test-input/labelme-subset/q0122.jpg", "reg-test-input/labelme-subset/q2821.jpg",
    "reg-test-input/labelme-subset/q1050.jpg", "misc-images/wee.jpg", "bridge-mods/shrink-a-little.jpg",
    "bridge-mods/square-128x128.jpg",
  ]

  /// A folder of real images plus files that are not images, or are broken.
  static func makeTree() throws -> TemporaryDirectory {
    let dir = try TemporaryDirectory("sieve-batch")
    for (i, name) in jpegs.enumerated() {
      // Renamed extensions: recognition is by content.
      try dir.write("set\(i % 2)/image\(i).\(i % 3 == 0 ? "dat" : "jpg")", TestData.bytes(images.appendingPathComponent(name)))
    }
    try dir.write("notes.txt", Array("not an image".utf8))
    let jpeg = try TestData.bytes(images.appendingPathComponent(jpegs[0]))
    try dir.write("set0/truncated.jpg", Array(jpeg.prefix(jpeg.count / 2)))
    try dir.write("set1/empty.png", [])
    return dir
  }

  static func run(_ batch: BatchHasher, _ paths: [String]) -> [HashRecord] {
    var files: [InputFile] = []
    FileWalker().walk(paths) { if case .file(let file) = $0 { files.append(file) } }
    var records: [HashRecord] = []
    var indices: [Int] = []
    batch.run(files, from: FolderEvidence([])) { index, record in
      indices.append(index)
      records.append(record)
    }
    #expect(indices == Array(0..<files.count), "records arrive in input order")
    return records
  }

  @Test func parallelResultsEqualSequentialAndFailuresAreReported() throws {
    let dir = try Self.makeTree()
    defer { dir.remove() }
    let parallel = Self.run(BatchHasher(configuration: .init(workers: 4)), [dir.path])
    let sequential = Self.run(BatchHasher(configuration: .init(workers: 1)), [dir.path])
    #expect(parallel.count == 9)

    var hashed = 0
    var failed: [String: String] = [:]
    var skipped: [String] = []
    for (p, s) in zip(parallel, sequential) {
      #expect(p.path == s.path)
      switch (p.outcome, s.outcome) {
      case (.hashed(let a, _), .hashed(let b, _)):
        #expect(a == b, "\(p.path)")
        hashed += 1
      case (.failed(let reason), .failed):
        failed[URL(fileURLWithPath: p.path.description).lastPathComponent] = reason
      case (.skipped, .skipped):
        skipped.append(URL(fileURLWithPath: p.path.description).lastPathComponent)
      default:
        Issue.record("outcomes differ for \(p.path)")
      }
    }
    #expect(hashed == Self.jpegs.count)
    #expect(skipped == ["notes.txt"])
    #expect(failed["truncated.jpg"]?.hasPrefix("truncated") == true, "\(failed)")
    #expect(failed["empty.png"] == "empty file (0 bytes)")
  }

  @Test func hashesMatchTheSingleImageAPI() throws {
    var hasher = ImageHasher()
    let url = Self.images.appendingPathComponent(Self.jpegs[4])
    let direct = try hasher.hash(TestData.bytes(url))
    let records = Self.run(BatchHasher(configuration: .init()), [url.path])
    guard case .hashed(let viaBatch, let header) = records.first?.outcome else {
      Issue.record("not hashed: \(String(describing: records.first?.outcome))")
      return
    }
    #expect(viaBatch == direct)
    #expect(header.width == 1152 && header.height == 723 && header.format == .jpeg)
  }

  @Test func aTinyMemoryBudgetStillFinishesEveryImage() throws {
    let dir = try Self.makeTree()
    defer { dir.remove() }
    // Every image is larger than the budget, so each must run alone; none is refused.
    let batch = BatchHasher(configuration: .init(workers: 2, memoryBudget: 1024))
    let records = Self.run(batch, [dir.path])
    let hashed = records.filter { if case .hashed = $0.outcome { return true } else { return false } }
    #expect(hashed.count == Self.jpegs.count)
    #expect(batch.budget.peakReserved < 2 * BatchHasher.estimatedBytes(
      for: ImageHeader(format: .jpeg, width: 1152, height: 723, colorModel: "YCbCr", bitDepth: 8, isProgressive: false, layout: .rgb),
      options: HashOptions()))
  }

  /// Videos take their frames' working memory from the same budget: with a budget smaller
  /// than one video's estimate, the videos run one at a time, and every one is hashed.
  @Test func videosReserveFromTheBudget() throws {
    let dir = try TemporaryDirectory("sieve-batch-video")
    defer { dir.remove() }
    let videos = TestData.repoRoot.appendingPathComponent("Tests/Fixtures/video")
    for name in ["testsrc2-h264.mp4", "mandelbrot-vp9.webm", "slideshow-h264.mp4"] {
      try dir.write(name, TestData.bytes(videos.appendingPathComponent(name)))
    }
    let batch = BatchHasher(configuration: .init(workers: 2, memoryBudget: 1 << 20))
    let records = Self.run(batch, [dir.path])
    #expect(records.filter { if case .video = $0.outcome { return true } else { return false } }.count == 3)
    // Each reservation is capped at the capacity, and one runs at a time.
    #expect(batch.budget.peakReserved > 0 && batch.budget.peakReserved <= 1 << 20, "\(batch.budget.peakReserved)")
  }

  @Test func explicitNonImagesFailAndLimitsApply() throws {
    let dir = try Self.makeTree()
    defer { dir.remove() }
    var limits = DecodingLimits.default
    limits.maxPixels = 100 * 100
    let batch = BatchHasher(configuration: .init(limits: limits))
    let records = Self.run(batch, [dir.path + "/notes.txt", dir.path + "/set0/image0.dat", dir.path + "/set1/image3.dat"])
    guard case .failed(let text) = records[0].outcome else { Issue.record("text file not failed"); return }
    #expect(text.hasPrefix("not a recognised image"))
    guard case .failed(let big) = records[1].outcome else { Issue.record("large image not refused"); return }
    #expect(big.contains("over the limit of 10000 pixels"))
    guard case .hashed = records[2].outcome else { Issue.record("small image not hashed"); return }
  }
}

@Suite struct FileDigestsTests {
  @Test func streamingEqualsInMemoryAndCoreutils() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var rng = SplitMix64(seed: 77)
    let bytes = (0..<(9 << 20) + 12345).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    let path = try dir.write("big.bin", bytes)
    let inMemory = bytes.withUnsafeBytes { FileDigests(of: $0) }
    let streamed = try FileDigests.streaming(RawPath(path))
    #expect(streamed.digests == inMemory)
    #expect(streamed.size == bytes.count && streamed.prefix == Array(bytes.prefix(16)))
    let empty = [UInt8]().withUnsafeBytes { FileDigests(of: $0) }
    #expect(empty.md5.hexString == "d41d8cd98f00b204e9800998ecf8427e")
    #expect(empty.sha256.hexString == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
  }

  @Test func filesOverTheByteLimitStillGetDigests() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let text = try dir.write("notes.txt", Array(repeating: 0x41, count: 5000))
    let jpeg = try dir.write("photo.jpg", TestData.bytes(BatchHasherTests.images.appendingPathComponent(BatchHasherTests.jpegs[0])))
    var limits = DecodingLimits.default
    limits.maxBytes = 1000
    var configuration = BatchHasher.Configuration(limits: limits)
    configuration.digests = true
    let records = BatchHasherTests.run(BatchHasher(configuration: configuration), [dir.path])
    let byName = Dictionary(uniqueKeysWithValues: records.map { (URL(fileURLWithPath: $0.path.description).lastPathComponent, $0) })
    guard case .skipped = byName["notes.txt"]?.outcome else { Issue.record("text file not skipped"); return }
    #expect(byName["notes.txt"]?.digests != nil && byName["notes.txt"]?.size == 5000)
    guard case .failed(let reason) = byName["photo.jpg"]?.outcome else { Issue.record("large JPEG not failed"); return }
    #expect(reason.contains("over the 1000-byte limit"))
    #expect(byName["photo.jpg"]?.digests != nil)
    _ = (text, jpeg)
  }
}
