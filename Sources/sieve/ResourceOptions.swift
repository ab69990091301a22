import ArgumentParser
import Foundation
import SieveHashing
import SieveImaging
import SievePipeline

/// Limits and parallelism shared by the commands that decode images.
struct ResourceOptions: ParsableArguments {
  @Option(help: "Refuse images with more pixels than this (width x height), from the header.")
  var maxPixels: Int = DecodingLimits.default.maxPixels

  @Option(help: "Refuse images over 4096x4096 declaring more than this many pixels per byte of file, and images over 2048x2048 declaring 64 times as many (decompression bombs, one-colour images; 0: no limit).")
  var maxPixelsPerByte: Int = DecodingLimits.default.maxPixelsPerByte

  @Option(help: ArgumentHelp("Refuse files larger than this many bytes (suffixes K, M, G).", valueName: "size"))
  var maxBytes: ByteCount = ByteCount(DecodingLimits.default.maxBytes)

  @Option(help: "Give up on one image after this many seconds of decoding (0: no limit).")
  var maxSeconds: Double = DecodingLimits.default.maxSeconds ?? 0

  @Option(help: ArgumentHelp("Decode memory in use at once, all workers together (K, M, G).", valueName: "size"))
  var memoryLimit: ByteCount = ByteCount(MemoryBudget.defaultCapacity)

  @Option(name: [.short, .long], help: "Parallel workers (default: all cores).")
  var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

  func validate() throws {
    guard maxPixels > 0 else { throw ValidationError("--max-pixels must be positive") }
    guard maxPixelsPerByte >= 0 else { throw ValidationError("--max-pixels-per-byte must be 0 (no limit) or more") }
    guard maxBytes.bytes > 0 else { throw ValidationError("--max-bytes must be positive") }
    guard maxSeconds.isFinite, maxSeconds >= 0, maxSeconds <= 1_000_000 else {
      throw ValidationError("--max-seconds must be a number of seconds from 0 (no limit) to 1000000")
    }
    guard memoryLimit.bytes > 0 else { throw ValidationError("--memory-limit must be positive") }
    guard jobs > 0 else { throw ValidationError("--jobs must be at least 1") }
  }

  func configuration(options: HashOptions) throws -> BatchHasher.Configuration {
    var limits = DecodingLimits.default
    limits.maxPixels = maxPixels
    limits.maxPixelsPerByte = maxPixelsPerByte > 0 ? maxPixelsPerByte : Int.max
    limits.maxBytes = maxBytes.bytes
    limits.maxSeconds = maxSeconds > 0 ? maxSeconds : nil
    return BatchHasher.Configuration(
      options: options, limits: limits, workers: jobs, memoryBudget: memoryLimit.bytes)
  }
}

/// A byte count written as a number with an optional K, M or G suffix (powers of 1024).
struct ByteCount: ExpressibleByArgument, CustomStringConvertible {
  var bytes: Int

  init(_ bytes: Int) {
    self.bytes = bytes
  }

  init?(argument: String) {
    let text = argument.trimmingCharacters(in: .whitespaces).uppercased()
    var digits = text
    var multiplier = 1
    for (suffix, value) in [("KIB", 1 << 10), ("MIB", 1 << 20), ("GIB", 1 << 30), ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30)]
    where text.hasSuffix(suffix) {
      digits = String(text.dropLast(suffix.count))
      multiplier = value
      break
    }
    guard let number = Int(digits), number >= 0 else { return nil }
    let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
    guard !overflow else { return nil }
    bytes = product
  }

  var description: String {
    if bytes % (1 << 30) == 0 { return "\(bytes >> 30)G" }
    if bytes % (1 << 20) == 0 { return "\(bytes >> 20)M" }
    return "\(bytes)"
  }
}
