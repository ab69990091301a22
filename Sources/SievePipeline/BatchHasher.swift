import Dispatch
import Foundation
import SieveCore
import SieveHashSets
import SieveHashing
import SieveImaging
import SieveSystem
import SieveVideo

/// Hashes many files in parallel on every core with Dispatch, within a memory budget,
/// and delivers the records in input order.
///
/// Each worker reads a file (read-only), reads its header, reserves the bytes the
/// decode will need from a shared ``MemoryBudget`` (so that, say, two 100 MP images
/// are decoded one after the other when both do not fit), then decodes and hashes it.
/// Peak memory stays under the budget plus one file buffer per worker.
public final class BatchHasher: Sendable {
  /// Settings for a batch.
  public struct Configuration: Sendable {
    /// What to compute.
    public var options: HashOptions
    /// Decoding limits (pixels, bytes, time).
    public var limits: DecodingLimits
    /// Parallel workers; defaults to the active processor count.
    public var workers: Int
    /// Bytes of decode working memory that may be in use at once.
    public var memoryBudget: Int
    /// Also compute MD5, SHA-1 and SHA-256 of every file read (images or not).
    public var digests: Bool = false
    /// Files whose digest is in this set are recorded as known good, without decoding.
    public var knownGood: KnownGoodSet?
    /// How videos are hashed (vPDQ); nil: videos are not decoded, only recorded as such.
    public var video: VideoHasher? = VideoHasher()

    public init(
      options: HashOptions = HashOptions(), limits: DecodingLimits = .default,
      workers: Int = ProcessInfo.processInfo.activeProcessorCount,
      memoryBudget: Int = MemoryBudget.defaultCapacity
    ) {
      self.options = options
      self.limits = limits
      self.workers = max(1, workers)
      self.memoryBudget = memoryBudget
    }
  }

  public let configuration: Configuration
  /// The budget shared by the workers (its peak is reported after a run).
  public let budget: MemoryBudget

  public init(configuration: Configuration) {
    self.configuration = configuration
    self.budget = MemoryBudget(capacity: configuration.memoryBudget)
    archiveThreads = DispatchSemaphore(value: configuration.workers)
  }

  /// The threads hashing archive members at once, across every archive being opened, are
  /// at most the workers.
  fileprivate let archiveThreads: DispatchSemaphore

  /// The working memory one decode and hash of an image with this header needs.
  public static func estimatedBytes(for header: ImageHeader, options: HashOptions) -> Int {
    ImagePipeline.estimatedBytes(for: header, options: options)
  }

  /// Hashes one file of `source` with `pipeline` (the caller's per-thread pipeline).
  ///
  /// A file the user named (`file.explicit`) that is not an image is a failure; one found
  /// in a folder is skipped. A file that is no longer the one the walk found is not read.
  public func hashFile(_ file: InputFile, from source: some EvidenceSource, using pipeline: inout ImagePipeline) -> HashRecord {
    var record = hashFile(unlocated: file, from: source, using: &pipeline)
    record.location = file.location
    record.member = file.member
    return record
  }

  private func hashFile(unlocated file: InputFile, from source: some EvidenceSource, using pipeline: inout ImagePipeline) -> HashRecord {
    let path = file.path
    let bytes: [UInt8]
    var times = FileReader.FileTimes()
    do {
      bytes = try source.read(file, maxBytes: configuration.limits.maxBytes, times: &times)
    } catch {
      var record: HashRecord
      if case .tooLarge = error, configuration.video != nil, let video = hashVideoInPlace(file, from: source, budget: pipeline.budget) {
        record = video
        if configuration.digests || configuration.knownGood != nil {
          let streamed = digestsOnly(file, from: source, tooLarge: error.description)
          record.digests = streamed.digests
          if streamed.isKnownGood { record.outcome = .knownGood }
        }
      } else if case .tooLarge = error {
        let digests = configuration.digests || configuration.knownGood != nil
        record = digests ? digestsOnly(file, from: source, tooLarge: error.description) : HashRecord(path: path, outcome: .failed(error.description))
        // Too large to hold, but an archive: read where it lies, its members hashed.
        var contained: [HashRecord] = []
        if record.format == nil, !record.isKnownGood,
          let outcome = expand({ source.expandInPlace(file, visit: $0) }, into: &contained, using: &pipeline)
        {
          record.outcome = .container(outcome)
          record.contained = contained
        }
      } else {
        record = HashRecord(path: path, outcome: .failed(error.description))
      }
      record.times = times
      return record
    }
    // A large file that is not a picture (an archive, most likely) with no known-good
    // list to check first: its digests are taken on a thread of their own while it is
    // opened and its members hashed.
    let overlap =
      configuration.digests && configuration.knownGood == nil && configuration.workers > 1 && bytes.count >= Self.groupBytes / 8
      && ImageFormat.detect(bytes) == nil
    let digesting = overlap ? Self.digestInBackground(bytes) : nil
    var record = bytes.withUnsafeBytes {
      analyse($0, path: path, explicit: file.explicit, using: &pipeline, decode: false, digests: !overlap)
    }
    var contained: [HashRecord] = []
    if case .knownGood = record.outcome {
      // Known: neither decoded nor opened.
    } else if record.format == nil,
      let outcome = expand({ source.expand(file, bytes: bytes, visit: $0) }, into: &contained, using: &pipeline)
    {
      record.outcome = .container(outcome)
      record.contained = contained
    } else {
      record.outcome = bytes.withUnsafeBytes { outcome($0, explicit: file.explicit, using: &pipeline) }
    }
    if let digesting { record.digests = digesting() }
    record.times = times
    return record
  }

  /// Opens a file through `opening` (the source's `expand`) when it is an archive and
  /// hashes the files inside as they are read: in groups spread over every worker (one
  /// large archive is not hashed on one core), one group hashed while the next is read,
  /// and each group's bytes released once it is hashed (at most two groups in memory).
  private func expand(
    _ opening: ((ContainedFile) -> Void) -> ContainerOutcome?, into records: inout [HashRecord], using pipeline: inout ImagePipeline
  ) -> ContainerOutcome? {
    guard configuration.workers > 1 else {
      return opening { inside in records.append(containedRecord(inside, using: &pipeline)) }
    }
    let hashing = GroupHashing(hasher: self, decoder: pipeline.hasher.decoder, options: pipeline.hasher.options)
    var group: [ContainedFile] = []
    var groupBytes = 0
    let outcome = opening { inside in
      if case .bytes(let data) = inside.content { groupBytes += data.count }
      if case .container(let data, _) = inside.content { groupBytes += data.count }
      group.append(inside)
      if group.count >= 8 * configuration.workers || groupBytes >= Self.groupBytes {
        records += hashing.start(group)
        (group, groupBytes) = ([], 0)
      }
    }
    records += hashing.start(group)
    records += hashing.finish()
    return outcome
  }

  /// The bytes of archive members read ahead to be hashed together, at most.
  static let groupBytes = 64 << 20

  /// Hashes groups of an archive's files on every worker, in the background, one group at
  /// a time, each worker with its own pipeline kept from group to group.
  private final class GroupHashing: @unchecked Sendable {
    let hasher: BatchHasher
    /// One pipeline per worker, each used by one thread at a time.
    let pipelines: [PipelineBox]
    var running: (done: DispatchGroup, results: Locked<[HashRecord?]>)?

    final class PipelineBox: @unchecked Sendable {
      var pipeline: ImagePipeline
      init(_ pipeline: ImagePipeline) { self.pipeline = pipeline }
    }

    init(hasher: BatchHasher, decoder: ImageDecoder, options: HashOptions) {
      self.hasher = hasher
      pipelines = (0..<hasher.configuration.workers).map { _ in
        PipelineBox(ImagePipeline(hasher: ImageHasher(decoder: decoder, options: options), budget: hasher.budget))
      }
    }

    /// Waits for the group being hashed and returns its records, then starts `items`.
    func start(_ items: [ContainedFile]) -> [HashRecord] {
      let previous = finish()
      guard !items.isEmpty else { return previous }
      let done = DispatchGroup()
      let results = Locked([HashRecord?](repeating: nil, count: items.count))
      let next = Locked(0)
      // Threads of their own: the Dispatch pool's may all be busy with (or waiting on)
      // other files and archives.
      for box in pipelines.prefix(items.count) {
        done.enter()
        let hasher = self.hasher
        let thread = Thread {
          hasher.archiveThreads.wait()
          defer { hasher.archiveThreads.signal() }
          while !hasher.isCancelled, let index = next.withLock({ n -> Int? in
            guard n < items.count else { return nil }
            n += 1
            return n - 1
          }) {
            let record = hasher.containedRecord(items[index], using: &box.pipeline)
            results.withLock { $0[index] = record }
          }
          done.leave()
        }
        thread.stackSize = 8 << 20
        thread.start()
      }
      running = (done, results)
      return previous
    }

    /// Waits for the group being hashed, if any, and returns its records.
    func finish() -> [HashRecord] {
      guard let (done, results) = running else { return [] }
      done.wait()
      running = nil
      return results.withLock { $0.compactMap { $0 } }
    }
  }

  /// The record of a file found inside an archive.
  fileprivate func containedRecord(_ inside: ContainedFile, using pipeline: inout ImagePipeline) -> HashRecord {
    let file = inside.file
    var record: HashRecord
    switch inside.content {
    case .bytes(let bytes):
      record = bytes.withUnsafeBytes { analyse($0, path: file.path, explicit: false, using: &pipeline, decode: true) }
    case .container(let bytes, let outcome):
      record = bytes.withUnsafeBytes { analyse($0, path: file.path, explicit: false, using: &pipeline, decode: false) }
      if case .knownGood = record.outcome {} else { record.outcome = .container(outcome) }
    case .encrypted:
      record = HashRecord(path: file.path, outcome: .encrypted, size: file.size)
    case .special(let what):
      record = HashRecord(path: file.path, outcome: .special(what))
    case .failure(let reason):
      record = HashRecord(path: file.path, outcome: .failed(reason), size: file.size)
    }
    record.location = file.location
    record.member = file.member
    record.times = file.times ?? FileReader.FileTimes()
    return record
  }

  /// The digests of `bytes`, taken on a thread of their own: call the result for them.
  private static func digestInBackground(_ bytes: [UInt8]) -> () -> FileDigests {
    let done = DispatchGroup()
    let result = Locked<FileDigests?>(nil)
    done.enter()
    let thread = Thread {
      let digests = bytes.withUnsafeBytes { FileDigests(of: $0) }
      result.withLock { $0 = digests }
      done.leave()
    }
    thread.start()
    return {
      done.wait()
      return result.withLock { $0! }
    }
  }

  /// Digests (unless not `wanted`: taken elsewhere), the known-good check and, with
  /// `decode`, the decode and hashes of a file's bytes.
  private func analyse(
    _ data: UnsafeRawBufferPointer, path: RawPath, explicit: Bool, using pipeline: inout ImagePipeline, decode: Bool,
    digests wanted: Bool = true
  ) -> HashRecord {
    let digests = wanted && (configuration.digests || configuration.knownGood != nil) ? FileDigests(of: data) : nil
    var record = HashRecord(path: path, outcome: .skipped("not decoded"), size: data.count, digests: digests)
    record.format = ImageFormat.detect(data)
    record.video = VideoContainer.video(data)
    if let knownGood = configuration.knownGood, let digests, digests.all.contains(where: knownGood.contains) {
      record.outcome = .knownGood
    } else if decode {
      record.outcome = outcome(data, explicit: explicit, using: &pipeline)
    }
    return record
  }

  /// Reserves from `budget` the working memory of decoding and hashing a video with this
  /// header (``VideoHasher/estimatedBytes(width:height:threads:)``, at most the whole
  /// budget), and returns the bytes reserved, to release once the video is hashed.
  private static func reserveFrames(of info: VideoInfo, for hasher: VideoHasher, from budget: MemoryBudget) -> Int {
    let threads = hasher.decoderThreads == 0 ? ProcessInfo.processInfo.activeProcessorCount : hasher.decoderThreads
    let bytes = min(budget.capacity, VideoHasher.estimatedBytes(width: info.width, height: info.height, threads: threads))
    budget.reserve(bytes)
    return bytes
  }

  /// A video over the byte limit, hashed where it lies (a source that can open files
  /// read-only for random access): nil when the source cannot or it is not a video.
  private func hashVideoInPlace(_ file: InputFile, from source: some EvidenceSource, budget: MemoryBudget) -> HashRecord? {
    guard let hasher = configuration.video else { return nil }
    do {
      guard let opened = try source.openForRandomAccess(file) else { return nil }
      // Enough for MPEG-TS's sync bytes (three packets of 188 or 192 bytes).
      var prefix = [UInt8](repeating: 0, count: 512)
      let got = (try? prefix.withUnsafeMutableBytes { try opened.readAt(0, $0) }) ?? 0
      let head = Array(prefix.prefix(max(0, got)))
      // A video container, or an animated WebP (a picture format hashed as a video).
      let animatedWebP = head.withUnsafeBytes { AnimatedWebP.isAnimated($0) }
      guard got > 0, let container = animatedWebP ? .webp : ImageFormat.detect(head) == nil ? VideoContainer.detect(head) : nil
      else { return nil }
      var record = HashRecord(path: file.path, outcome: .skipped(""), size: Int(opened.size))
      record.video = container
      do {
        var reserved = 0
        defer { if reserved > 0 { budget.release(reserved) } }
        let reserve: (VideoInfo) -> Void = { reserved = Self.reserveFrames(of: $0, for: hasher, from: budget) }
        if let handle = opened.handle {
          record.outcome = .video(
            try withExtendedLifetime(opened) { try hasher.hash(descriptor: handle.descriptor, length: opened.size, beforeDecoding: reserve) })
          // Decoded while it lay on the evidence: a file written to meanwhile gave frames
          // that were never its content at any one moment.
          if let metadata = opened.metadata { try FileReader.checkUnchanged(handle, since: metadata) }
        } else {
          // Inside a disk image: read through its file system where FFmpeg needs.
          record.outcome = .video(try hasher.hash(length: opened.size, readAt: opened.readAt, beforeDecoding: reserve))
        }
      } catch let error as VideoError {
        record.outcome = .failed(error.description)
      } catch {
        record.outcome = .failed("\(error)")
      }
      return record
    } catch {
      return HashRecord(path: file.path, outcome: .failed(error.description))
    }
  }

  /// A file over the byte limit: its digests, streamed; an image among them is a
  /// failure (too large to decode), anything else is simply not an image.
  private func digestsOnly(_ file: InputFile, from source: some EvidenceSource, tooLarge reason: String) -> HashRecord {
    do {
      let (digests, prefix, size) = try FileDigests.streaming(file, from: source)
      let known = configuration.knownGood.map { set in digests.all.contains(where: set.contains) } ?? false
      let outcome: HashRecord.Outcome =
        known ? .knownGood : ImageFormat.detect(prefix) != nil ? .failed(reason) : .skipped("not an image (digests streamed)")
      var record = HashRecord(path: file.path, outcome: outcome, size: size, digests: digests)
      record.format = ImageFormat.detect(prefix)
      return record
    } catch {
      return HashRecord(path: file.path, outcome: .failed(error.description))
    }
  }

  /// Decodes and hashes one file's bytes: a picture through the pipeline, a video (by its
  /// first bytes, never a picture's) through the video hasher.
  private func outcome(_ data: UnsafeRawBufferPointer, explicit: Bool, using pipeline: inout ImagePipeline) -> HashRecord.Outcome {
    if let container = VideoContainer.video(data) {
      let animatedGIF = container == .gif
      if let hasher = configuration.video {
        // Its frames' working memory comes from the same budget as pictures', reserved
        // from the header before any frame is decoded.
        let budget = pipeline.budget
        var reserved = 0
        defer { if reserved > 0 { budget.release(reserved) } }
        do {
          return .video(
            try hasher.hash(data) { reserved = Self.reserveFrames(of: $0, for: hasher, from: budget) })
        } catch {
          // Its first bytes say video: one that will not open (truncated, damaged, carved
          // in part) is a failure to report, never a file skipped as not a picture. An
          // animated GIF FFmpeg cannot take is still a picture: its first frame is hashed.
          if !animatedGIF { return .failed(error.description) }
        }
      } else if !animatedGIF {
        return .skipped("a video (videos not hashed)")
      }
    }
    do {
      let result = try pipeline.hash(data)
      return .hashed(result.hashes, result.header)
    } catch let error as ImagingError {
      if case .unrecognizedFormat = error, !explicit { return .skipped(error.description) }
      return .failed(error.description)
    } catch {
      return .failed("\(error)")
    }
  }

  /// Stops handing out files (those in progress finish); for a caller that can no
  /// longer use the results.
  public func cancel() {
    cancelled.withLock { $0 = true }
  }

  private let cancelled = Locked(false)

  /// Whether ``cancel()`` was called.
  fileprivate var isCancelled: Bool { cancelled.withLock { $0 } }

  /// Hashes `files` of `source` in parallel and calls `deliver` once per file, serially
  /// and in the order of `files`, as soon as each record and all before it are ready.
  ///
  /// An archive's files come first, each with the index of the archive in `files` and
  /// ``HashRecord/member`` set, then the archive's own record (``HashRecord/contained``
  /// emptied): a consumer that records as it goes has recorded every file inside an
  /// archive once it has recorded the archive.
  public func run(_ files: [InputFile], from source: some EvidenceSource, deliver: @escaping (Int, HashRecord) -> Void) {
    let state = DeliveryState(deliver: deliver)
    let configuration = self.configuration
    let decoder = ImageDecoder(limits: configuration.limits)
    DispatchQueue.concurrentPerform(iterations: min(configuration.workers, max(files.count, 1))) { _ in
      var pipeline = ImagePipeline(hasher: ImageHasher(decoder: decoder, options: configuration.options), budget: self.budget)
      while !self.cancelled.withLock({ $0 }), let index = state.claim(below: files.count) {
        let record = self.hashFile(files[index], from: source, using: &pipeline)
        state.finish(index, record)
      }
    }
  }
}

/// The shared work counter and the in-order delivery of finished records.
private final class DeliveryState: @unchecked Sendable {
  private struct Counters {
    var next = 0
    var emitted = 0
    var pending: [Int: HashRecord] = [:]
  }
  private let counters = Locked(Counters())
  /// Called under the lock, serially; not Sendable, hence `@unchecked` above.
  private let deliver: (Int, HashRecord) -> Void

  init(deliver: @escaping (Int, HashRecord) -> Void) {
    self.deliver = deliver
  }

  /// The next index to work on, or `nil` when all are taken.
  func claim(below count: Int) -> Int? {
    counters.withLock { c -> Int? in
      guard c.next < count else { return nil }
      c.next += 1
      return c.next - 1
    }
  }

  /// Stores a finished record and delivers every record now ready, in order.
  func finish(_ index: Int, _ record: HashRecord) {
    counters.withLock { c in
      c.pending[index] = record
      while var ready = c.pending.removeValue(forKey: c.emitted) {
        for inside in ready.contained { deliver(c.emitted, inside) }
        ready.contained = []
        deliver(c.emitted, ready)
        c.emitted += 1
      }
    }
  }
}
