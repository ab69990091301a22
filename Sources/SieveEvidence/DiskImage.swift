import CTSK
import Crypto
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
    if let vs {
      defer { tsk_vs_close(vs) }
      let blockSize = Int(vs.pointee.block_size)
      let imageSize = Int(image.pointee.size)
      for index in 0..<vs.pointee.part_count {
        guard let part = tsk_vs_part_get(vs, index) else { continue }
        // Sizes from the table are clamped to the image (a table can claim anything).
        let start = min(Int(clamping: part.pointee.start).multipliedReportingOverflow(by: blockSize).partialValue, imageSize)
        let length = min(Int(clamping: part.pointee.len).multipliedReportingOverflow(by: blockSize).partialValue, imageSize - start)
        let flags = part.pointee.flags.rawValue
        if flags & TSK_VS_PART_FLAG_UNALLOC.rawValue != 0 {
          if length > 0 { unpartitioned.append(start..<start + length) }
          continue
        }
        guard flags & TSK_VS_PART_FLAG_ALLOC.rawValue != 0 else { continue }
        let offset = start
        let slot = Int(part.pointee.addr)
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
    unreadablePartitions = unreadable
    unpartitionedSpace = volumes.isEmpty ? [] : unpartitioned
    // A boot sector whose table TSK refuses, over a file system TSK reads at its start
    // (a FAT volume's boot sector has the same signature): not a problem.
    partitionTableProblem = volumes.isEmpty ? tableProblem : nil
    handles = Mutex(Handles(image: image, fileSystems: fileSystems))
  }

  /// The disk image at `path` (with the segments that follow a `NAME.001`), or nil when
  /// it is not one The Sleuth Kit opens and finds a partition table or file system in
  /// (or an EWF file).
  public static func open(_ path: RawPath) -> DiskImage? {
    EvidenceSet.openIfImage(path)
  }

  deinit {
    handles.withLock { handles in
      for fs in handles.fileSystems { tsk_fs_close(fs) }
      tsk_img_close(handles.image)
    }
  }

  private static func openImage(_ segments: [RawPath]) throws(Failure) -> UnsafeMutablePointer<TSK_IMG_INFO> {
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
    return md5.finalize().map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
  }

  // MARK: Files

  /// A regular file a file system of the image lists, live or deleted.
  public struct File: Sendable {
    public var location: EvidenceLocation
    /// Its size as the file system records it.
    public var size: Int
    public var modified: Double?
    public var accessed: Double?
    public var changed: Double?
  }

  /// Every regular file of every file system, allocated or deleted with its metadata
  /// still its own (a deleted name whose metadata another file now uses is left out: its
  /// data is that file's), in the order the file systems list them (the same on every
  /// run). `image` names the image in the locations.
  public func files(image: String) -> [File] {
    handles.withLock { handles in
      var files: [File] = []
      for (index, fs) in handles.fileSystems.enumerated() {
        let collector = WalkCollector(image: image, volume: volumes[index])
        let context = Unmanaged.passUnretained(collector).toOpaque()
        let flags = TSK_FS_DIR_WALK_FLAG_ENUM(
          TSK_FS_DIR_WALK_FLAG_ALLOC.rawValue | TSK_FS_DIR_WALK_FLAG_UNALLOC.rawValue | TSK_FS_DIR_WALK_FLAG_RECURSE.rawValue)
        _ = tsk_fs_dir_walk(fs, fs.pointee.root_inum, flags, walkCallback, context)
        tsk_error_reset()
        files += collector.files
      }
      return files
    }
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
        let got = buffer.withUnsafeMutableBytes { raw in
          tsk_fs_file_read(file, TSK_OFF_T(offset), raw.baseAddress?.assumingMemoryBound(to: CChar.self), want, TSK_FS_FILE_READ_FLAG_NONE)
        }
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

  /// Where the data of each deleted file found starts, as a byte offset in the image:
  /// carving does not find those again.
  public func dataStarts(of files: [File]) -> Set<Int> {
    handles.withLock { handles in
      var starts: Set<Int> = []
      for file in files where file.location.allocation == .deleted {
        guard let index = volumes.firstIndex(where: { $0.offset == file.location.partitionOffset }) else { continue }
        let fs = handles.fileSystems[index]
        guard let opened = tsk_fs_file_open_meta(fs, nil, TSK_INUM_T(file.location.metadataAddress)) else {
          tsk_error_reset()
          continue
        }
        let collector = BlockCollector(base: volumes[index].offset, blockSize: Int(fs.pointee.block_size))
        _ = tsk_fs_file_walk(opened, TSK_FS_FILE_WALK_FLAG_AONLY, firstBlockCallback, Unmanaged.passUnretained(collector).toOpaque())
        tsk_fs_file_close(opened)
        tsk_error_reset()
        if let first = collector.ranges.first { starts.insert(first.lowerBound) }
      }
      return starts
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

private func firstBlockCallback(
  _ file: UnsafeMutablePointer<TSK_FS_FILE>?, _ offset: TSK_OFF_T, _ address: TSK_DADDR_T, _ buffer: UnsafeMutablePointer<CChar>?,
  _ length: Int, _ flags: TSK_FS_BLOCK_FLAG_ENUM, _ context: UnsafeMutableRawPointer?
) -> TSK_WALK_RET_ENUM {
  guard let context, address != 0 else { return TSK_WALK_CONT }
  Unmanaged<BlockCollector>.fromOpaque(context).takeUnretainedValue().add(UInt64(address))
  return TSK_WALK_STOP
}

/// Collects the files of one file system during `tsk_fs_dir_walk`.
private final class WalkCollector {
  let image: String
  let volume: DiskImage.Volume
  var files: [DiskImage.File] = []

  init(image: String, volume: DiskImage.Volume) {
    self.image = image
    self.volume = volume
  }
}

/// The walk's callback: keeps regular files with their metadata.
private func walkCallback(
  _ file: UnsafeMutablePointer<TSK_FS_FILE>?, _ parent: UnsafePointer<CChar>?, _ context: UnsafeMutableRawPointer?
) -> TSK_WALK_RET_ENUM {
  guard let file, let context, let name = file.pointee.name, let meta = file.pointee.meta, let rawName = name.pointee.name else {
    return TSK_WALK_CONT
  }
  let collector = Unmanaged<WalkCollector>.fromOpaque(context).takeUnretainedValue()
  guard meta.pointee.type == TSK_FS_META_TYPE_REG else { return TSK_WALK_CONT }
  let nameAllocated = name.pointee.flags.rawValue & TSK_FS_NAME_FLAG_ALLOC.rawValue != 0
  let metaAllocated = meta.pointee.flags.rawValue & TSK_FS_META_FLAG_ALLOC.rawValue != 0
  let m = meta.pointee
  // A deleted name whose metadata was given to another file: its data is that file's.
  if !nameAllocated && metaAllocated { return TSK_WALK_CONT }
  // A deleted entry whose metadata no longer records any data (ext4 clears the size of a
  // deleted inode; unused NTFS records show as empty orphans): nothing to read.
  if !(nameAllocated && metaAllocated) && m.size <= 0 { return TSK_WALK_CONT }
  let leaf = String(cString: rawName)
  let folder = parent.map { String(cString: $0) } ?? ""
  // TSK lists a FAT volume label as an empty file of this name.
  if collector.volume.fileSystem.hasPrefix("fat") && leaf.hasSuffix("(Volume Label Entry)") { return TSK_WALK_CONT }
  // NTFS's own metadata files ($MFT, $LogFile, $Bitmap, … and those of $Extend) are the
  // file system, not files on it.
  if collector.volume.fileSystem.hasPrefix("ntfs") && leaf.hasPrefix("$") && (folder.isEmpty || folder == "$Extend/") {
    return TSK_WALK_CONT
  }
  let path = "/" + folder + leaf
  func time(_ seconds: time_t, _ nanoseconds: UInt32) -> Double? {
    seconds == 0 ? nil : Double(seconds) + Double(nanoseconds) / 1e9
  }
  let location = EvidenceLocation(
    image: collector.image, partition: collector.volume.partition, partitionOffset: collector.volume.offset,
    fileSystem: collector.volume.fileSystem, pathInFileSystem: path, metadataAddress: UInt64(m.addr),
    allocation: nameAllocated && metaAllocated ? .allocated : .deleted, created: time(m.crtime, m.crtime_nano))
  collector.files.append(
    DiskImage.File(
      location: location, size: Int(max(0, m.size)), modified: time(m.mtime, m.mtime_nano), accessed: time(m.atime, m.atime_nano),
      changed: time(m.ctime, m.ctime_nano)))
  return TSK_WALK_CONT
}
