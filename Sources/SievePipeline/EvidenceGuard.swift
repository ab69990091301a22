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

  /// The evidence path that `path` is, or lies below (both resolved); nil when it lies
  /// outside every one of them.
  public static func root(containing path: RawPath, evidence: [RawPath]) -> RawPath? {
    let target = resolve(path).bytes
    return evidence.first { root in isInside(target, resolve(root).bytes) }
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
