import SieveSystem

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

  static func kind(of kind: FileMetadata.Kind) -> String {
    switch kind {
    case .symbolicLink: return "symbolic link (not followed)"
    case .fifo: return "FIFO"
    case .socket: return "socket"
    case .characterDevice: return "character device"
    case .blockDevice: return "block device"
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
      let metadata: FileMetadata
      do { metadata = try Self.metadata(path, followLinks: true) } catch {
        visit(.failure(path: path, reason: error.description))
        continue
      }
      switch metadata.kind {
      case .regular: visit(.file(InputFile(path: path, explicit: true, identity: .init(metadata))))
      case .directory: walkDirectory(path, roots: roots, visited: &visited, visit: visit)
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

  /// Walks one folder tree. Each folder is opened once, with `O_NOFOLLOW` unless it was
  /// reached through a link being followed, and checked to be the folder found when its
  /// parent was listed (device and inode); its entries are examined relative to that open
  /// folder (`fstatat`), so a folder swapped for a link while the walk goes on is reported,
  /// never entered.
  private func walkDirectory(_ root: RawPath, roots: [[UInt8]], visited: inout Set<[UInt64]>, visit: (Entry) -> Void) {
    var stack: [(path: RawPath, identity: [UInt64]?, throughLink: Bool)] = [(root, nil, true)]
    while let (directory, expected, throughLink) = stack.popLast() {
      let folder: OpenFile
      let identity: [UInt64]
      do throws(SystemError) {
        folder = try Self.openFolder(directory, followLink: throughLink)
        let metadata = try folder.metadata()
        identity = [metadata.device, metadata.inode]
      } catch {
        visit(.failure(path: directory, reason: error.isSymbolicLink ? "changed during the walk: it is now a symbolic link; not entered" : error.description))
        continue
      }
      if let expected, expected != identity {
        visit(.failure(path: directory, reason: "changed during the walk: another folder now has its name; not entered"))
        continue
      }
      guard visited.insert(identity).inserted else { continue }
      var names: [[UInt8]]
      do { names = try FileSystem.names(in: folder) } catch {
        visit(.failure(path: directory, reason: error.description))
        continue
      }
      names.sort { $0.lexicographicallyPrecedes($1) }
      var subdirectories: [(path: RawPath, identity: [UInt64]?, throughLink: Bool)] = []
      for name in names {
        let path = directory.appending(name)
        var metadata: FileMetadata
        do { metadata = try FileSystem.metadata(of: name, in: folder) } catch {
          visit(.failure(path: path, reason: error.description))
          continue
        }
        let isLink = metadata.kind == .symbolicLink
        if isLink && followSymlinks {
          guard let target = Self.realPath(path), roots.contains(where: { Self.isInside(target, $0) }) else {
            let shown = Self.realPath(path).map { RawPath(bytes: $0).description } ?? "a missing file"
            visit(.failure(path: path, reason: "symbolic link to \(shown), outside the evidence: not followed"))
            continue
          }
          do { metadata = try Self.metadata(path, followLinks: true) } catch {
            visit(.failure(path: path, reason: error.description))
            continue
          }
        }
        switch metadata.kind {
        case .regular: visit(.file(InputFile(path: path, explicit: false, identity: .init(metadata), followsLink: isLink)))
        case .directory: subdirectories.append((path, [metadata.device, metadata.inode], isLink))
        default:  // links (when not followed), devices, sockets, FIFOs
          if reportSpecialFiles { visit(.special(path: path, kind: Self.kind(of: metadata.kind))) }
        }
      }
      // Depth first, in name order: push in reverse so the first name pops first.
      stack.append(contentsOf: subdirectories.reversed())
    }
  }

  static func metadata(_ path: RawPath, followLinks: Bool) throws(SystemError) -> FileMetadata {
    try path.metadata(followLinks: followLinks)
  }

  /// Opens a folder to list it: `O_NOFOLLOW` unless it is reached through a link being
  /// followed, `O_NOATIME` where permitted (listing it leaves its access time).
  static func openFolder(_ directory: RawPath, followLink: Bool) throws(SystemError) -> OpenFile {
    func open(_ options: OpenFile.Options) throws(SystemError) -> OpenFile {
      try directory.withCString { raw in Result { () throws(SystemError) in try OpenFile(path: raw, options: options) } }.get()
    }
    let options: OpenFile.Options = followLink ? [.directory] : [.directory, .noFollow]
    do {
      return try open(options.union(.noAccessTime))
    } catch where error.isNotPermitted {
      return try open(options)
    }
  }

  static func realPath(_ path: RawPath) -> [UInt8]? { EvidenceGuard.realPath(path.bytes) }

  static func isInside(_ path: [UInt8], _ root: [UInt8]) -> Bool { EvidenceGuard.isInside(path, root) }

}
