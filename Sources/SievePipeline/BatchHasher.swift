import Dispatch
import Foundation
import SieveHashSets
import SieveHashing
import SieveImaging

/// Hashes many files in parallel on every core with Dispatch, within a memory budget,
/// and delivers the records in input order.
///
/// Each worker reads a file (read-only), reads its header, reserves the bytes the
/// decode will need from a shared ``MemoryBudget`` (so that, say, two 100 MP images
/// are decoded one after the other when both do not fit), then decodes and hashes it.
/// Peak memory stays under the budget plus one file buffer per worker.
public final class BatchHasher: @unchecked Sendable {
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
  }

  /// The working memory one decode and hash of an image with this header needs,
  /// beyond the encoded file itself.
  public static func estimatedBytes(for header: ImageHeader, options: HashOptions) -> Int {
    HashingSink.estimatedBytes(width: header.width, height: header.height, options: options) + header.decoderBytes
  }

  /// Hashes one file with `hasher` (the caller's per-thread hasher).
  ///
  /// A file the user named (`file.explicit`) that is not an image is a failure; one found
  /// in a folder is skipped. A file that is no longer the one the walk found is not read.
  public func hashFile(_ file: InputFile, using hasher: inout ImageHasher) -> HashRecord {
    let (path, explicit) = (file.path, file.explicit)
    let bytes: [UInt8]
    var times = FileReader.FileTimes()
    do {
      bytes = try FileReader.read(file, maxBytes: configuration.limits.maxBytes, times: &times)
    } catch {
      if case .tooLarge = error, configuration.digests || configuration.knownGood != nil {
        var record = digestsOnly(path, tooLarge: error.description)
        record.times = times
        return record
      }
      var record = HashRecord(path: path, outcome: .failed(error.description))
      record.times = times
      return record
    }
    return bytes.withUnsafeBytes { data in
      let digests = configuration.digests || configuration.knownGood != nil ? FileDigests(of: data) : nil
      if let knownGood = configuration.knownGood, let digests, digests.all.contains(where: knownGood.contains) {
        var record = HashRecord(path: path, outcome: .knownGood, size: data.count, digests: digests)
        record.times = times
        return record
      }
      var record = hashImage(path, data, explicit: explicit, using: &hasher)
      record.size = data.count
      record.digests = digests
      record.times = times
      return record
    }
  }

  /// A file over the byte limit: its digests, streamed; an image among them is a
  /// failure (too large to decode), anything else is simply not an image.
  private func digestsOnly(_ path: RawPath, tooLarge reason: String) -> HashRecord {
    do {
      let (digests, prefix, size) = try FileDigests.streaming(path)
      let known = configuration.knownGood.map { set in digests.all.contains(where: set.contains) } ?? false
      let outcome: HashRecord.Outcome =
        known ? .knownGood : ImageFormat.detect(prefix) != nil ? .failed(reason) : .skipped("not an image (digests streamed)")
      return HashRecord(path: path, outcome: outcome, size: size, digests: digests)
    } catch {
      return HashRecord(path: path, outcome: .failed(error.description))
    }
  }

  /// Decodes and hashes one file's bytes.
  private func hashImage(
    _ path: RawPath, _ data: UnsafeRawBufferPointer, explicit: Bool, using hasher: inout ImageHasher
  ) -> HashRecord {
    let header: ImageHeader
    do throws(ImagingError) {
      header = try hasher.decoder.header(of: data)
    } catch {
      if case .unrecognizedFormat = error, !explicit {
        return HashRecord(path: path, outcome: .skipped(error.description))
      }
      return HashRecord(path: path, outcome: .failed(error.description))
    }
    // Refuse an over-limit header before reserving memory for it.
    do throws(ImagingError) {
      try configuration.limits.check(header)
    } catch {
      return HashRecord(path: path, outcome: .failed(error.description))
    }
    let reservation = Self.estimatedBytes(for: header, options: configuration.options)
    budget.reserve(reservation)
    defer { budget.release(reservation) }
    do {
      let result = try hasher.hash(data)
      return HashRecord(path: path, outcome: .hashed(result.hashes, result.header))
    } catch let error as ImagingError {
      return HashRecord(path: path, outcome: .failed(error.description))
    } catch {
      return HashRecord(path: path, outcome: .failed("\(error)"))
    }
  }

  /// Stops handing out files (those in progress finish); for a caller that can no
  /// longer use the results.
  public func cancel() {
    cancelled.withLock { $0 = true }
  }

  private let cancelled = LockedFlag()

  /// Hashes `files` in parallel and calls `deliver` once per file, serially and in
  /// the order of `files`, as soon as each record and all before it are ready.
  ///
  /// - Parameter files: paths, each with whether the user named it directly.
  public func run(_ files: [InputFile], deliver: @escaping (Int, HashRecord) -> Void) {
    let state = DeliveryState(deliver: deliver)
    let configuration = self.configuration
    let decoder = ImageDecoder(limits: configuration.limits)
    DispatchQueue.concurrentPerform(iterations: min(configuration.workers, max(files.count, 1))) { _ in
      var hasher = ImageHasher(decoder: decoder, options: configuration.options)
      while !self.cancelled.withLock({ $0 }), let index = state.claim(below: files.count) {
        let record = self.hashFile(files[index], using: &hasher)
        state.finish(index, record)
      }
    }
  }
}

/// A Boolean behind a lock.
final class LockedFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  func withLock<T>(_ body: (inout Bool) -> T) -> T {
    lock.lock()
    defer { lock.unlock() }
    return body(&value)
  }
}

/// The shared work counter and the in-order delivery of finished records.
private final class DeliveryState: @unchecked Sendable {
  private let lock = NSLock()
  private var next = 0
  private var emitted = 0
  private var pending: [Int: HashRecord] = [:]
  private let deliver: (Int, HashRecord) -> Void

  init(deliver: @escaping (Int, HashRecord) -> Void) {
    self.deliver = deliver
  }

  /// The next index to work on, or `nil` when all are taken.
  func claim(below count: Int) -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard next < count else { return nil }
    next += 1
    return next - 1
  }

  /// Stores a finished record and delivers every record now ready, in order.
  func finish(_ index: Int, _ record: HashRecord) {
    lock.lock()
    defer { lock.unlock() }
    pending[index] = record
    while let ready = pending.removeValue(forKey: emitted) {
      deliver(emitted, ready)
      emitted += 1
    }
  }
}
