import SievePipeline

/// The disk images that recorded locations name, opened again once each (read-only, as
/// the scan opened them: ``DiskImage/open(_:)-(EvidenceLocation)``), for reports and
/// exports that read files back out of them.
public struct DiskImageCache {
  private var opened: [String: DiskImage?] = [:]

  public init() {}

  /// The image `location` names; nil when it can no longer be opened.
  public mutating func image(for location: EvidenceLocation) -> DiskImage? {
    if let known = opened[location.image] { return known }
    let image = DiskImage.open(location)
    opened[location.image] = .some(image)
    return image
  }
}
