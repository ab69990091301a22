import SieveSystem

/// A file to read, as the walk found it: its path, whether the user named it, and which
/// file it was (device and inode), so that a file replaced between the walk and the read
/// is recorded as changed instead of being read.
public struct InputFile: Sendable, Equatable {
  /// Which file a path named when it was walked.
  public struct Identity: Sendable, Hashable {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
      self.device = device
      self.inode = inode
    }

    init(_ metadata: FileMetadata) {
      self.init(device: metadata.device, inode: metadata.inode)
    }
  }

  public var path: RawPath
  /// The user named this file (rather than a folder holding it): a file that is not an
  /// image is then a failure, not skipped, and a symbolic link named is followed.
  public var explicit: Bool
  /// The file the walk saw; nil: whatever the path names when it is read.
  public var identity: Identity?
  /// Whether the last component of ``path`` may be a symbolic link when it is opened: only
  /// for paths named by the user and links followed inside the evidence
  /// (`--follow-symlinks`). Otherwise the file is opened with `O_NOFOLLOW`.
  public var followsLink: Bool
  /// Where the file lies inside a disk image; nil for a file of a mounted folder.
  public var location: EvidenceLocation?
  /// Where the file lies inside an archive (then ``location`` is the outermost archive's).
  public var member: ArchiveMember?
  /// The file's size as its container records it (files in disk images), known before
  /// it is read.
  public var size: Int?
  /// The file's times as its container records them (files in disk images).
  public var times: FileReader.FileTimes?

  public init(
    path: RawPath, explicit: Bool, identity: Identity? = nil, followsLink: Bool? = nil, location: EvidenceLocation? = nil,
    size: Int? = nil, times: FileReader.FileTimes? = nil, member: ArchiveMember? = nil
  ) {
    self.member = member
    self.path = path
    self.explicit = explicit
    self.identity = identity
    self.followsLink = followsLink ?? explicit
    self.location = location
    self.size = size
    self.times = times
  }
}
