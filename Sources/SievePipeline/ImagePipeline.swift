import SieveHashing
import SieveImaging

/// The one way Sieve turns an image's bytes into hashes, for `hash`, `match`, `scan` and
/// the service alike: the header is read and checked against the limits, the memory the
/// decode will take (the decoder's own and the hashing buffers) is reserved from the
/// shared budget, the image is decoded and hashed, and the memory is given back.
///
/// One per worker thread: it keeps that thread's reusable hashing buffers.
public struct ImagePipeline {
  /// The decoder and hash settings.
  public var hasher: ImageHasher
  /// The memory budget shared by every worker.
  public let budget: MemoryBudget

  public init(hasher: ImageHasher, budget: MemoryBudget) {
    self.hasher = hasher
    self.budget = budget
  }

  /// The working memory one decode and hash of an image with this header needs, beyond
  /// the encoded file: the decoder's (``ImageHeader/decoderBytes``) and the hashing sink's.
  public static func estimatedBytes(for header: ImageHeader, options: HashOptions) -> Int {
    HashingSink.estimatedBytes(width: header.width, height: header.height, options: options) + header.decoderBytes
  }

  /// Hashes an encoded image.
  ///
  /// - Throws: ``ImagingError`` (not an image, over a limit, corrupt, timed out), or what
  ///   the hashing sink throws. Nothing is reserved for an image refused from its header.
  public mutating func hash(_ data: UnsafeRawBufferPointer) throws -> (hashes: ImageHashes, header: ImageHeader) {
    let header = try hasher.decoder.header(of: data)
    try hasher.decoder.limits.check(header)
    let reservation = Self.estimatedBytes(for: header, options: hasher.options)
    budget.reserve(reservation)
    defer { budget.release(reservation) }
    // (The hasher keeps its luma buffer for the next image only up to 64 MiB.)
    return try hasher.hash(data)
  }
}
