import SievePipeline
import SieveSystem

/// Reads the files a scan recorded back out of the evidence, by their location chain, for
/// the reports' thumbnails and for exports: from a folder, from inside a disk image
/// (reopened read-only, once each), from inside an archive (the outer archive read again,
/// kept for the next member, and the member extracted down its ``ArchiveMember`` steps).
public struct RecordedFileReader {
  /// Why a recorded file cannot be read back.
  public struct Failure: Error, Sendable, CustomStringConvertible {
    public var description: String
  }

  /// How far archives are expanded on the way to a member.
  public var archiveLimits: ArchiveReader.Limits
  /// Outer archives up to this size are read whole and kept for their next member; larger
  /// ones are read where they lie. Default 512 MiB.
  public var heldArchiveBytes = 512 << 20
  /// The images opened, by their path's bytes.
  private var images: [[UInt8]: DiskImage?] = [:]
  /// The last outer archive read: its path and bytes.
  private var lastContainer: (path: [UInt8], bytes: [UInt8])?

  public init(archiveLimits: ArchiveReader.Limits = .init()) {
    self.archiveLimits = archiveLimits
  }

  /// The bytes of the file recorded at `path` (its display path), lying at `location` and
  /// `member`, of `size` bytes; files (and outer archives) larger than `maxBytes` are not read.
  public mutating func contents(
    path: RawPath, location: EvidenceLocation?, member: ArchiveMember?, size: Int?, maxBytes: Int = .max
  ) throws(Failure) -> [UInt8] {
    guard let member else { return try read(path: path, location: location, size: size, maxBytes: maxBytes) }
    let container = member.containerPath(of: path)
    let reader = ArchiveReader(limits: archiveLimits)
    do {
      if let last = lastContainer, last.path == container.bytes {
        return try reader.extract(last.bytes, steps: member.steps[...])
      }
      // An outer archive of up to 512 MiB is read whole and kept for the next member;
      // a larger one is read where it lies.
      if member.containerSize <= heldArchiveBytes {
        let archive = try read(path: container, location: location, size: member.containerSize, maxBytes: heldArchiveBytes)
        lastContainer = (container.bytes, archive)
        return try reader.extract(archive, steps: member.steps[...])
      }
      return try reader.extract(size: member.containerSize, readAt: try randomAccess(container, location: location, size: member.containerSize), steps: member.steps[...])
    } catch let error as ArchiveReader.ExtractionError {
      throw Failure(description: "\(member.memberPath) in \(container): \(error)")
    } catch let error as Failure {
      throw error
    } catch {
      throw Failure(description: "\(container): \(error)")
    }
  }


  /// Reads at any offset of a file of a folder or of a disk image.
  private mutating func randomAccess(
    _ path: RawPath, location: EvidenceLocation?, size: Int
  ) throws(Failure) -> (Int, UnsafeMutableRawBufferPointer) throws -> Int {
    guard let location else {
      do {
        let (handle, _) = try FileReader.open(InputFile(path: path, explicit: false))
        return { offset, buffer in try handle.read(at: Int64(offset), into: buffer) }
      } catch {
        throw Failure(description: "\(path): \(error)")
      }
    }
    guard let image = try image(for: location) else { throw Failure(description: "\(location.image): the disk image cannot be opened") }
    return { offset, buffer in try image.read(location, size: size, at: offset, into: buffer) }
  }

  /// A file of a folder, or a file (not a member) in a disk image.
  private mutating func read(path: RawPath, location: EvidenceLocation?, size: Int?, maxBytes: Int) throws(Failure) -> [UInt8] {
    guard let location else {
      do {
        return try FileReader.read(path, maxBytes: maxBytes)
      } catch {
        throw Failure(description: "\(path): \(error)")
      }
    }
    let size = size ?? 0
    guard size <= maxBytes else { throw Failure(description: "\(path): \(size) bytes, over the limit of \(maxBytes)") }
    guard let image = try image(for: location) else { throw Failure(description: "\(location.image): the disk image cannot be opened") }
    do {
      return try image.contents(of: location, size: size)
    } catch {
      throw Failure(description: "\(path): \(error)")
    }
  }

  /// The disk image `location` names, opened once; nil when it can no longer be opened.
  /// Throws when The Sleuth Kit cannot be loaded.
  private mutating func image(for location: EvidenceLocation) throws(Failure) -> DiskImage? {
    if let known = images[location.imagePath.bytes] { return known }
    let image: DiskImage?
    do { image = try DiskImage.open(location) } catch { throw Failure(description: "\(location.image): \(error.reason)") }
    images[location.imagePath.bytes] = .some(image)
    return image
  }
}
