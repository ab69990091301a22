import SieveImaging
import SievePipeline
import SieveSystem

/// The evidence of a run as the user named it: folders and files, read through
/// ``FolderEvidence``, and disk images, recognised by their content and read through
/// ``DiskImage``: every allocated file of their file systems, and every deleted one whose
/// metadata is still its own.
///
/// A file in an image is named by its location chain, `IMAGE!/vol2/DCIM/photo.jpg` (the
/// volume as The Sleuth Kit's `mmls` numbers it and Autopsy names it;
/// `IMAGE!/DCIM/photo.jpg` without a partition table); a deleted one ends in
/// ` [deleted, entry N]` (a file system can hold a live and a deleted file of one name).
public struct EvidenceSet: EvidenceSource {
  public let roots: [RawPath]
  /// What a person should know about the evidence: partitions without a file system TSK
  /// reads, images in which none was found, and once walked, what the walks left out.
  public var notes: [String] { openingNotes + images.flatMap(\.image.walkNotes) }
  private let openingNotes: [String]
  private let folders: FolderEvidence
  /// The images, by their resolved path's bytes (what locations name: ``EvidenceLocation/imagePath``).
  private let imagesByPath: [[UInt8]: DiskImage]
  /// The disk images among the roots, in order.
  public var images: [(root: RawPath, image: DiskImage)] {
    zip(roots, rootImages).compactMap { root, image in image.map { (root, $0) } }
  }
  /// For each root, its image (nil: a folder or plain file).
  private let rootImages: [DiskImage?]
  /// Whether pictures are carved from unallocated space.
  public let carve: Bool
  /// How archives are opened (their members read as files of their own); nil: not opened.
  public let archives: ArchiveReader.Limits?

  /// Opens the evidence at `paths` (resolved with ``EvidenceGuard/resolve(_:)`` when
  /// `resolve`): each regular file that The Sleuth Kit recognises as a disk image (an E01,
  /// or a raw or split raw image holding a partition table or file system) is read as one;
  /// split raw segments named `NAME.001`, `NAME.002`, … are taken together from the first.
  ///
  /// With `carve`, pictures are also carved from each image's unallocated space (the whole
  /// image when it holds no file system TSK reads): ``PictureCarver``. With `archives`,
  /// archives found anywhere (folders, images, other archives) are opened within those
  /// limits (``ArchiveReader``) and their members hashed as files (``expand(_:bytes:visit:)``).
  public init(
    _ paths: [RawPath], walker: FileWalker = FileWalker(), resolve: Bool = false, carve: Bool = false,
    archives: ArchiveReader.Limits? = ArchiveReader.Limits()
  ) {
    self.carve = carve
    self.archives = archives
    let roots = resolve ? paths.map(EvidenceGuard.resolve) : paths
    var images: [[UInt8]: DiskImage] = [:]
    var rootImages: [DiskImage?] = []
    var notes: [String] = []
    for root in roots {
      let opened: DiskImage?
      do {
        opened = try Self.openIfImage(root, acceptingRaw: carve)
      } catch {
        // Read as a plain file, said so: a disk image would otherwise pass as one silently.
        notes.append("\(root): not read as a disk image: \(error.reason)")
        opened = nil
      }
      guard let image = opened else {
        rootImages.append(nil)
        continue
      }
      images[root.bytes] = image
      rootImages.append(image)
      for partition in image.unreadablePartitions { notes.append("\(root): \(partition); nothing read from it") }
      if let problem = image.partitionTableProblem {
        notes.append("\(root): a disk image whose partition table cannot be read (\(problem)); nothing read from it")
      } else if image.volumes.isEmpty {
        notes.append(
          "\(root): a \(image.format) image with no file system The Sleuth Kit reads; "
            + (carve ? "carved whole" : "nothing read from it (--carve carves it)"))
      }
    }
    self.roots = roots
    openingNotes = notes
    imagesByPath = images
    self.rootImages = rootImages
    folders = FolderEvidence(roots, walker: walker)
  }

  /// A disk image at `path`, or nil when it is a folder, not a regular file, or a file
  /// that is not an image (TSK finds neither a partition table nor a file system in it,
  /// it is not an EWF file, and it has no boot-sector signature).
  ///
  /// With `acceptingRaw` (carving), any other regular file that is not a picture is
  /// opened as a raw image too: one whose file system is unknown, to be carved whole.
  ///
  /// Throws when the file might be an image but The Sleuth Kit cannot be loaded.
  static func openIfImage(_ path: RawPath, acceptingRaw: Bool = false) throws(OnDemandLibraryError) -> DiskImage? {
    guard let metadata = try? path.metadata(followLinks: true), metadata.kind == .regular, metadata.size >= 512 else { return nil }
    // A picture is a picture, whatever bytes it happens to hold at 510.
    var head = [UInt8](repeating: 0, count: 32)
    if let file = try? path.withCString({ try OpenFile(path: $0) }), let n = try? file.readFully(into: &head),
      ImageFormat.detect(head[0..<n]) != nil
    {
      return nil
    }
    try OnDemandLibrary.sleuthKit.load()
    let segments = splitSegments(path)
    guard let image = try? DiskImage(segments: segments) else { return nil }
    let recognised =
      !image.volumes.isEmpty || image.volumeSystem != nil || image.format.lowercased().contains("ewf") || image.partitionTableProblem != nil
    return recognised || acceptingRaw ? image : nil
  }

  /// `NAME.001` and the `NAME.002`, `NAME.003`, … that follow it; any other path alone.
  static func splitSegments(_ path: RawPath) -> [RawPath] {
    let bytes = path.bytes
    guard bytes.count > 4, bytes.suffix(4) == Array(".001".utf8) else { return [path] }
    let stem = Array(bytes.dropLast(3))
    var segments = [path]
    for number in 2...999 {
      let digits = Array(String(number).utf8)
      let next = RawPath(bytes: stem + Array(repeating: UInt8(ascii: "0"), count: 3 - digits.count) + digits)
      guard (try? next.metadata(followLinks: true))?.kind == .regular else { break }
      segments.append(next)
    }
    return segments
  }

  public func walk(_ visit: (FileWalker.Entry) -> Void) {
    for (root, image) in zip(roots, rootImages) {
      guard let image else {
        folders.walker.walk([root], visit: visit)
        continue
      }
      let name = root.description
      let files = image.files(image: name)
      // Display paths are unique and the same on every run (a resume finds its place by
      // them): one that repeats (a live file named like a deleted one, two names that are
      // not UTF-8 alike) gets its metadata address, then a count.
      var emitted: Set<[UInt8]> = []
      for file in files {
        let prefix = root.bytes + Array("!".utf8) + (file.location.partition.map { Array("/vol\($0)".utf8) } ?? [])
        var path = prefix + file.pathBytes
        if file.location.allocation == .deleted { path += Array(" [deleted, entry \(file.location.metadataAddress)]".utf8) }
        path = Self.unique(path, entry: file.location.metadataAddress, in: &emitted)
        var times = FileReader.FileTimes()
        (times.modified, times.accessed, times.changed, times.created) = (file.modified, file.accessed, file.changed, file.location.created)
        // The image is opened read-only: nothing in it can change.
        times.accessTimeKept = true
        var location = file.location
        location.setImage(root)
        visit(.file(InputFile(path: RawPath(bytes: path), explicit: false, location: location, size: file.size, times: times)))
      }
      if carve { carvePictures(image, root: root, files: files, visit) }
    }
  }

  /// `path`, or when `emitted` has it already, `path [entry N]`, then `path [entry N] [2]`,
  /// … : the first that is not; recorded in `emitted`.
  static func unique(_ path: [UInt8], entry: UInt64, in emitted: inout Set<[UInt8]>) -> [UInt8] {
    guard !emitted.insert(path).inserted else { return path }
    let base = path + Array(" [entry \(entry)]".utf8)
    var unique = base
    var n = 2
    while !emitted.insert(unique).inserted {
      unique = base + Array(" [\(n)]".utf8)
      n += 1
    }
    return unique
  }

  /// Carving reads unallocated space in windows of this many bytes (plus the longest
  /// picture carved, to find where the last ones end).
  static let carvingWindow = 32 << 20

  /// Emits the pictures carved from `image`'s unallocated space, named
  /// `IMAGE!/vol2/$carved/OFFSET.jpg` (the offset in the image, in bytes); the data of a
  /// deleted file found by its metadata is not carved again.
  func carvePictures(_ image: DiskImage, root: RawPath, files: [DiskImage.File], _ visit: (FileWalker.Entry) -> Void) {
    let name = root.description
    let carver = PictureCarver()
    // Where each deleted file's data starts, and its size: the same picture is not carved
    // again (a carve of another length there is not the deleted file, and is kept).
    var known: [Int: Int] = [:]
    for file in files { if let start = file.dataStart { known[start] = file.size } }
    for (volume, ranges) in image.unallocatedSpace() {
      for range in ranges {
        var start = range.lowerBound
        while start < range.upperBound {
          let searchEnd = min(range.upperBound, start + Self.carvingWindow)
          let readEnd = min(range.upperBound, searchEnd + carver.maxLength)
          guard let bytes = try? image.readRaw(offset: start, length: readEnd - start) else {
            visit(.failure(path: root, reason: "bytes \(start) to \(searchEnd) cannot be read; not carved"))
            start = searchEnd
            continue
          }
          var next = searchEnd
          let result = bytes.withUnsafeBytes { carver.carveWithinBudget($0, searchEnd: searchEnd - start) }
          if result.budgetSpent {
            visit(.failure(path: root, reason: "bytes \(start) to \(searchEnd): carving gave up (too many candidates that run long)"))
          }
          for carve in result.carves {
            let offset = start + carve.offset
            next = max(next, start + result.resumeAt)
            guard known[offset] != carve.length else { continue }
            var location = EvidenceLocation(
              image: name, partition: volume?.partition, partitionOffset: volume?.offset ?? 0, fileSystem: volume?.fileSystem ?? "",
              pathInFileSystem: "", metadataAddress: 0, allocation: .carved, carvedOffset: offset)
            location.setImage(root)
            let path = Self.carvePath(root, volume?.partition, "$carved", offset, carve.format)
            var times = FileReader.FileTimes()
            times.accessTimeKept = true
            visit(.file(InputFile(path: RawPath(bytes: path), explicit: false, location: location, size: carve.length, times: times)))
          }
          // The next window starts at a block boundary, as the carver looks at them.
          let align = carver.alignment
          start = range.lowerBound + (next - range.lowerBound + align - 1) / align * align
        }
      }
    }
    carveSlack(image, root: root, files: files, visit)
  }

  /// `IMAGE!/vol2/FOLDER/OFFSET.ext`, the image's path kept byte for byte.
  static func carvePath(_ root: RawPath, _ partition: Int?, _ folder: String, _ offset: Int, _ format: ImageFormat) -> [UInt8] {
    root.bytes + Array(("!" + (partition.map { "/vol\($0)" } ?? "") + "/\(folder)/\(offset).\(format.fileExtension)").utf8)
  }

  /// Emits the pictures carved from live files' slack (the rest of their last block or
  /// cluster, where an earlier file's bytes can remain), named
  /// `IMAGE!/vol2/$slack/OFFSET.png`, with the path of the file whose slack held it. A
  /// picture there does not start at a block boundary: every byte is looked at.
  func carveSlack(_ image: DiskImage, root: RawPath, files: [DiskImage.File], _ visit: (FileWalker.Entry) -> Void) {
    let carver = PictureCarver(alignment: 1, maxLength: DiskImage.maxSlackPerFile)
    for file in files where file.location.allocation == .allocated {
      for range in image.slack(of: file) {
        guard let bytes = try? image.readRaw(offset: range.lowerBound, length: range.count) else { continue }
        let found = bytes.withUnsafeBytes { carver.carveWithinBudget($0) }
        for carve in found.carves {
          let offset = range.lowerBound + carve.offset
          var location = file.location
          (location.allocation, location.carvedOffset, location.created) = (.carved, offset, nil)
          location.setImage(root)
          let path = Self.carvePath(root, location.partition, "$slack", offset, carve.format)
          var times = FileReader.FileTimes()
          times.accessTimeKept = true
          visit(.file(InputFile(path: RawPath(bytes: path), explicit: false, location: location, size: carve.length, times: times)))
        }
      }
    }
  }

  public func read(_ file: InputFile, maxBytes: Int, times: inout FileReader.FileTimes) throws(FileReader.Failure) -> [UInt8] {
    guard let location = file.location else { return try folders.read(file, maxBytes: maxBytes, times: &times) }
    let image = try image(of: location)
    if let recorded = file.times { times = recorded }
    let size = file.size ?? 0
    guard size <= maxBytes else { throw .tooLarge(bytes: size, limit: maxBytes) }
    do throws(DiskImage.Failure) {
      return try image.contents(of: location, size: size)
    } catch {
      throw .system(error.description)
    }
  }

  public func forEachChunk(_ file: InputFile, chunkSize: Int, _ body: (UnsafeRawBufferPointer) -> Void) throws(FileReader.Failure) {
    guard let location = file.location else { return try folders.forEachChunk(file, chunkSize: chunkSize, body) }
    let image = try image(of: location)
    do throws(DiskImage.Failure) {
      try image.read(location, size: file.size ?? 0, chunkSize: chunkSize, body)
    } catch {
      throw .system(error.description)
    }
  }

  /// Opens a file the walk found for reads where they are needed (a video over the byte
  /// limit, decoded as it lies): a folder's file read-only, or a file inside a disk image
  /// read through its file system. An archive's member cannot be (nil).
  public func openForRandomAccess(_ file: InputFile) throws(FileReader.Failure) -> RandomAccessFile? {
    guard file.member == nil else { return nil }
    guard let location = file.location else { return try folders.openForRandomAccess(file) }
    let image = try image(of: location)
    // (A size over the image's is a file system's claim, not bytes: not read.)
    guard let size = file.size, size <= image.size else { return nil }
    return RandomAccessFile(size: Int64(size)) { offset, buffer in
      try image.read(location, size: size, at: Int(offset), into: buffer)
    }
  }

  /// Opens `bytes` as an archive when they are one: each member, of nested archives too,
  /// named and located by ``MemberNaming``.
  public func expand(_ file: InputFile, bytes: [UInt8], visit: (ContainedFile) -> Void) -> ContainerOutcome? {
    guard let archives else { return nil }
    var naming = MemberNaming(file: file, containerSize: bytes.count)
    return ArchiveReader(limits: archives).read(bytes) { visit(naming.contained($0)) }
  }

  /// The same for a file too large to read whole (over the byte limit): the archive is
  /// read where libarchive needs, from its folder (checked to be the file walked, and
  /// unchanged once read) or through its disk image's file system.
  public func expandInPlace(_ file: InputFile, visit: (ContainedFile) -> Void) -> ContainerOutcome? {
    guard let archives else { return nil }
    let reader = ArchiveReader(limits: archives)
    guard let location = file.location else {
      guard let (handle, metadata) = try? FileReader.open(file) else { return nil }
      var naming = MemberNaming(file: file, containerSize: metadata.size)
      var outcome = reader.read(size: metadata.size, readAt: { offset, buffer in try handle.read(at: Int64(offset), into: buffer) }) {
        visit(naming.contained($0))
      }
      if outcome != nil, outcome?.problem == nil, (try? FileReader.checkUnchanged(handle, since: metadata)) == nil {
        outcome?.problem = "the file changed while it was read"
      }
      return outcome
    }
    // (A size over the image's is a file system's claim, not bytes: not read in place.)
    guard let image = try? image(of: location), let size = file.size, size <= image.size else { return nil }
    var naming = MemberNaming(file: file, containerSize: size)
    return reader.read(size: size, readAt: { offset, buffer in try image.read(location, size: size, at: offset, into: buffer) }) {
      visit(naming.contained($0))
    }
  }

  /// Names an archive's members `FILE!/dir/inner.zip!/photo.jpg`, located by the outer
  /// archive's location and their ``ArchiveMember`` steps, with the time the archive
  /// records; a name that repeats (a tar may hold one twice) gets ` [entry N]` (and a
  /// count, should that be taken too).
  struct MemberNaming {
    let file: InputFile
    let containerSize: Int
    var emitted: Set<[UInt8]> = []

    init(file: InputFile, containerSize: Int) {
      self.file = file
      self.containerSize = containerSize
    }

    mutating func contained(_ member: ArchiveReader.Member) -> ContainedFile {
      let entry: ArchiveReader.Entry
      let content: ContainedFile.Content
      switch member {
      case .file(let e, let bytes): (entry, content) = (e, .bytes(bytes))
      case .archive(let e, let bytes, let outcome): (entry, content) = (e, .container(bytes, outcome))
      case .encrypted(let e): (entry, content) = (e, .encrypted)
      case .failure(let e, let reason): (entry, content) = (e, .failure(reason))
      case .link(let e, let target): (entry, content) = (e, .special("a link to \(target), not followed"))
      }
      let container = file.path.bytes
      var path = container
      for name in entry.rawNames { path += Array("!/".utf8) + name }
      // The same bytes twice (a tar may hold a name twice): made unique.
      path = EvidenceSet.unique(path, entry: UInt64(entry.steps.last?.entry ?? 0), in: &emitted)
      var times = FileReader.FileTimes()
      times.modified = entry.modified
      times.accessTimeKept = true  // read from memory
      let inside = InputFile(
        path: RawPath(bytes: path), explicit: false, location: file.location, size: entry.size, times: times,
        member: ArchiveMember(containerPathLength: container.count, containerSize: containerSize, steps: entry.steps))
      return ContainedFile(file: inside, content: content)
    }
  }

  private func image(of location: EvidenceLocation) throws(FileReader.Failure) -> DiskImage {
    guard let image = imagesByPath[location.imagePath.bytes] else { throw .system("\(location.image) is not an image of this evidence") }
    return image
  }
}
