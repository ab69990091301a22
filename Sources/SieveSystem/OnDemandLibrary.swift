import CLibraryLoader

/// A system library Sieve loads the first time it needs it rather than at start-up: The
/// Sleuth Kit, libewf and libarchive for evidence, libheif for HEIF and AVIF images.
/// Linked, they and what they pull in (about 40 shared objects) cost every process about
/// 25 ms before its first file; an image scan never needs them.
///
/// Their functions are called by their own names (CLibraryLoader defines each one and
/// loads the library first); call ``load()`` before the first, so that a missing library
/// is an error for the user rather than the end of the process.
public enum OnDemandLibrary: Sendable, CaseIterable {
  /// The Sleuth Kit (libtsk): disk images, volume systems, file systems.
  case sleuthKit
  /// libewf: the digests stored in E01 images.
  case ewf
  /// libarchive: zip, tar, 7z, rar, … read from memory.
  case archive
  /// libheif: HEIF/HEIC and AVIF images.
  case heif

  private var id: sieve_library_id {
    switch self {
    case .sleuthKit: SIEVE_LIBRARY_TSK
    case .ewf: SIEVE_LIBRARY_EWF
    case .archive: SIEVE_LIBRARY_ARCHIVE
    case .heif: SIEVE_LIBRARY_HEIF
    }
  }

  /// Loads the library, once per process; later calls give the first answer at once.
  /// Throws when it cannot be loaded, naming the file and the Debian package that has it.
  public func load() throws(OnDemandLibraryError) {
    if let reason = sieve_library_load(id) { throw OnDemandLibraryError(reason: String(cString: reason)) }
  }

  /// Whether this process has loaded the library (asking loads nothing).
  public var isLoaded: Bool { sieve_library_is_loaded(id) != 0 }
}

/// A library of ``OnDemandLibrary`` could not be loaded: `reason` names the missing file or
/// function and the Debian package to install.
public struct OnDemandLibraryError: Error, Equatable, Sendable, CustomStringConvertible {
  public let reason: String
  public var description: String { reason }
}
