/// Where a file lies when it is not a file of a mounted folder: inside a disk image, in
/// one of its partitions' file systems, as that file system records it. The chain from the
/// outside in: the image file, the partition, the path in the file system.
///
/// A file's display path (``InputFile/path``) spells the same chain:
/// `disk.E01!/vol2/DCIM/photo.jpg` (volume 2 as The Sleuth Kit's `mmls` lists it), or
/// `disk.dd!/DCIM/photo.jpg` for an image without a partition table.
public struct EvidenceLocation: Sendable, Equatable, Hashable, Codable {
  /// Whether the file system still lists the file.
  public enum Allocation: String, Sendable, Codable {
    /// A live file.
    case allocated
    /// Deleted: its name is no longer in use, its metadata still points at its data
    /// (which may since have been partly overwritten).
    case deleted
    /// Carved: found by its structure in unallocated space (or in an image without a
    /// file system), with no name or metadata; ``EvidenceLocation/carvedOffset`` says where.
    case carved
  }

  /// The disk image (its first segment for split and E01 images), resolved, as text
  /// (bytes that are not UTF-8 as `\xNN`).
  public var image: String
  /// The image's path as bytes, when they are not UTF-8 (``image`` cannot give them back).
  public var imageBytes: [UInt8]?
  /// The partition's volume address as The Sleuth Kit numbers it (the first column of
  /// `mmls`, Autopsy's `vol2`), nil for an image without a partition table.
  public var partition: Int?
  /// Where the file system starts in the image, in bytes.
  public var partitionOffset: Int
  /// The file system as The Sleuth Kit names it (`fat16`, `ntfs`, `ext4`, …).
  public var fileSystem: String
  /// The path in the file system, from its root (`/DCIM/photo.jpg`), as text.
  public var pathInFileSystem: String
  /// The metadata address: inode (ext, HFS+), MFT entry (NTFS), directory-entry address (FAT).
  public var metadataAddress: UInt64
  public var allocation: Allocation
  /// The file system's creation time, where it keeps one (seconds since 1970).
  public var created: Double?
  /// For a carved picture: its first byte's offset in the image (its length is the
  /// file's size).
  public var carvedOffset: Int?
  /// For a named stream of a file (an NTFS alternate data stream, an HFS+ resource
  /// fork): The Sleuth Kit's attribute type and id, and the stream's name.
  public var attributeType: Int?
  public var attributeID: Int?
  public var stream: String?

  public init(
    image: String, partition: Int?, partitionOffset: Int, fileSystem: String, pathInFileSystem: String,
    metadataAddress: UInt64, allocation: Allocation, created: Double? = nil, carvedOffset: Int? = nil
  ) {
    self.image = image
    self.partition = partition
    self.partitionOffset = partitionOffset
    self.fileSystem = fileSystem
    self.pathInFileSystem = pathInFileSystem
    self.metadataAddress = metadataAddress
    self.allocation = allocation
    self.created = created
    self.carvedOffset = carvedOffset
  }
}

extension EvidenceLocation {
  /// The disk image's path, byte for byte.
  public var imagePath: RawPath { imageBytes.map { RawPath(bytes: $0) } ?? RawPath(image) }

  /// Names the image at `path`: its text, and its bytes when they are not UTF-8.
  public mutating func setImage(_ path: RawPath) {
    image = path.description
    imageBytes = String(validating: path.bytes, as: UTF8.self) == nil ? path.bytes : nil
  }
}
