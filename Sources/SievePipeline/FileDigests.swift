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

  /// Digests a file too large to hold in memory by reading it in 4 MiB chunks
  /// (read-only, as ``FileReader`` opens files), and returns its first bytes too.
  public static func streaming(_ path: RawPath) throws(FileReader.Failure) -> (digests: FileDigests, prefix: [UInt8], size: Int) {
    try streaming(InputFile(path: path, explicit: true), from: FolderEvidence([]))
  }

  /// Digests a file of `source` too large to hold in memory, in 4 MiB chunks.
  public static func streaming(
    _ file: InputFile, from source: some EvidenceSource
  ) throws(FileReader.Failure) -> (digests: FileDigests, prefix: [UInt8], size: Int) {
    var md5 = Insecure.MD5()
    var sha1 = Insecure.SHA1()
    var sha256 = SHA256()
    var prefix: [UInt8] = []
    var size = 0
    try source.forEachChunk(file, chunkSize: 4 << 20) { chunk in
      md5.update(bufferPointer: chunk)
      sha1.update(bufferPointer: chunk)
      sha256.update(bufferPointer: chunk)
      if prefix.count < 16 { prefix += chunk.prefix(16 - prefix.count) }
      size += chunk.count
    }
    let digests = FileDigests(
      md5: ExactDigest(kind: .md5, bytes: Array(md5.finalize())),
      sha1: ExactDigest(kind: .sha1, bytes: Array(sha1.finalize())),
      sha256: ExactDigest(kind: .sha256, bytes: Array(sha256.finalize())))
    return (digests, prefix, size)
  }

  init(md5: ExactDigest, sha1: ExactDigest, sha256: ExactDigest) {
    self.md5 = md5
    self.sha1 = sha1
    self.sha256 = sha256
  }

  /// The three digests, MD5 first.
  public var all: [ExactDigest] { [md5, sha1, sha256] }
}
