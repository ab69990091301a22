/// Where a file lies inside an archive, the last links of its location chain: the archive
/// as the evidence holds it (a file of a folder, or of a disk image), then the member's
/// way down through the archives nested in it.
///
/// The file's display path spells the chain: `photos.zip!/2019/inner.tar.gz!/a.jpg`. The
/// outermost archive's own path is the display path's first ``containerPathLength``
/// bytes, kept exactly (a folder's path may not be UTF-8).
public struct ArchiveMember: Sendable, Equatable, Hashable, Codable {
  /// One archive's member on the way down.
  public struct Step: Sendable, Equatable, Hashable, Codable {
    /// The member's path in its archive, as the archive records it (`2019/inner.tar.gz`).
    public var name: String
    /// Its position among the archive's entries (from 0, directories counted): two
    /// members of one name (a tar may hold both) stay apart.
    public var entry: Int

    public init(name: String, entry: Int) {
      self.name = name
      self.entry = entry
    }
  }

  /// The length in bytes of the outermost archive's path at the start of the display path.
  public var containerPathLength: Int
  /// The outermost archive's size in bytes (to read it again from a disk image).
  public var containerSize: Int
  /// From the outermost archive's member to this file.
  public var steps: [Step]

  public init(containerPathLength: Int, containerSize: Int, steps: [Step]) {
    self.containerPathLength = containerPathLength
    self.containerSize = containerSize
    self.steps = steps
  }

  enum CodingKeys: String, CodingKey {
    case containerPathLength = "container_path_length", containerSize = "container_size", steps
  }

  /// The chain of member names, `2019/inner.tar.gz!/a.jpg`, for people.
  public var memberPath: String { steps.map(\.name).joined(separator: "!/") }
}
