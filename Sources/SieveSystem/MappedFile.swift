import CMappedFile

#if canImport(Glibc)
import Glibc
#endif

/// A regular file mapped into memory read-only, unmapped when the value goes away.
///
/// Mapping shares the page cache instead of copying the file, and a page is read only
/// when it is first used. The usual danger of a mapping, a SIGBUS that kills the process
/// when another program truncates the file in place, is guarded: a read past the new
/// end sees zeros instead, and ``faults`` counts the pages so replaced. Data read from a
/// mapping may therefore change or turn to zeros while it is used; whoever reads it must
/// treat it as untrusted (check every offset) and can ask ``isIntact``.
public final class MappedFile: @unchecked Sendable {
  /// The file's bytes as they were at mapping time (and as they are now, while intact).
  public let bytes: UnsafeRawBufferPointer

  /// Maps the whole of `file`, which must be a regular file of at least one byte.
  public init(_ file: OpenFile, size: Int) throws(SystemError) {
    guard size > 0 else { throw SystemError(code: EINVAL) }
    guard let address = sieve_map_file(file.descriptor, size) else { throw .current }
    bytes = UnsafeRawBufferPointer(start: address, count: size)
  }

  deinit {
    sieve_unmap_file(UnsafeMutableRawPointer(mutating: bytes.baseAddress!), bytes.count)
  }

  /// Pages replaced by zeros because the file shrank while it was mapped.
  public var faults: Int { Int(sieve_mapping_faults(bytes.baseAddress!)) }

  /// Whether every page read so far was the file's own.
  public var isIntact: Bool { faults == 0 }
}
