import SieveSystem


/// Decides whether a path lies inside the evidence, on paths as the file system resolves
/// them: symbolic links and `..` are resolved by `realpath(3)`, never textually, so that
/// `cases/link/../c1` with `link → evidence/sub` is seen to be `evidence/c1`.
///
/// Sieve writes nothing inside the evidence: the case folder and report files are checked
/// here before anything is created.
public enum EvidenceGuard {
  /// `path` made absolute, with every link, `.` and `..` of the part that exists resolved
  /// by the file system, then the part that does not exist yet (which holds no links)
  /// applied to it, as `mkdir -p` would create it.
  public static func resolve(_ path: RawPath) -> RawPath {
    var current = absolute(path.bytes)
    // A name that exists only after `..` is applied (a/missing/../b) may itself be a
    // link: resolve again until nothing changes.
    for _ in 0..<8 {
      let next = resolveOnce(current)
      if next == current { break }
      current = next
    }
    return RawPath(bytes: current)
  }

  /// The evidence path that `path` is, or lies below; nil when it lies outside every one
  /// of them.
  ///
  /// Paths are compared once resolved. But one folder can have several paths that no
  /// resolving makes equal, so then: `path` and each of its existing parents are compared
  /// with the evidence roots by identity (device and inode: the evidence bind-mounted
  /// elsewhere, `Evidence` and `evidence` on a case-insensitive file system); and where the
  /// system lists its mounts (Linux), both are mapped to their file system and the path
  /// within it (a folder inside the evidence bind-mounted elsewhere).
  public static func root(containing path: RawPath, evidence: [RawPath]) -> RawPath? {
    let target = resolve(path).bytes
    if let root = evidence.first(where: { root in isInside(target, resolve(root).bytes) }) { return root }
    if let mounts = MountTable.current(), let place = mounts.location(of: target) {
      let match = evidence.first { root in
        guard let rootPlace = mounts.location(of: resolve(root).bytes) else { return false }
        return rootPlace.device == place.device && isInside(place.path, rootPlace.path)
      }
      if let match { return match }
    }
    let identities = evidence.compactMap { root in identity(resolve(root).bytes).map { (root, $0) } }
    guard !identities.isEmpty else { return nil }
    var current = target
    while true {
      if let id = identity(current), let match = identities.first(where: { $0.1 == id }) { return match.0 }
      guard let cut = current.lastIndex(of: slash), current.count > 1 else { return nil }
      current = cut == 0 ? [slash] : Array(current[..<cut])
    }
  }

  /// The device and inode of what `bytes` names (links followed); nil when it does not exist.
  private static func identity(_ bytes: [UInt8]) -> [UInt64]? {
    guard let metadata = try? RawPath(bytes: bytes).metadata(followLinks: true) else { return nil }
    return [metadata.device, metadata.inode]
  }

  /// Whether `path` is `root` or below it, component-wise (both already resolved).
  static func isInside(_ path: [UInt8], _ root: [UInt8]) -> Bool {
    guard path.starts(with: root) else { return false }
    return path.count == root.count || root.last == slash || path[root.count] == slash
  }

  private static let slash = UInt8(ascii: "/")

  private static func absolute(_ bytes: [UInt8]) -> [UInt8] {
    guard bytes.first != slash else { return bytes }
    guard let cwd = FileSystem.currentDirectory() else { return [slash] + bytes }
    return cwd + [slash] + bytes
  }

  private static func resolveOnce(_ path: [UInt8]) -> [UInt8] {
    let components = path.split(separator: slash, omittingEmptySubsequences: true).map(Array.init)
    // The longest prefix that exists, resolved by the file system.
    for cut in stride(from: components.count, through: 0, by: -1) {
      let prefix = [slash] + Array(components[0..<cut].joined(separator: [slash]))
      guard let real = realPath(prefix) else { continue }
      var parts = real.split(separator: slash, omittingEmptySubsequences: true).map(Array.init)
      for component in components[cut...] {
        if component == [UInt8(ascii: ".")] { continue }
        if component == [UInt8(ascii: "."), UInt8(ascii: ".")] {
          if !parts.isEmpty { parts.removeLast() }
          continue
        }
        parts.append(component)
      }
      return [slash] + Array(parts.joined(separator: [slash]))
    }
    return path
  }

  /// `realpath(3)` of `bytes`: every link, `.` and `..` resolved; nil when it does not exist.
  static func realPath(_ bytes: [UInt8]) -> [UInt8]? {
    RawPath(bytes: bytes).withCString { FileSystem.realPath($0) }
  }
}
