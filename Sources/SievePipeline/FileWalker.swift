#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lists the regular files under the paths a user named, depth first, each folder's
/// entries in byte order of their names so that runs are repeatable.
///
/// Symbolic links inside folders are not followed (a link loop cannot trap a walk);
/// a path named explicitly is followed. With ``followSymlinks``, links inside folders are
/// followed only when their target, resolved by the file system, lies inside one of the
/// paths named (the evidence roots); a link that leads out is reported and not followed.
/// Folders that cannot be read are reported, and the walk goes on.
public struct FileWalker: Sendable {
  /// One file found, or a path that could not be walked.
  public enum Entry: Sendable, Equatable {
    /// A regular file, with what the walk saw of it.
    case file(InputFile)
    /// A path that could not be listed or is not a regular file or folder.
    case failure(path: RawPath, reason: String)
    /// A symbolic link (not followed), device, socket or FIFO inside a folder; reported
    /// only when ``reportSpecialFiles`` is on. Nothing is read from it.
    case special(path: RawPath, kind: String)
  }

  /// Whether to follow symbolic links found inside folders. Default `false`.
  public var followSymlinks: Bool
  /// Whether to report links, devices, sockets and FIFOs found in folders (for a
  /// forensic inventory). Default `false`: they are passed over.
  public var reportSpecialFiles: Bool

  public init(followSymlinks: Bool = false, reportSpecialFiles: Bool = false) {
    self.followSymlinks = followSymlinks
    self.reportSpecialFiles = reportSpecialFiles
  }

  static func kind(of mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFLNK: return "symbolic link (not followed)"
    case S_IFIFO: return "FIFO"
    case S_IFSOCK: return "socket"
    case S_IFCHR: return "character device"
    case S_IFBLK: return "block device"
    default: return "special file"
    }
  }

  /// Walks `paths` and calls `visit` for each entry, in order.
  public func walk(_ paths: [String], visit: (Entry) -> Void) {
    walk(paths.map(RawPath.init), visit: visit)
  }

  /// Walks `paths` (raw bytes, as the command line gave them) and calls `visit` for
  /// each entry, in order.
  public func walk(_ paths: [RawPath], visit: (Entry) -> Void) {
    // Folders already entered, by device and inode, across all the paths given: a folder
    // named twice (or inside another named folder) is walked once.
    var visited = Set<[UInt64]>()
    // The roots as the file system resolves them, for links followed inside folders.
    let roots = followSymlinks ? paths.compactMap(Self.realPath) : []
    for path in paths {
      var info = stat()
      guard path.withCString({ stat($0, &info) }) == 0 else {
        visit(.failure(path: path, reason: Self.errorText(errno)))
        continue
      }
      switch info.st_mode & S_IFMT {
      case S_IFREG: visit(.file(InputFile(path: path, explicit: true, identity: .init(info))))
      case S_IFDIR: walkDirectory(path, roots: roots, visited: &visited, visit: visit)
      default: visit(.failure(path: path, reason: "not a regular file or folder"))
      }
    }
  }

  /// Collects every entry of ``walk(_:visit:)``.
  public func entries(_ paths: [RawPath]) -> [Entry] {
    var out: [Entry] = []
    walk(paths) { out.append($0) }
    return out
  }

  /// Collects every entry of ``walk(_:visit:)``.
  public func entries(_ paths: [String]) -> [Entry] {
    var out: [Entry] = []
    walk(paths) { out.append($0) }
    return out
  }

  private func walkDirectory(_ root: RawPath, roots: [[UInt8]], visited: inout Set<[UInt64]>, visit: (Entry) -> Void) {
    var stack = [root]
    while let directory = stack.popLast() {
      var info = stat()
      if directory.withCString({ stat($0, &info) }) == 0 {
        guard visited.insert([UInt64(info.st_dev), UInt64(info.st_ino)]).inserted else { continue }
      }
      // Opened with O_NOATIME where permitted, so listing a folder leaves its access time.
      guard let handle = Self.openDirectory(directory) else {
        visit(.failure(path: directory, reason: Self.errorText(errno)))
        continue
      }
      var names: [[UInt8]] = []
      while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
        if name != [0x2E] && name != [0x2E, 0x2E] { names.append(name) }
      }
      closedir(handle)
      names.sort { $0.lexicographicallyPrecedes($1) }
      var subdirectories: [RawPath] = []
      for name in names {
        let path = directory.appending(name)
        var info = stat()
        guard path.withCString({ lstat($0, &info) }) == 0 else {
          visit(.failure(path: path, reason: Self.errorText(errno)))
          continue
        }
        let isLink = info.st_mode & S_IFMT == S_IFLNK
        if isLink && followSymlinks {
          guard let target = Self.realPath(path), roots.contains(where: { Self.isInside(target, $0) }) else {
            let shown = Self.realPath(path).map { RawPath(bytes: $0).description } ?? "a missing file"
            visit(.failure(path: path, reason: "symbolic link to \(shown), outside the evidence: not followed"))
            continue
          }
          guard path.withCString({ stat($0, &info) }) == 0 else {
            visit(.failure(path: path, reason: Self.errorText(errno)))
            continue
          }
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: visit(.file(InputFile(path: path, explicit: false, identity: .init(info), followsLink: isLink)))
        case S_IFDIR: subdirectories.append(path)
        default:  // links (when not followed), devices, sockets, FIFOs
          if reportSpecialFiles { visit(.special(path: path, kind: Self.kind(of: info.st_mode))) }
        }
      }
      // Depth first, in name order: push in reverse so the first name pops first.
      stack.append(contentsOf: subdirectories.reversed())
    }
  }

  static func openDirectory(_ path: RawPath) -> OpaquePointer? {
    #if os(Linux)
    let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC
    var fd = path.withCString { open($0, flags | 0o1000000 /* O_NOATIME */) }
    if fd < 0 && errno == EPERM { fd = path.withCString { open($0, flags) } }
    guard fd >= 0 else { return nil }
    guard let handle = fdopendir(fd) else {
      let saved = errno
      close(fd)
      errno = saved
      return nil
    }
    return handle
    #else
    return path.withCString { opendir($0) }
    #endif
  }

  static func realPath(_ path: RawPath) -> [UInt8]? { EvidenceGuard.realPath(path.bytes) }

  static func isInside(_ path: [UInt8], _ root: [UInt8]) -> Bool { EvidenceGuard.isInside(path, root) }

  static func errorText(_ code: Int32) -> String {
    String(cString: strerror(code))
  }
}
