/// What a scan recorded for one file.
public enum FileStatus: String, Sendable, Codable, CaseIterable, Comparable {
  /// An image, decoded and hashed.
  case hashed
  /// Read and digested; not an image.
  case notImage = "not_image"
  /// In a known-good list: digested, not decoded.
  case knownGood = "known_good"
  /// Could not be read or decoded (the reason is recorded).
  case failed
  /// A link, device, socket or FIFO: recorded, never read.
  case special
  /// An archive, opened whole: its members are files of their own (`archive.zip!/member`).
  /// One only partly read (damaged, a limit reached) is `failed`, with the reason.
  case archive
  /// An encrypted archive member: recorded, not read.
  case encrypted
  /// A video, decoded and hashed as vPDQ does (its frames in `video_frames`).
  case video

  public static func < (a: FileStatus, b: FileStatus) -> Bool { a.rawValue < b.rawValue }
}
