import CArchive
import SieveSystem

#if canImport(Glibc)
  import Glibc
#endif
#if canImport(SievePipeline)
  // (The fuzz binary compiles this file with ArchiveMember.swift and ContainerOutcome.swift.)
  import SievePipeline
#endif

/// Reads the members of an archive held in memory through libarchive (zip and the
/// formats built on it, tar with gzip, bzip2, xz or zstd, 7z, rar, cpio, a lone gzip,
/// bzip2, xz or zstd stream, …), and of the archives inside it down to
/// ``Limits/maxDepth``.
///
/// Archive bombs are bounded: the members, the bytes expanded and the ratio of expanded
/// to archived bytes are counted over the whole tree, and past a limit the reading stops
/// with a reason that says which. An encrypted member is reported as such, never guessed.
public struct ArchiveReader: Sendable {
  /// How far an archive tree may expand.
  public struct Limits: Sendable, Equatable, Codable {
    /// Archives inside archives, counting the outer one as 1. Default 5.
    public var maxDepth = 5
    /// Members of the whole tree. Default 100,000.
    public var maxMembers = 100_000
    /// Bytes expanded in the whole tree. Default 4 GiB.
    public var maxExpandedBytes = 4 << 30
    /// Bytes expanded per byte of the outer archive, once over 1 MiB. Default 1,000.
    public var maxRatio = 1000
    /// The largest member read (a larger one is reported, not read). Default 512 MiB.
    public var maxMemberBytes = 512 << 20
    /// Bytes held in memory at once along one way down the tree: the archives being read
    /// inside each other, and the member being read. Default 1 GiB.
    public var maxHeldBytes = 1 << 30

    public init() {}

    enum CodingKeys: String, CodingKey {
      case maxDepth = "max_depth", maxMembers = "max_members", maxExpandedBytes = "max_expanded_bytes", maxRatio = "max_ratio"
      case maxMemberBytes = "max_member_bytes", maxHeldBytes = "max_held_bytes"
    }

    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      let defaults = Limits()
      maxDepth = try c.decodeIfPresent(Int.self, forKey: .maxDepth) ?? defaults.maxDepth
      maxMembers = try c.decodeIfPresent(Int.self, forKey: .maxMembers) ?? defaults.maxMembers
      maxExpandedBytes = try c.decodeIfPresent(Int.self, forKey: .maxExpandedBytes) ?? defaults.maxExpandedBytes
      maxRatio = try c.decodeIfPresent(Int.self, forKey: .maxRatio) ?? defaults.maxRatio
      maxMemberBytes = try c.decodeIfPresent(Int.self, forKey: .maxMemberBytes) ?? defaults.maxMemberBytes
      maxHeldBytes = try c.decodeIfPresent(Int.self, forKey: .maxHeldBytes) ?? defaults.maxHeldBytes
    }
  }

  /// One member of an archive tree, where it lies and what the archive records of it.
  public struct Entry: Sendable, Equatable {
    /// The way down from the outer archive: each archive's member, the last one this.
    public var steps: [ArchiveMember.Step]
    /// Each step's name as the archive stores it, byte for byte (the step's `name` is its
    /// text, invalid UTF-8 as `\xNN`).
    public var rawNames: [[UInt8]] = []
    /// Its modification time as the archive records it (seconds since 1970).
    public var modified: Double?
    /// Its size as the archive records it, where it does.
    public var size: Int?

    /// The member names down the tree, `["2019/inner.tar", "a.jpg"]`.
    public var names: [String] { steps.map(\.name) }
  }

  /// One thing an archive tree holds, in the order read; an archive inside comes after
  /// its own members.
  public enum Member: Sendable, Equatable {
    /// A regular file that is not an archive opened: its bytes.
    case file(Entry, bytes: [UInt8])
    /// An archive inside, after its members: its bytes, and how its reading went.
    case archive(Entry, bytes: [UInt8], ContainerOutcome)
    /// An encrypted member: not read.
    case encrypted(Entry)
    /// A symbolic link, or a hard link with no data of its own: what it names.
    case link(Entry, target: String)
    /// A member that could not be read: why.
    case failure(Entry, reason: String)
  }

  /// Why a member could not be extracted again.
  public struct ExtractionError: Error, Sendable, CustomStringConvertible {
    public var description: String
  }

  public var limits: Limits

  public init(limits: Limits = Limits()) {
    self.limits = limits
  }

  /// Whether `prefix` (a file's first 512 bytes or more) starts like an archive Sieve
  /// opens: zip, gzip, bzip2, xz, zstd, 7z, rar, or tar (`ustar` at 257).
  public static func looksLikeArchive(_ prefix: some Collection<UInt8>) -> Bool {
    let prefix = Array(prefix.prefix(512))
    func starts(_ signature: [UInt8]) -> Bool { prefix.starts(with: signature) }
    if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x1F, 0x8B, 0x08]) { return true }
    if prefix.count >= 4, starts(Array("BZh".utf8)), (0x31...0x39).contains(prefix[3]) { return true }
    if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) || starts([0x28, 0xB5, 0x2F, 0xFD]) { return true }
    if starts([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) || starts(Array("Rar!\u{1A}\u{07}".utf8)) { return true }
    return prefix.count >= 262 && Array(prefix[257..<262]) == Array("ustar".utf8)
  }

  /// Calls `visit` with every member of the archive `bytes` and of the archives inside
  /// it, in order, and returns how the outer archive's reading went; nil when `bytes` do
  /// not start like an archive (``looksLikeArchive(_:)``).
  public func read(_ bytes: [UInt8], visit: (Member) -> Void) -> ContainerOutcome? {
    guard Self.looksLikeArchive(bytes) else { return nil }
    var budget = Budget(outerBytes: bytes.count)
    return read(bytes, steps: [], rawNames: [], budget: &budget, visit: visit)
  }

  /// The same for an archive of `size` bytes too large to hold in memory, read where
  /// libarchive needs through `readAt` (bytes read at an offset into a buffer, 0 at the
  /// end; it throws a reason for people when the bytes cannot be read). The archives
  /// inside it are read in memory.
  public func read(
    size: Int, readAt: @escaping (Int, UnsafeMutableRawBufferPointer) throws -> Int, visit: (Member) -> Void
  ) -> ContainerOutcome? {
    var prefix = [UInt8](repeating: 0, count: min(size, 512))
    let n = prefix.withUnsafeMutableBytes { (try? readAt(0, $0)) ?? 0 }
    guard Self.looksLikeArchive(prefix[0..<n]) else { return nil }
    var budget = Budget(outerBytes: size)
    return Self.withStream(size: size, readAt: readAt) { archive, error, stream in
      var outcome = read(archive, error: error, steps: [], rawNames: [], budget: &budget, visit: visit)
      if let failure = stream.failure, let problem = outcome.problem { outcome.problem = problem + " (\(failure))" }
      return outcome
    }
  }

  /// What the tree has used of the limits so far.
  struct Budget {
    let outerBytes: Int
    var members = 0
    var expanded = 0
    /// Bytes of the archives being read inside each other, held in memory.
    var held = 0
    var stopped: String?

    /// Counts `n` more bytes expanded; false (and `stopped` says why) past a limit.
    mutating func expand(_ n: Int, limits: Limits) -> Bool {
      expanded = expanded.addingReportingOverflow(n).overflow ? .max : expanded + n
      if expanded > limits.maxExpandedBytes {
        stopped = "expands past \(limits.maxExpandedBytes) bytes in all: the rest is not read (an archive bomb?)"
      } else if expanded > 1 << 20, expanded / max(1, outerBytes) > limits.maxRatio {
        stopped = "expands more than \(limits.maxRatio) times the \(outerBytes) bytes of the outer archive: the rest is not read (an archive bomb?)"
      }
      return stopped == nil
    }
  }

  private func read(
    _ bytes: [UInt8], steps: [ArchiveMember.Step], rawNames: [[UInt8]], budget: inout Budget, visit: (Member) -> Void
  ) -> ContainerOutcome {
    bytes.withUnsafeBytes { raw in
      Self.withArchive(opening: { archive_read_open_memory($0, raw.baseAddress, raw.count) }) { archive, error in
        read(archive, error: error, steps: steps, rawNames: rawNames, budget: &budget, visit: visit)
      }
    }
  }

  /// Reads an opened archive (nil: it could not be opened, for `error`).
  private func read(
    _ archive: OpaquePointer?, error: String, steps: [ArchiveMember.Step], rawNames: [[UInt8]], budget: inout Budget,
    visit: (Member) -> Void
  ) -> ContainerOutcome {
    var outcome = ContainerOutcome(format: "archive", members: 0)
    let depth = steps.count + 1
    do {
      guard let archive else {
        outcome.problem = "cannot be read as an archive: \(error)"
        return outcome
      }
      var index = -1
      var buffer = [UInt8](repeating: 0, count: 1 << 16)
      while budget.stopped == nil {
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF { break }
        index += 1
        if index == 0 {
          outcome.format = Self.formatName(archive)
          guard archive_format(archive) != ARCHIVE_FORMAT_RAW || archive_filter_count(archive) > 1 else {
            outcome.problem = "cannot be read as an archive: no format libarchive reads"
            return outcome
          }
        }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
          let reason = archive_read_has_encrypted_entries(archive) == 1 ? "encrypted" : Self.error(archive)
          outcome.problem = index == 0 ? "cannot be read as an archive: \(reason)" : "damaged after \(outcome.members) members: \(reason)"
          return outcome
        }
        // Every entry counts toward the members of the tree, directories and links too.
        budget.members += 1
        if budget.members > limits.maxMembers {
          budget.stopped = "more than \(limits.maxMembers) entries in all: the rest is not read (an archive bomb?)"
          break
        }
        let kind = Self.kind(of: entry)
        if kind == .directory { continue }
        outcome.members += 1
        let (raw, name) = Self.name(of: entry, index: index, archive: archive)
        var member = Entry(steps: steps + [.init(name: name, entry: index)])
        member.rawNames = rawNames + [raw]
        if archive_entry_mtime_is_set(entry) != 0 {
          member.modified = Double(archive_entry_mtime(entry)) + Double(archive_entry_mtime_nsec(entry)) / 1e9
        }
        let declared = archive_entry_size_is_set(entry) != 0 ? Int(archive_entry_size(entry)) : nil
        member.size = declared
        switch kind {
        case .file, .directory: break
        case .link(let target):
          visit(.link(member, target: target))
          continue
        case .unreadable(let reason):
          // libarchive passes over the bytes it claims by expanding them: counted first.
          guard budget.expand(declared ?? 0, limits: limits) else {
            visit(.failure(member, reason: budget.stopped!))
            break
          }
          visit(.failure(member, reason: reason))
          continue
        }
        if budget.stopped != nil { break }
        if archive_entry_is_encrypted(entry) != 0 {
          visit(.encrypted(member))
          continue
        }
        var data: [UInt8] = []
        data.reserveCapacity(min(declared ?? 0, limits.maxMemberBytes, 64 << 20))
        var failure: String?
        while true {
          let n = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
          if n == 0 { break }
          guard n > 0 else {
            failure = failure ?? "cannot be read: \(Self.error(archive))"
            break
          }
          guard budget.expand(n, limits: limits) else { break }
          // Past a limit the rest is still read (and counted: libarchive would expand it
          // anyway to reach the next entry), but not kept.
          if failure != nil { continue }
          if data.count + n > limits.maxMemberBytes {
            failure = "over \(limits.maxMemberBytes) bytes expanded; not read"
          } else if budget.held + data.count + n > limits.maxHeldBytes {
            failure = "over \(limits.maxHeldBytes) bytes held with the archives it is in; not read"
          } else {
            data += buffer[0..<n]
            continue
          }
          data = []
        }
        if let stopped = budget.stopped {
          visit(.failure(member, reason: stopped))
          break
        }
        if let failure {
          visit(.failure(member, reason: failure))
          continue
        }
        if Self.looksLikeArchive(data) {
          let inner =
            depth >= limits.maxDepth
            ? ContainerOutcome(format: "archive", members: 0, problem: "an archive nested deeper than \(limits.maxDepth): not opened")
            : holding(data.count, &budget) { read(data, steps: member.steps, rawNames: member.rawNames, budget: &$0, visit: visit) }
          visit(.archive(member, bytes: data, inner))
          continue
        }
        visit(.file(member, bytes: data))
      }
      if let stopped = budget.stopped { outcome.problem = stopped }
    }
    return outcome
  }

  /// The bytes of the member `steps` leads to, read again from the archive `bytes` (for
  /// an export or a thumbnail), within the member limit.
  public func extract(_ bytes: [UInt8], steps: ArraySlice<ArchiveMember.Step>) throws(ExtractionError) -> [UInt8] {
    guard let step = steps.first else { return bytes }
    let found = bytes.withUnsafeBytes { raw in
      Self.withArchive(opening: { archive_read_open_memory($0, raw.baseAddress, raw.count) }) { member(step, in: $0, error: $1) }
    }
    return try extract(found.get(), steps: steps.dropFirst())
  }

  /// The same from an archive of `size` bytes read where it lies (as
  /// ``read(size:readAt:visit:)``).
  public func extract(
    size: Int, readAt: @escaping (Int, UnsafeMutableRawBufferPointer) throws -> Int, steps: ArraySlice<ArchiveMember.Step>
  ) throws(ExtractionError) -> [UInt8] {
    guard let step = steps.first else { throw ExtractionError(description: "no member named") }
    let found = Self.withStream(size: size, readAt: readAt) { archive, error, _ in member(step, in: archive, error: error) }
    return try extract(found.get(), steps: steps.dropFirst())
  }

  /// The bytes of the member `step` names in an opened archive.
  private func member(_ step: ArchiveMember.Step, in archive: OpaquePointer?, error: String) -> Result<[UInt8], ExtractionError> {
    guard let archive else { return .failure(.init(description: "cannot be read as an archive: \(error)")) }
    var index = -1
    var entry: OpaquePointer?
    while true {
      let status = archive_read_next_header(archive, &entry)
      guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else { break }
      index += 1
      guard index == step.entry else { continue }
      guard Self.name(of: entry, index: index, archive: archive).text == step.name else {
        return .failure(.init(description: "entry \(index) is no longer \(step.name)"))
      }
      var data: [UInt8] = []
      var buffer = [UInt8](repeating: 0, count: 1 << 16)
      while true {
        let n = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
        if n == 0 { return .success(data) }
        guard n > 0 else { return .failure(.init(description: "\(step.name) cannot be read: \(Self.error(archive))")) }
        guard data.count + n <= limits.maxMemberBytes else {
          return .failure(.init(description: "\(step.name) is over \(limits.maxMemberBytes) bytes"))
        }
        data += buffer[0..<n]
      }
    }
    return .failure(.init(description: "\(step.name) (entry \(step.entry)) is not in the archive"))
  }

  /// Calls `body` with an archive reader over `size` bytes read through `readAt` (nil and
  /// a reason when it cannot be opened), and the stream (which keeps a read failure).
  private static func withStream<T>(
    size: Int, readAt: @escaping (Int, UnsafeMutableRawBufferPointer) throws -> Int, _ body: (OpaquePointer?, String, Stream) -> T
  ) -> T {
    let stream = Stream(size: size, readAt: readAt)
    return withExtendedLifetime(stream) {
      withArchive(
        opening: { archive in
          archive_read_set_callback_data(archive, Unmanaged.passUnretained(stream).toOpaque())
          archive_read_set_read_callback(archive, Stream.read)
          archive_read_set_seek_callback(archive, Stream.seek)
          archive_read_set_skip_callback(archive, Stream.skip)
          return archive_read_open1(archive)
        }
      ) { archive, error in body(archive, error, stream) }
    }
  }

  /// Calls `body` with a new archive reader opened by `opening` (every filter and format
  /// libarchive has, and the raw format, for a lone compressed stream), or with nil and
  /// the reason it could not be opened; the reader is freed when `body` returns.
  private static func withArchive<T>(opening: (OpaquePointer) -> Int32, _ body: (OpaquePointer?, String) -> T) -> T {
    do { try OnDemandLibrary.archive.load() } catch { return body(nil, error.reason) }
    _ = utf8Names
    guard let archive = archive_read_new() else { return body(nil, "libarchive could not start") }
    defer { archive_read_free(archive) }
    archive_read_support_filter_all(archive)
    archive_read_support_format_all(archive)
    archive_read_support_format_raw(archive)
    guard opening(archive) == ARCHIVE_OK else { return body(nil, error(archive)) }
    return body(archive, "")
  }

  /// libarchive converts names to the locale's character set, and in the C locale it
  /// cannot convert a zip's UTF-8 names at all (they would be lost): a process still in the
  /// C locale is put in C.UTF-8 for its character type, once, before the first archive.
  private static let utf8Names: Void = {
    #if canImport(Glibc)
      let current = setlocale(LC_CTYPE, nil).map { String(cString: $0) } ?? "C"
      if current == "C" || current == "POSIX" { setlocale(LC_CTYPE, "C.UTF-8") }
    #endif
  }()

  /// An archive read where libarchive asks, through libarchive's callbacks.
  private final class Stream {
    let size: Int
    let readAt: (Int, UnsafeMutableRawBufferPointer) throws -> Int
    var position = 0
    /// Why the bytes could not be read, when they could not.
    var failure: String?
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)

    init(size: Int, readAt: @escaping (Int, UnsafeMutableRawBufferPointer) throws -> Int) {
      self.size = size
      self.readAt = readAt
    }

    deinit { buffer.deallocate() }

    static func from(_ context: UnsafeMutableRawPointer?) -> Stream {
      Unmanaged<Stream>.fromOpaque(context!).takeUnretainedValue()
    }

    static let read: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<UnsafeRawPointer?>?) -> Int = {
      _, context, out in
      let stream = from(context)
      let want = UnsafeMutableRawBufferPointer(rebasing: stream.buffer[0..<min(stream.buffer.count, max(0, stream.size - stream.position))])
      do {
        let n = try stream.readAt(stream.position, want)
        stream.position += n
        out?.pointee = UnsafeRawPointer(stream.buffer.baseAddress)
        return n
      } catch {
        stream.failure = "\(error)"
        return Int(ARCHIVE_FATAL)
      }
    }

    static let seek: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int64, Int32) -> Int64 = { _, context, offset, whence in
      let stream = from(context)
      let base = whence == 0 ? 0 : whence == 1 ? stream.position : stream.size  // SEEK_SET, SEEK_CUR, SEEK_END
      let (target, overflow) = base.addingReportingOverflow(Int(offset))
      guard !overflow, target >= 0 else { return Int64(ARCHIVE_FATAL) }
      stream.position = min(target, stream.size)
      return Int64(stream.position)
    }

    static let skip: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int64) -> Int64 = { _, context, request in
      let stream = from(context)
      let skipped = min(max(0, Int(request)), stream.size - stream.position)
      stream.position += skipped
      return Int64(skipped)
    }
  }

  /// Runs `body` with `bytes` more counted as held in memory (an archive being read).
  private func holding<T>(_ bytes: Int, _ budget: inout Budget, _ body: (inout Budget) -> T) -> T {
    budget.held += bytes
    defer { budget.held -= bytes }
    return body(&budget)
  }

  /// What an entry is: a file to read — everything but directories, links, devices, FIFOs
  /// and sockets (an entry whose type the archive leaves unknown, as a RAR made on an
  /// unexpected host, is read) —; a link, recorded with what it names (a target that is
  /// no path, as a zip whose mode bits call a picture a link, is reported: libarchive
  /// gives its bytes as the target); or a directory, device, FIFO or socket, left out,
  /// unless it claims bytes of its own (a zip's mode bits can say so; libarchive then
  /// gives none), which is reported.
  private static func kind(of entry: OpaquePointer) -> EntryKind {
    let size = archive_entry_size_is_set(entry) != 0 ? Int(archive_entry_size(entry)) : 0
    let type: String
    switch archive_entry_filetype(entry) {
    case 0o120000:
      let target = archive_entry_symlink(entry).map { Self.cBytes($0) } ?? []
      guard target.count <= 4096, let text = String(validating: target, as: UTF8.self),
        !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
      else {
        let start = target.prefix(8).map { String($0, radix: 16).leftPadded }.joined(separator: " ")
        return .unreadable(
          "a symbolic link whose target is not a path (\(target.count) bytes, starting \(start)): it may hold a file's bytes, which are not read")
      }
      return .link(text)
    case 0o040000: type = "a directory"
    case 0o020000, 0o060000: type = "a device"
    case 0o010000: type = "a FIFO"
    case 0o140000: type = "a socket"
    default:
      if let link = archive_entry_hardlink(entry), size == 0 { return .link(String(cString: link)) }
      return .file
    }
    return size > 0 ? .unreadable("\(type) entry that claims \(size) bytes: its bytes are not read") : .directory
  }

  enum EntryKind: Equatable {
    case file
    /// A directory, device, FIFO or socket with no bytes: not a file.
    case directory
    case link(String)
    case unreadable(String)
  }

  /// The member's path as the archive records it, byte for byte (UTF-8 where the archive
  /// says so), and as text (invalid UTF-8 as `\xNN`); `data` for a lone compressed stream,
  /// `entry N` when it has none.
  private static func name(of entry: OpaquePointer, index: Int, archive: OpaquePointer) -> (bytes: [UInt8], text: String) {
    let raw: [UInt8] =
      archive_format(archive) == ARCHIVE_FORMAT_RAW ? Array("data".utf8)
      : archive_entry_pathname_utf8(entry).map { cBytes($0) } ?? archive_entry_pathname(entry).map { cBytes($0) } ?? Array("entry \(index)".utf8)
    return (raw, text(raw))
  }

  /// The bytes of a C string, up to its NUL.
  private static func cBytes(_ c: UnsafePointer<CChar>) -> [UInt8] {
    var bytes: [UInt8] = []
    var p = c
    while p.pointee != 0 {
      bytes.append(UInt8(bitPattern: p.pointee))
      p += 1
    }
    return bytes
  }

  /// `bytes` as text: UTF-8 as it is, any other byte as `\xNN`.
  static func text(_ bytes: [UInt8]) -> String {
    if let valid = String(validating: bytes, as: UTF8.self) { return valid }
    var out = ""
    var i = 0
    while i < bytes.count {
      var decoded = false
      for length in 1...4 where i + length <= bytes.count {
        if let scalar = String(validating: bytes[i..<i + length], as: UTF8.self) {
          out += scalar
          i += length
          decoded = true
          break
        }
      }
      if !decoded {
        out += "\\x" + String(bytes[i], radix: 16, uppercase: false).leftPadded
        i += 1
      }
    }
    return out
  }

  /// `zip`, `tar+gzip`, `7z`, `rar`, … for people.
  private static func formatName(_ archive: OpaquePointer) -> String {
    let family: String =
      switch archive_format(archive) & ARCHIVE_FORMAT_BASE_MASK {
      case ARCHIVE_FORMAT_ZIP: "zip"
      case ARCHIVE_FORMAT_TAR: "tar"
      case ARCHIVE_FORMAT_7ZIP: "7z"
      case ARCHIVE_FORMAT_RAR, ARCHIVE_FORMAT_RAR_V5: "rar"
      case ARCHIVE_FORMAT_CPIO: "cpio"
      case ARCHIVE_FORMAT_ISO9660: "iso9660"
      case ARCHIVE_FORMAT_CAB: "cab"
      case ARCHIVE_FORMAT_RAW: "compressed"
      default: archive_format_name(archive).map { String(cString: $0) } ?? "archive"
      }
    let filters = (0..<max(0, Int(archive_filter_count(archive)) - 1)).compactMap { i in
      archive_filter_name(archive, Int32(i)).map { String(cString: $0) }
    }
    return ([family] + filters.reversed()).joined(separator: "+")
  }

  private static func error(_ archive: OpaquePointer) -> String {
    archive_error_string(archive).map { String(cString: $0) } ?? "libarchive error \(archive_errno(archive))"
  }
}

extension String {
  /// Two hex digits.
  fileprivate var leftPadded: String { count < 2 ? "0" + self : self }
}
