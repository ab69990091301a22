// libFuzzer targets for everything Sieve reads from outside: every image decoder, the text
// hash-set readers, the .sieveset reader, the service's JSON request bodies, the
// picture carver, the archive reader, video containers and vPDQ's text. Any input
// must come back as a value or as a typed error: never a crash, a trap, a hang, a leak or
// a sanitizer report.
//
// One binary holds every target; SIEVE_FUZZ_TARGET picks one (Scripts/fuzz.sh sets it).
// Built by Scripts/fuzz.sh from the library sources with -sanitize=fuzzer,address.

import Foundation
import SieveCore
@testable import SieveHashSets
@testable import SieveImaging
import SieveMatching
import SieveVideo

/// The service's request types are compiled in from Sources/SieveServer/APIRequests.swift;
/// their namespace is declared by the service's APITypes.swift, so here too.
enum API {}

/// The targets, by the name given in SIEVE_FUZZ_TARGET.
enum FuzzTarget: String, CaseIterable {
  case jpeg, png, gif, webp, bmp, tiff, heif
  case textHashSet = "text-hashset"
  case sieveset
  case serviceJSON = "service-json"
  /// The picture carver (Sources/SieveEvidence/Carving/PictureCarver.swift, compiled in)
  /// over raw bytes, as it reads unallocated space.
  case carver
  /// The archive reader (Sources/SieveEvidence/Archives/ArchiveReader.swift, compiled in,
  /// over libarchive) with small limits: every member reported, nothing past a limit.
  case archive
  /// A video through FFmpeg (container probing, demuxing, decoding, vPDQ's sampling) with
  /// small limits: features or a typed error.
  case video
  /// vPDQ's text lines and python-threatexchange's items.
  case vpdqText = "vpdq-text"

  static let current: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["SIEVE_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
      fatalError("set SIEVE_FUZZ_TARGET to one of: \(allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return target
  }()

  /// Small limits keep each run fast; the shapes of hostile headers are what matter.
  static let limits = DecodingLimits(maxPixels: 4_000_000, maxSeconds: 2)

  func run(_ data: UnsafeRawBufferPointer) {
    switch self {
    case .jpeg:
      Self.fuzz(JPEGDecoder.self, data)
      var collector = PixelImage.Collector()
      _ = try? JPEGDecoder(limits: Self.limits).decode(data, scaleDenominator: 8, into: &collector)
    case .png: Self.fuzz(PNGDecoder.self, data)
    case .gif:
      Self.fuzz(GIFDecoder.self, data)
      _ = AnimatedGIF.imageCount(data, upTo: 1000)
    case .webp: Self.fuzz(WebPDecoder.self, data)
    case .bmp: Self.fuzz(BMPDecoder.self, data)
    case .tiff: Self.fuzz(TIFFDecoder.self, data)
    case .heif: Self.fuzz(HEIFDecoder.self, data)
    case .textHashSet:
      Self.readTextSet(data)
    case .sieveset:
      // The header's payload length and checksum are made to fit what follows, so that
      // mutations reach the sections (a unit test covers the checksum's refusals).
      var bytes = Array(data)
      if bytes.count >= BinaryHashSet.headerSize {
        withUnsafeBytes(of: UInt64(bytes.count - BinaryHashSet.headerSize).littleEndian) { bytes.replaceSubrange(24..<32, with: $0) }
        let sum = bytes.withUnsafeBytes { raw in
          BinaryHashSet.checksum(
            head: UnsafeRawBufferPointer(rebasing: raw[0..<32]), payload: UnsafeRawBufferPointer(rebasing: raw[BinaryHashSet.headerSize...]))
        }
        withUnsafeBytes(of: sum.littleEndian) { bytes.replaceSubrange(32..<40, with: $0) }
      }
      if let (set, _) = try? BinaryHashSet.decode(bytes, file: "fuzz.sieveset") {
        // A set that decodes must be usable: every entry and index reachable, every digest
        // found where it lies.
        for i in 0..<set.count { _ = (set.id(of: i), set.label(of: i)) }
        _ = set.entries
        let matcher = Matcher(sets: [set], options: MatchOptions())
        _ = matcher.matches(for: MatchQuery(pdq: set.pdqHashes.first, pdqQuality: 100, phash: set.phashes.first))
        for column in set.digests.values where column.count > 0 {
          for row in [0, column.count / 2, column.count - 1] {
            let digest = column[row]
            precondition(column.rows(of: digest).contains(row), "a digest not found where it lies")
            precondition(!matcher.matches(for: MatchQuery(digests: [digest])).isEmpty, "a digest held but not matched")
          }
        }
      }
    case .carver:
      // Every 16 bytes a boundary, so that headers anywhere in a short input are tried;
      // carves must lie inside the input, in increasing order (a BMP or WebP may hold
      // others: the search goes on inside them).
      var last = -1
      for carve in PictureCarver(alignment: 16, maxLength: 1 << 20).carve(data) {
        precondition(carve.offset > last && carve.length > 0 && carve.offset + carve.length <= data.count)
        last = carve.offset
      }
    case .archive:
      var limits = ArchiveReader.Limits()
      (limits.maxMembers, limits.maxExpandedBytes, limits.maxMemberBytes) = (1000, 16 << 20, 4 << 20)
      var expanded = 0
      let reader = ArchiveReader(limits: limits)
      let bytes = Array(data)
      var first: ArchiveReader.Entry?
      _ = reader.read(bytes) { member in
        switch member {
        case .file(let entry, let bytes):
          expanded += bytes.count
          if first == nil && entry.steps.count == 1 { first = entry }
        case .archive(_, let bytes, _): expanded += bytes.count
        case .encrypted, .failure, .link: break
        }
      }
      precondition(expanded <= 2 * limits.maxExpandedBytes)
      // A member read once is extracted again to the same bytes' length or a typed error.
      if let first { _ = try? reader.extract(bytes, steps: first.steps[...]) }
      // Read in place (in reads of at most 1,000 bytes, seeking where the format needs):
      // the same files as from memory.
      var streamedFiles: [[UInt8]] = []
      _ = reader.read(size: bytes.count, readAt: { offset, buffer in
        let n = min(1000, buffer.count, bytes.count - offset)
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + n])) }
        return n
      }) { member in
        if case .file(_, let data) = member { streamedFiles.append(data) }
      }
      var memoryFiles: [[UInt8]] = []
      _ = reader.read(bytes) { member in
        if case .file(_, let data) = member { memoryFiles.append(data) }
      }
      precondition(streamedFiles == memoryFiles, "read in place and from memory differ")
    case .video:
      let limits = VideoLimits(
        maxDurationSeconds: 3600, maxFramePixels: 1_000_000, maxHashedFrames: 20, maxDecodedFrames: 500, maxSeconds: 2)
      // Stretches on the calling thread, or on two threads.
      let threads = data.count % 2 == 0 ? 1 : 2
      if let video = try? VideoHasher(limits: limits, secondsPerHash: 0.5, decoderThreads: threads).hash(data) {
        precondition(video.features.count <= 20 && video.framesDecoded <= 500)
        precondition(zip(video.features, video.features.dropFirst()).allSatisfy { $0.frameNumber < $1.frameNumber })
      }
    case .vpdqText:
      let text = String(decoding: data, as: UTF8.self)
      if let features = try? VPDQText.parse(text) {
        // What parses is written back and reads the same (times once at 3 decimals).
        let once = try? VPDQText.parse(VPDQText.lines(features))
        precondition(once != nil && once.map { try? VPDQText.parse(VPDQText.lines($0)) } == once)
      }
      _ = try? VPDQText.parseSignal(text.split(separator: "\n").map(String.init))
    case .serviceJSON:
      let json = Data(data)
      if let hashes = try? JSONDecoder().decode(API.Hashes.self, from: json) { _ = try? hashes.query() }
      if let batch = try? JSONDecoder().decode(API.BatchRequest.self, from: json) {
        for item in batch.queries { _ = try? item.hashes.query() }
      }
    }
  }

  /// One decoder's header and full decode of the input.
  static func fuzz<Decoder: FormatDecoder>(_ type: Decoder.Type, _ data: UnsafeRawBufferPointer) {
    let decoder = type.init(limits: limits)
    _ = try? decoder.header(of: data)
    var collector = PixelImage.Collector()
    _ = try? decoder.decode(data, into: &collector)
  }

  /// The text readers read files: the input goes to one file, read with a format, a hash
  /// kind and whether bad lines are skipped chosen by its first byte (the rest is the file).
  static let textPath =
    (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()) + "/sieve-fuzz-\(getpid()).txt"

  static func readTextSet(_ data: UnsafeRawBufferPointer) {
    guard let first = data.first else { return }
    let formats: [HashSetFormat?] = [nil] + HashSetFormat.allCases
    let kinds: [HashKind?] = [nil] + HashKind.allCases
    let body = UnsafeRawBufferPointer(rebasing: data.dropFirst())
    let fd = open(textPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return }
    let written = body.isEmpty ? 0 : write(fd, body.baseAddress, body.count)
    close(fd)
    guard written == body.count else { return }
    let reader = TextHashSetReader(
      format: formats[Int(first & 0x07) % formats.count], type: kinds[Int(first >> 3 & 0x07) % kinds.count], label: "fuzz",
      skipBadLines: first & 0x80 != 0)
    var set = HashSet(name: "fuzz")
    _ = try? reader.read(textPath, into: &set)
  }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func sieveFuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  FuzzTarget.current.run(UnsafeRawBufferPointer(start: data, count: size))
  return 0
}
