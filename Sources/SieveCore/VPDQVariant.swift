/// The PDQ hash of a variant of one of a known video's hashed frames (an augmented video
/// set's: a crop of the frame), so that a copy of the video cropped alike still matches.
/// Tied to its frame by the frame's number.
public struct VPDQVariant: Sendable, Hashable, Codable {
  /// The number of the frame it is a variant of (``VPDQFeature/frameNumber``).
  public var frameNumber: Int
  public var variant: PDQVariant
  public var hash: PDQHash
  /// Its PDQ quality, 0–100.
  public var quality: Int

  public init(frameNumber: Int, variant: PDQVariant, hash: PDQHash, quality: Int) {
    self.frameNumber = frameNumber
    self.variant = variant
    self.hash = hash
    self.quality = quality
  }
}
