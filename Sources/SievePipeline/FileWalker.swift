#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lists the regular files under the paths a user named, depth first, each folder's
/// entries in byte order of their names so that runs are repeatable.
///
/// Symbolic links inside folders are not followed (a link loop cannot trap a walk);
/// a path named explicitly is followed. Folders that cannot be read are reported, and
/// the walk goes on.
public struct FileWalker: Sendable {
  /// One file found, or a path that could not be walked.
  public enum Entry: Sendable, Equatable {
    /// A regular file. `explicit` is true when the user named it directly.
    case file(path: String, explicit: Bool)
    /// A path that could not be listed or is not a regular file or folder.
    case failure(path: String, reason: String)
  }

  /// Whether to follow symbolic links found inside folders. Default `false`.
  public var followSymlinks: Bool

  public init(followSymlinks: Bool = false) {
    self.followSymlinks = followSymlinks
  }

  /// Walks `paths` and calls `visit` for each entry, in order.
  public func walk(_ paths: [String], visit: (Entry) -> Void) {
    for path in paths {
      var info = stat()
      guard stat(path, &info) == 0 else {
        visit(.failure(path: path, reason: Self.errorText(errno)))
        continue
      }
      switch info.st_mode & S_IFMT {
      case S_IFREG: visit(.file(path: path, explicit: true))
      case S_IFDIR: walkDirectory(path, visit: visit)
      default: visit(.failure(path: path, reason: "not a regular file or folder"))
      }
    }
  }

  /// Collects every entry of ``walk(_:visit:)``.
  public func entries(_ paths: [String]) -> [Entry] {
    var out: [Entry] = []
    walk(paths) { out.append($0) }
    return out
  }

  private func walkDirectory(_ root: String, visit: (Entry) -> Void) {
    var stack = [root]
    while let directory = stack.popLast() {
      guard let handle = opendir(directory) else {
        visit(.failure(path: directory, reason: Self.errorText(errno)))
        continue
      }
      var names: [String] = []
      while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
          String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
        }
        if name != "." && name != ".." { names.append(name) }
      }
      closedir(handle)
      names.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
      var subdirectories: [String] = []
      for name in names {
        let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        var info = stat()
        let status = followSymlinks ? stat(path, &info) : lstat(path, &info)
        guard status == 0 else {
          visit(.failure(path: path, reason: Self.errorText(errno)))
          continue
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: visit(.file(path: path, explicit: false))
        case S_IFDIR: subdirectories.append(path)
        default: continue  // links (when not followed), devices, sockets, FIFOs
        }
      }
      // Depth first, in name order: push in reverse so the first name pops first.
      stack.append(contentsOf: subdirectories.reversed())
    }
  }

  static func errorText(_ code: Int32) -> String {
    String(cString: strerror(code))
  }
}
