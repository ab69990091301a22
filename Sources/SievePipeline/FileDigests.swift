import Crypto
import SieveCore

/// The MD5, SHA-1 and SHA-256 digests of a file, computed from the same bytes that are
/// decoded (one read of the file), with swift-crypto.
public struct FileDigests: Sendable, Hashable {
  public let md5: ExactDigest
  public let sha1: ExactDigest
  public let sha256: ExactDigest

  /// Digests `bytes`.
  public init(of bytes: UnsafeRawBufferPointer) {
    md5 = ExactDigest(kind: .md5, bytes: Array(Insecure.MD5.hash(data: bytes)))
    sha1 = ExactDigest(kind: .sha1, bytes: Array(Insecure.SHA1.hash(data: bytes)))
    sha256 = ExactDigest(kind: .sha256, bytes: Array(SHA256.hash(data: bytes)))
  }

  /// The three digests, MD5 first.
  public var all: [ExactDigest] { [md5, sha1, sha256] }
}
