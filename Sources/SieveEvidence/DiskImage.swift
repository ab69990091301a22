import CTSK
import Crypto
import SieveCore
import SievePipeline
import SieveSystem
import Synchronization

/// A disk image opened read-only through The Sleuth Kit: raw (`dd`), split raw (`.001`,
/// `.002`, …) and EnCase (`.E01`) images, their partition tables (DOS/MBR, GPT, …, or
/// none) and the file systems TSK reads in them (FAT, exFAT, NTFS, ext2/3/4, HFS+, ISO
/// 9660, …).
///
/// TSK's handles are not made for several threads at once: every call goes through one
/// lock per image, and the hashing of what is read runs in parallel outside it.
public final class DiskImage: Sendable {
  /// One file system found in the image.
  public struct Volume: Sendable {
    /// The partition's volume address (`mmls`' first column), nil for an image without a
    /// partition table.
    public var partition: Int?
    /// Where it starts, in bytes.
    public var offset: Int
    /// TSK's name for it (`fat16`, `ext4`, `ntfs`, …).
    public var fileSystem: String
  }

  /// Why an image could not be opened or read.
  public struct Failure: Error, Sendable, CustomStringConvertible {
    public var description: String
  }

  /// The image's segments, as named (the first names the image).
  public let segments: [RawPath]
  /// The image's size in bytes (all segments; the media size of an E01).
  public let size: Int
  /// TSK's name for the image format (`raw`, `ewf`, …).
  public let format: String
  /// The file systems found, in the order of the partition table.
  public let volumes: [Volume]
  /// Partitions in which no file system was recognised, and why (for the run's notes).
  public let unreadablePartitions: [String]
  /// Space the partition table gives to no partition (before, between and after them),
  /// and partitions without a file system TSK reads: carved whole.
  public let unpartitionedSpace: [Range<Int>]
  /// The MD5 the image stored when it was acquired (E01), nil for formats that store none.
  public let storedMD5: String?
  /// The partition table TSK found (`dos`, `gpt`, …), nil for none.
  public let volumeSystem: String?
  /// Why the partition table could not be read, when the image has a boot-sector
  /// signature (a DOS or GPT table) but The Sleuth Kit cannot read its table.
  public let partitionTableProblem: String?

  fileprivate struct Handles: @unchecked Sendable {
    let image: UnsafeMutablePointer<TSK_IMG_INFO>
    let fileSystems: [UnsafeMutablePointer<TSK_FS_INFO>]
  }
  fileprivate let handles: Mutex<Handles>

  /// Opens `segments` (one path, or every segment of a split image in order) read-only.
  public init(segments: [RawPath]) throws(Failure) {
    guard !segments.isEmpty else { throw Failure(description: "no image to open") }
    self.segments = segments
    let image = try Self.openImage(segments)
    size = Int(image.pointee.size)
    format = String(cString: tsk_img_type_toname(image.pointee.itype))
    storedMD5 = format.lowercased().contains("ewf") ? EWFStoredHash.md5(segments[0]) : nil
    var volumes: [Volume] = []
    var fileSystems: [UnsafeMutablePointer<TSK_FS_INFO>] = []
    var unreadable: [String] = []
    var unpartitioned: [Range<Int>] = []
    var tableProblem: String?
    let vs = tsk_vs_open(image, 0, TSK_VS_TYPE_DETECT)
    if vs == nil {
      let error = Self.lastError("no partition table recognised")
      var sector = [UInt8](repeating: 0, count: 512)
      let got = sector.withUnsafeMutableBytes { tsk_img_read(image, 0, $0.baseAddress?.assumingMemoryBound(to: CChar.self), 512) }
      if got == 512, sector[510] == 0x55, sector[511] == 0xAA { tableProblem = error }
    }
    var tableType: String?
    if let vs {
      defer { tsk_vs_close(vs) }
      tableType = String(cString: tsk_vs_type_toname(vs.pointee.vstype))
      let blockSize = Int(vs.pointee.block_size)
      let imageSize = Int(image.pointee.size)
      for index in 0..<vs.pointee.part_count {
        guard let part = tsk_vs_part_get(vs, index) else { continue }
        // A table can claim anything: an entry starting outside the image is noted and
        // left out, one running past its end is cut there.
        let slot = Int(part.pointee.addr)
        let (start, startOverflow) = Int(clamping: part.pointee.start).multipliedReportingOverflow(by: blockSize)
        let (claimed, lengthOverflow) = Int(clamping: part.pointee.len).multipliedReportingOverflow(by: blockSize)
        guard !startOverflow, start >= 0, start < imageSize else {
          unreadable.append("volume \(slot) starts outside the image (sector \(part.pointee.start))")
          continue
        }
        let length = lengthOverflow || claimed < 0 ? imageSize - start : min(claimed, imageSize - start)
        let flags = part.pointee.flags.rawValue
        if flags & TSK_VS_PART_FLAG_UNALLOC.rawValue != 0 {
          if length > 0 { unpartitioned.append(start..<start + length) }
          continue
        }
        guard flags & TSK_VS_PART_FLAG_ALLOC.rawValue != 0, !volumes.contains(where: { $0.offset == start }) else { continue }
        let offset = start
        if let fs = tsk_fs_open_img(image, TSK_OFF_T(offset), TSK_FS_TYPE_DETECT) {
          fileSystems.append(fs)
          volumes.append(Volume(partition: slot, offset: offset, fileSystem: String(cString: tsk_fs_type_toname(fs.pointee.ftype))))
        } else {
          if length > 0 { unpartitioned.append(start..<start + length) }
          let description = part.pointee.desc.map { String(cString: $0) } ?? "?"
          unreadable.append("volume \(slot) (\(description)) at byte \(offset): \(Self.lastError("no file system recognised"))")
        }
      }
    }
    tsk_error_reset()
    if volumes.isEmpty, let fs = tsk_fs_open_img(image, 0, TSK_FS_TYPE_DETECT) {
      fileSystems.append(fs)
      volumes.append(Volume(partition: nil, offset: 0, fileSystem: String(cString: tsk_fs_type_toname(fs.pointee.ftype))))
    }
    tsk_error_reset()
    self.volumes = volumes
    volumeSystem = tableType
    unreadablePartitions = unreadable
    unpartitionedSpace = volumes.isEmpty ? [] : unpartitioned
    // A boot sector whose table TSK refuses, over a file system TSK reads at its start
    // (a FAT volume's boot sector has the same signature): not a problem.
    partitionTableProblem = volumes.isEmpty ? tableProblem : nil
    handles = Mutex(Handles(image: image, fileSystems: fileSystems))
  }

  /// The disk image at `path` (with the segments that follow a `NAME.001`), or nil when
  /// it is not one The Sleuth Kit opens and finds a partition table or file system in
  /// (or an EWF file). Throws when The Sleuth Kit cannot be loaded.
  public static func open(_ path: RawPath) throws(OnDemandLibraryError) -> DiskImage? {
    try EvidenceSet.openIfImage(path)
  }

  /// The image a location names, opened again as the scan opened it (an image carved
  /// whole, without a file system, is opened as raw). Throws when The Sleuth Kit cannot
  /// be loaded.
  public static func open(_ location: EvidenceLocation) throws(OnDemandLibraryError) -> DiskImage? {
    try EvidenceSet.openIfImage(location.imagePath, acceptingRaw: location.allocation == .carved && location.fileSystem.isEmpty)
  }

  deinit {
    handles.withLock { handles in
      for fs in handles.fileSystems { tsk_fs_close(fs) }
      tsk_img_close(handles.image)
    }
  }

  private static func openImage(_ segments: [RawPath]) throws(Failure) -> UnsafeMutablePointer<TSK_IMG_INFO> {
    do { try OnDemandLibrary.sleuthKit.load() } catch { throw Failure(description: error.reason) }
    // TSK takes UTF-8 names; a name that is not UTF-8 is passed as its bytes.
    let names: [UnsafeMutablePointer<CChar>] = segments.map { path in
      let name = UnsafeMutablePointer<CChar>.allocate(capacity: path.bytes.count + 1)
      for (i, byte) in path.bytes.enumerated() { name[i] = CChar(bitPattern: byte) }
      name[path.bytes.count] = 0
      return name
    }
    defer { names.forEach { $0.deallocate() } }
    let list: [UnsafePointer<CChar>?] = names.map { UnsafePointer($0) }
    let opened = list.withUnsafeBufferPointer { tsk_img_open_utf8(Int32($0.count), $0.baseAddress, TSK_IMG_TYPE_DETECT, 0) }
    guard let opened else { throw Failure(description: lastError("not a disk image TSK can open")) }
    return opened
  }

  /// TSK's last error, for this thread, then cleared.
  static func lastError(_ fallback: String) -> String {
    defer { tsk_error_reset() }
    guard let message = tsk_error_get() else { return fallback }
    let text = String(cString: message).split(whereSeparator: \.isNewline).joined(separator: " ")
    return text.isEmpty ? fallback : text
  }

  /// The MD5 (hex) of the whole media, read in order from the first byte to the last:
  /// what an E01's ``storedMD5`` must equal. `progress` is told the bytes read so far.
  public func mediaMD5(progress: (Int) -> Void = { _ in }) throws(Failure) -> String {
    var md5 = Insecure.MD5()
    var buffer = [UInt8](repeating: 0, count: 4 << 20)
    var offset = 0
    while offset < size {
      let want = min(buffer.count, size - offset)
      let got = handles.withLock { handles in
        buffer.withUnsafeMutableBytes { raw in
          tsk_img_read(handles.image, TSK_OFF_T(offset), raw.baseAddress?.assumingMemoryBound(to: CChar.self), want)
        }
      }
      guard got > 0 else { throw Failure(description: Self.lastError("the image cannot be read at byte \(offset)")) }
      buffer.withUnsafeBytes { md5.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
      offset += got
      progress(offset)
    }
    return Hex.string(md5.finalize())
  }

  // MARK: Files

  /// A regular file a file system of the image lists, live or deleted.
  public struct File: Sendable {
    public var location: EvidenceLocation
    /// Its path in the file system as the bytes of its names (``EvidenceLocation/pathInFileSystem``
    /// is their text, which can be the same for two names that are not UTF-8).
    public var pathBytes: [UInt8]
    /// Its size as the file system records it.
    public var size: Int
    public var modified: Double?
    public var accessed: Double?
    public var changed: Double?
    /// For a deleted file: where its data starts in the image, when TSK maps it.
    public var dataStart: Int?
  }

  /// The most entries (files and folders) walked in one file system; a file system that
  /// lists more (a directory graph crafted to repeat itself) is cut there, with a note.
  public static let maxEntriesPerFileSystem = 5_000_000
  /// The deepest folder walked.
  public static let maxDepth = 1024

  /// What the walks found worth a note (file systems cut short, names skipped), after
  /// ``files(image:)``.
  public var walkNotes: [String] { notes.withLock { $0 } }
  private let notes = Mutex<[String]>([])

  /// Every regular file of every file system, allocated or deleted, in the order the file
  /// systems list them (the same on every run). `image` names the image in the locations.
  ///
  /// Left out, and counted in ``walkNotes``: a deleted name whose metadata another file now
  /// uses, or whose data blocks another file now holds (its bytes are that file's); a
  /// deleted entry whose metadata records no data; a second name of a live file already
  /// listed (hard links: read once); the file systems' own files (FAT's volume label entry;
  /// NTFS's metadata files, MFT entries 0–23 and those of `$Extend`). A folder is walked
  /// once, however many names lead to it (loops and repeated folders).
  public func files(image: String) -> [File] {
    handles.withLock { handles in
      var files: [File] = []
      for (index, fs) in handles.fileSystems.enumerated() {
        var walk = FileSystemWalk(fs: fs, image: image, volume: volumes[index], imageSize: size)
        walk.run()
        files += walk.files
        if !walk.notes.isEmpty { notes.withLock { $0 += walk.notes } }
      }
      tsk_error_reset()
      return files
    }
  }

  /// The whole of a file (`size` bytes), read as ``read(_:size:chunkSize:_:)`` reads it.
  public func contents(of location: EvidenceLocation, size: Int) throws(Failure) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(size)
    try read(location, size: size, chunkSize: 4 << 20) { bytes += $0 }
    return bytes
  }

  /// Reads up to `buffer.count` bytes of a file of `size` bytes from `offset`, through its
  /// file system (as ``read(_:size:chunkSize:_:)``), for a reader that reads a large file
  /// where it needs (an archive); 0 at the end.
  public func read(
    _ location: EvidenceLocation, size: Int, at offset: Int, into buffer: UnsafeMutableRawBufferPointer
  ) throws(Failure) -> Int {
    guard size <= self.size else {
      throw Failure(description: "the file system says \(size) bytes, more than the whole image (\(self.size))")
    }
    let want = min(buffer.count, max(0, size - offset))
    guard want > 0, offset >= 0 else { return 0 }
    if let start = location.carvedOffset {
      let bytes = try readRaw(offset: start + offset, length: want)
      bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
      return bytes.count
    }
    guard let index = volumes.firstIndex(where: { $0.offset == location.partitionOffset }) else {
      throw Failure(description: "no file system at byte \(location.partitionOffset) of the image")
    }
    return try handles.withLock { handles throws(Failure) in
      guard let file = tsk_fs_file_open_meta(handles.fileSystems[index], nil, TSK_INUM_T(location.metadataAddress)) else {
        throw Failure(description: Self.lastError("metadata entry \(location.metadataAddress) cannot be read"))
      }
      defer { tsk_fs_file_close(file) }
      let got = Self.read(file, location, at: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
      guard got > 0 else { throw Failure(description: Self.lastError("read failed at byte \(offset) of \(size)")) }
      return got
    }
  }

  /// Reads `into.count` bytes at `offset` of an opened file's data, or of the named stream
  /// `location` gives; TSK's count (-1 on an error).
  private static func read(
    _ file: UnsafeMutablePointer<TSK_FS_FILE>, _ location: EvidenceLocation, at offset: Int, into: UnsafeMutableRawBufferPointer
  ) -> Int {
    let buffer = into.baseAddress?.assumingMemoryBound(to: CChar.self)
    if let type = location.attributeType, let id = location.attributeID {
      return tsk_fs_file_read_type(
        file, TSK_FS_ATTR_TYPE_ENUM(UInt32(clamping: type)), UInt16(clamping: id), TSK_OFF_T(offset), buffer, into.count,
        TSK_FS_FILE_READ_FLAG_NONE)
    }
    return tsk_fs_file_read(file, TSK_OFF_T(offset), buffer, into.count, TSK_FS_FILE_READ_FLAG_NONE)
  }

  /// Calls `body` with successive chunks of a file, read through its file system:
  /// allocated files as their metadata maps them, deleted ones as TSK recovers them (FAT:
  /// contiguous clusters from the first); a carved picture from the image's bytes.
  public func read(
    _ location: EvidenceLocation, size: Int, chunkSize: Int, _ body: (UnsafeRawBufferPointer) -> Void
  ) throws(Failure) {
    if let offset = location.carvedOffset {
      try readRaw(offset: offset, length: size).withUnsafeBytes { body($0) }
      return
    }
    guard let index = volumes.firstIndex(where: { $0.offset == location.partitionOffset }) else {
      throw Failure(description: "no file system at byte \(location.partitionOffset) of the image")
    }
    guard size <= self.size else {
      throw Failure(description: "the file system says \(size) bytes, more than the whole image (\(self.size))")
    }
    try handles.withLock { handles throws(Failure) in
      guard let file = tsk_fs_file_open_meta(handles.fileSystems[index], nil, TSK_INUM_T(location.metadataAddress)) else {
        throw Failure(description: Self.lastError("metadata entry \(location.metadataAddress) cannot be read"))
      }
      defer { tsk_fs_file_close(file) }
      var buffer = [UInt8](repeating: 0, count: max(1, min(chunkSize, size)))
      var offset = 0
      while offset < size {
        let want = min(buffer.count, size - offset)
        let got = buffer.withUnsafeMutableBytes { Self.read(file, location, at: offset, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want])) }
        guard got > 0 else {
          throw Failure(description: Self.lastError("read failed at byte \(offset) of \(size)"))
        }
        buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
        offset += got
      }
    }
  }
}

// MARK: Raw space

extension DiskImage {
  /// Reads `length` bytes of the image at `offset` (raw, below any file system).
  public func readRaw(offset: Int, length: Int) throws(Failure) -> [UInt8] {
    guard offset >= 0, length >= 0, offset <= size, length <= size - offset else {
      throw Failure(description: "bytes \(offset) to \(offset + length) are outside the image (\(size) bytes)")
    }
    var bytes = [UInt8](repeating: 0, count: length)
    var done = 0
    while done < length {
      let got = handles.withLock { handles in
        bytes.withUnsafeMutableBytes { raw in
          tsk_img_read(handles.image, TSK_OFF_T(offset + done), raw.baseAddress!.advanced(by: done).assumingMemoryBound(to: CChar.self), length - done)
        }
      }
      guard got > 0 else { throw Failure(description: Self.lastError("the image cannot be read at byte \(offset + done)")) }
      done += got
    }
    return bytes
  }

  /// The unallocated space of each file system, as byte ranges of the image (runs of
  /// free blocks), and the space outside them (``unpartitionedSpace``), or the whole image
  /// when it holds no file system TSK reads: where carving looks.
  public func unallocatedSpace() -> [(volume: Volume?, ranges: [Range<Int>])] {
    guard !volumes.isEmpty else { return [(nil, size > 0 ? [0..<size] : [])] }
    let unpartitioned: [(volume: Volume?, ranges: [Range<Int>])] = unpartitionedSpace.isEmpty ? [] : [(nil, unpartitionedSpace)]
    return unpartitioned + handles.withLock { handles in
      volumes.indices.map { index in
        let fs = handles.fileSystems[index]
        let collector = BlockCollector(base: volumes[index].offset, blockSize: Int(fs.pointee.block_size))
        let flags = TSK_FS_BLOCK_WALK_FLAG_ENUM(TSK_FS_BLOCK_WALK_FLAG_UNALLOC.rawValue | TSK_FS_BLOCK_WALK_FLAG_AONLY.rawValue)
        _ = tsk_fs_block_walk(
          fs, fs.pointee.first_block, fs.pointee.last_block, flags, blockCallback, Unmanaged.passUnretained(collector).toOpaque())
        tsk_error_reset()
        return (volumes[index], collector.ranges)
      }
    }
  }
}

// MARK: Slack

extension DiskImage {
  /// The most slack read after one file (a file system may allocate far more than a file
  /// holds, as NTFS does for a preallocated one).
  public static let maxSlackPerFile = 64 << 10

  /// A live file's slack: the bytes its file system allocated to it after its end (the
  /// rest of its last block or cluster, what TSK's run list maps), as byte ranges of the
  /// image; empty for a file without any (a resident NTFS file, a size that fills its last
  /// block, a sparse or unmapped end).
  public func slack(of file: File) -> [Range<Int>] {
    let location = file.location
    guard location.allocation == .allocated, location.attributeType == nil, location.carvedOffset == nil, file.size > 0,
      let index = volumes.firstIndex(where: { $0.offset == location.partitionOffset })
    else { return [] }
    let base = volumes[index].offset
    return handles.withLock { handles -> [Range<Int>] in
      let fs = handles.fileSystems[index]
      let blockSize = Int(fs.pointee.block_size)
      guard blockSize > 0, let opened = tsk_fs_file_open_meta(fs, nil, TSK_INUM_T(location.metadataAddress)) else {
        tsk_error_reset()
        return []
      }
      defer {
        tsk_fs_file_close(opened)
        tsk_error_reset()
      }
      // Compressed or encrypted data: the bytes after its end are not slack.
      let unusableAttribute = TSK_FS_ATTR_COMP.rawValue | TSK_FS_ATTR_ENC.rawValue
      guard let attribute = tsk_fs_file_attr_get(opened), attribute.pointee.flags.rawValue & TSK_FS_ATTR_NONRES.rawValue != 0,
        attribute.pointee.flags.rawValue & unusableAttribute == 0
      else {
        return []
      }
      let nrd = attribute.pointee.nrd
      let skip = Int(nrd.skiplen)
      let size = Int(clamping: attribute.pointee.size)
      let allocated = Int(clamping: nrd.allocsize)
      // Everything below is checked for overflow: a file system can claim any size.
      guard size > 0, allocated > size, let lastBlock = Int(exactly: fs.pointee.last_block) else { return [] }
      let end = size + min(Self.maxSlackPerFile, allocated - size)
      guard !size.addingReportingOverflow(skip).overflow, !end.addingReportingOverflow(skip + blockSize).overflow else { return [] }
      // The volume's bytes in the image: slack is never read outside them.
      let (volumeBytes, volumeOverflow) = Int(clamping: fs.pointee.block_count).multipliedReportingOverflow(by: blockSize)
      let volumeEnd = volumeOverflow || base.addingReportingOverflow(volumeBytes).overflow ? self.size : base + volumeBytes
      var ranges: [Range<Int>] = []
      var offset = size + skip
      while offset < end + skip {
        let block = offset / blockSize
        // The run that maps this block of the file (runs are in file order; a damaged list
        // is followed at most 100,000 runs).
        var run = nrd.run
        var address: Int?
        var steps = 0
        while let r = run, steps < 100_000 {
          let first = Int(clamping: r.pointee.offset), length = Int(clamping: r.pointee.len)
          if block >= first && block - first < length {
            let unusable = TSK_FS_ATTR_RUN_FLAG_SPARSE.rawValue | TSK_FS_ATTR_RUN_FLAG_FILLER.rawValue
            let (candidate, overflow) = Int(clamping: r.pointee.addr).addingReportingOverflow(block - first)
            if r.pointee.flags.rawValue & unusable == 0, !overflow, candidate >= 0, candidate <= lastBlock { address = candidate }
            break
          }
          run = r.pointee.next
          steps += 1
        }
        let next = min((block + 1) * blockSize, end + skip)
        if let address {
          let (start, o1) = address.multipliedReportingOverflow(by: blockSize)
          let (from, o2) = base.addingReportingOverflow(start)
          let (first, o3) = from.addingReportingOverflow(offset % blockSize)
          let (to, o4) = first.addingReportingOverflow(next - offset)
          guard !(o1 || o2 || o3 || o4), to <= min(volumeEnd, self.size) else { break }
          if let last = ranges.last, last.upperBound == first {
            ranges[ranges.count - 1] = last.lowerBound..<to
          } else {
            ranges.append(first..<to)
          }
        }
        offset = next
      }
      return ranges
    }
  }
}

/// Merges the block addresses a walk reports into byte ranges.
private final class BlockCollector {
  let base: Int
  let blockSize: Int
  var ranges: [Range<Int>] = []

  init(base: Int, blockSize: Int) {
    self.base = base
    self.blockSize = blockSize
  }

  func add(_ block: UInt64) {
    let start = base + Int(block) * blockSize
    if let last = ranges.last, last.upperBound == start {
      ranges[ranges.count - 1] = last.lowerBound..<start + blockSize
    } else {
      ranges.append(start..<start + blockSize)
    }
  }
}

private func blockCallback(_ block: UnsafePointer<TSK_FS_BLOCK>?, _ context: UnsafeMutableRawPointer?) -> TSK_WALK_RET_ENUM {
  guard let block, let context else { return TSK_WALK_CONT }
  Unmanaged<BlockCollector>.fromOpaque(context).takeUnretainedValue().add(UInt64(block.pointee.addr))
  return TSK_WALK_CONT
}

/// One file system's folders, walked depth first in listing order, each folder once.
private struct FileSystemWalk {
  let fs: UnsafeMutablePointer<TSK_FS_INFO>
  let image: String
  let volume: DiskImage.Volume
  let imageSize: Int
  var files: [DiskImage.File] = []
  var notes: [String] = []
  private var visited: Set<UInt64> = []
  private var listed: Set<UInt64> = []
  private var entries = 0
  private var skipped: [String: Int] = [:]

  init(fs: UnsafeMutablePointer<TSK_FS_INFO>, image: String, volume: DiskImage.Volume, imageSize: Int) {
    (self.fs, self.image, self.volume, self.imageSize) = (fs, image, volume, imageSize)
  }

  var where_: String { image + (volume.partition.map { " volume \($0)" } ?? "") + " (\(volume.fileSystem))" }

  mutating func run() {
    // An explicit stack of open folders: a crafted depth cannot exhaust the thread's stack.
    var stack: [(dir: UnsafeMutablePointer<TSK_FS_DIR>, next: Int, path: [UInt8], address: UInt64)] = []
    func open(_ address: UInt64, _ path: [UInt8], _ stack: inout [(dir: UnsafeMutablePointer<TSK_FS_DIR>, next: Int, path: [UInt8], address: UInt64)]) {
      guard let dir = tsk_fs_dir_open_meta(fs, TSK_INUM_T(address)) else {
        tsk_error_reset()
        return
      }
      stack.append((dir, 0, path, address))
    }
    visited.insert(UInt64(fs.pointee.root_inum))
    open(UInt64(fs.pointee.root_inum), [], &stack)
    var cut = false
    while !stack.isEmpty && !cut {
      let top = stack.count - 1
      guard stack[top].next < tsk_fs_dir_getsize(stack[top].dir) else {
        tsk_fs_dir_close(stack[top].dir)
        stack.removeLast()
        continue
      }
      let index = stack[top].next
      stack[top].next += 1
      entries += 1
      if entries > DiskImage.maxEntriesPerFileSystem {
        notes.append("\(where_): more than \(DiskImage.maxEntriesPerFileSystem) entries; the rest was not walked")
        cut = true
        break
      }
      guard let file = tsk_fs_dir_get(stack[top].dir, index) else {
        tsk_error_reset()
        continue
      }
      defer { tsk_fs_file_close(file) }
      guard let name = file.pointee.name, let raw = name.pointee.name else { continue }
      var length = 0
      while raw[length] != 0 { length += 1 }
      let leaf = Array(UnsafeRawBufferPointer(start: raw, count: length))
      if leaf == [0x2E] || leaf == [0x2E, 0x2E] { continue }
      guard let meta = file.pointee.meta else { continue }
      let type = meta.pointee.type
      if type == TSK_FS_META_TYPE_DIR || type == TSK_FS_META_TYPE_VIRT_DIR {
        let address = UInt64(meta.pointee.addr)
        guard visited.insert(address).inserted else {
          skipped["folders reached again by another name (a loop or a repeated folder), walked once", default: 0] += 1
          continue
        }
        guard stack.count < DiskImage.maxDepth else {
          skipped["folders deeper than \(DiskImage.maxDepth), not walked", default: 0] += 1
          continue
        }
        open(address, stack[top].path + leaf + [0x2F], &stack)
        continue
      }
      guard type == TSK_FS_META_TYPE_REG else { continue }
      consider(file, name: name, meta: meta, leaf: leaf, folder: stack[top].path, parent: stack[top].address)
    }
    for entry in stack { tsk_fs_dir_close(entry.dir) }
    for (what, count) in skipped.sorted(by: { $0.key < $1.key }) { notes.append("\(where_): \(count) \(what)") }
  }

  /// Keeps a regular file, or counts why not.
  mutating func consider(
    _ file: UnsafeMutablePointer<TSK_FS_FILE>, name: UnsafeMutablePointer<TSK_FS_NAME>, meta: UnsafeMutablePointer<TSK_FS_META>,
    leaf: [UInt8], folder: [UInt8], parent: UInt64
  ) {
    let m = meta.pointee
    let address = UInt64(m.addr)
    let nameAllocated = name.pointee.flags.rawValue & TSK_FS_NAME_FLAG_ALLOC.rawValue != 0
    let metaAllocated = m.flags.rawValue & TSK_FS_META_FLAG_ALLOC.rawValue != 0
    let system = volume.fileSystem
    // The file systems' own files.
    // (TSK lists a FAT volume label as an empty file of this name; a file with data and
    // such a name is a file.)
    if system.hasPrefix("fat"), m.size <= 0, String(decoding: leaf, as: UTF8.self).hasSuffix("(Volume Label Entry)") { return }
    // NTFS's (MFT entries below 24, and those in $Extend) and HFS+'s (catalog node ids 3
    // to 8, which TSK names $ExtentsFile, $CatalogFile, …): by their place and their `$`
    // name both, so that a crafted entry with a low number and another name is still a file.
    let systemName = leaf.first == UInt8(ascii: "$")
    if system.hasPrefix("ntfs"), address < 24 || parent == 11, systemName { return }
    if system.hasPrefix("hfs"), (3...8).contains(address), systemName { return }
    if !nameAllocated && metaAllocated {
      skipped["deleted names whose metadata another file now uses, left out", default: 0] += 1
      return
    }
    let deleted = !(nameAllocated && metaAllocated)
    if deleted && m.size <= 0 { return }
    if !deleted {
      guard listed.insert(address).inserted else {
        skipped["more names (hard links) of files already listed, read once", default: 0] += 1
        return
      }
    }
    var dataStart: Int?
    if deleted {
      let blocks = BlockCheck()
      _ = tsk_fs_file_walk(file, TSK_FS_FILE_WALK_FLAG_AONLY, blockCheckCallback, Unmanaged.passUnretained(blocks).toOpaque())
      tsk_error_reset()
      if blocks.reallocated {
        skipped["deleted files whose data another file now holds, left out", default: 0] += 1
        return
      }
      dataStart = blocks.first.map { volume.offset + Int(clamping: $0) * Int(fs.pointee.block_size) }
    }
    let pathBytes = [0x2F] + folder + leaf
    func time(_ seconds: time_t, _ nanoseconds: UInt32) -> Double? {
      seconds == 0 ? nil : Double(seconds) + Double(nanoseconds) / 1e9
    }
    let location = EvidenceLocation(
      image: image, partition: volume.partition, partitionOffset: volume.offset, fileSystem: system,
      pathInFileSystem: String(decoding: pathBytes, as: UTF8.self), metadataAddress: address,
      allocation: deleted ? .deleted : .allocated, created: time(m.crtime, m.crtime_nano))
    let times = (time(m.mtime, m.mtime_nano), time(m.atime, m.atime_nano), time(m.ctime, m.ctime_nano))
    files.append(
      DiskImage.File(
        location: location, pathBytes: pathBytes, size: Int(clamping: max(0, m.size)), modified: times.0, accessed: times.1,
        changed: times.2, dataStart: dataStart))
    // Named streams beside the default data: NTFS alternate data streams, HFS+ resource
    // forks. Each is a file of its own, `path:stream`, read through its attribute. (Only
    // those file systems have them: the others' attributes are not loaded for nothing.)
    guard ["ntfs", "hfs", "apfs"].contains(where: system.hasPrefix) else { return }
    let attributes = tsk_fs_file_attr_getsize(file)
    for index in 0..<max(0, min(attributes, 256)) {
      guard let attribute = tsk_fs_file_attr_get_idx(file, Int32(index)) else { continue }
      let type = attribute.pointee.type
      let named = attribute.pointee.name.map { String(cString: $0) } ?? ""
      let isStream = (type == TSK_FS_ATTR_TYPE_NTFS_DATA && !named.isEmpty) || type == TSK_FS_ATTR_TYPE_HFS_RSRC
      guard isStream, attribute.pointee.size > 0 else { continue }
      let streamName = named.isEmpty ? "rsrc" : named
      var streamLocation = location
      streamLocation.pathInFileSystem += ":" + streamName
      streamLocation.attributeType = Int(type.rawValue)
      streamLocation.attributeID = Int(attribute.pointee.id)
      streamLocation.stream = streamName
      files.append(
        DiskImage.File(
          location: streamLocation, pathBytes: pathBytes + [0x3A] + Array(streamName.utf8),
          size: Int(clamping: attribute.pointee.size), modified: times.0, accessed: times.1, changed: times.2, dataStart: nil))
    }
    tsk_error_reset()
  }
}

/// What a deleted file's blocks are now: its first block, and whether any is allocated
/// (to another file).
private final class BlockCheck {
  var first: UInt64?
  var reallocated = false
}

private func blockCheckCallback(
  _ file: UnsafeMutablePointer<TSK_FS_FILE>?, _ offset: TSK_OFF_T, _ address: TSK_DADDR_T, _ buffer: UnsafeMutablePointer<CChar>?,
  _ length: Int, _ flags: TSK_FS_BLOCK_FLAG_ENUM, _ context: UnsafeMutableRawPointer?
) -> TSK_WALK_RET_ENUM {
  guard let context else { return TSK_WALK_STOP }
  let check = Unmanaged<BlockCheck>.fromOpaque(context).takeUnretainedValue()
  if address != 0 && check.first == nil { check.first = UInt64(address) }
  if flags.rawValue & TSK_FS_BLOCK_FLAG_ALLOC.rawValue != 0 {
    check.reallocated = true
    return TSK_WALK_STOP
  }
  return TSK_WALK_CONT
}
