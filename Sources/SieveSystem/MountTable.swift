/// The mounts this process sees (`/proc/self/mountinfo`): which file system each mount
/// point shows, and which folder of it. One folder can appear at several paths (a bind
/// mount of an evidence folder elsewhere); mapped to the file system and the path within
/// it, both paths are the same.
public struct MountTable: Sendable {
  /// One line of `mountinfo`.
  public struct Mount: Sendable, Equatable {
    /// The file system's device, `major:minor`.
    public var device: String
    /// The folder of the file system shown at ``mountPoint`` (`/` for all of it).
    public var root: [UInt8]
    /// Where it is shown.
    public var mountPoint: [UInt8]
    /// The file system's type (`ext4`, `tmpfs`, `nfs`…; empty where the line has none).
    public var type: String = ""
  }

  /// The mounts, in the order of the file (a later mount at a path hides an earlier one).
  public let mounts: [Mount]

  /// Parses `mountinfo` text (fields separated by spaces; spaces, tabs, newlines and
  /// backslashes in paths written as `\ooo` octal escapes).
  public init(mountinfo: [UInt8]) {
    var mounts: [Mount] = []
    for line in mountinfo.split(separator: UInt8(ascii: "\n")) {
      let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
      guard fields.count >= 5 else { continue }
      // The optional fields end at a lone "-"; the type follows it.
      let dash = fields.firstIndex { $0.elementsEqual([UInt8(ascii: "-")]) }
      let type = dash.flatMap { $0 + 1 < fields.count ? String(decoding: fields[$0 + 1], as: UTF8.self) : nil } ?? ""
      mounts.append(
        Mount(
          device: String(decoding: fields[2], as: UTF8.self), root: Self.unescape(fields[3]),
          mountPoint: Self.unescape(fields[4]), type: type))
    }
    self.mounts = mounts
  }

  /// This process's mounts; nil where `/proc/self/mountinfo` cannot be read (not Linux).
  public static func current() -> MountTable? {
    guard let file = try? OpenFile("/proc/self/mountinfo") else { return nil }
    var text: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while let n = try? file.read(into: &chunk), n > 0 { text += chunk[0..<n] }
    return text.isEmpty ? nil : MountTable(mountinfo: text)
  }

  /// The file system (device) an absolute, resolved path lies on, and its path within
  /// that file system: through the deepest mount point above it (the last one mounted
  /// there).
  public func location(of path: [UInt8]) -> (device: String, path: [UInt8])? {
    guard let best = mount(holding: path) else { return nil }
    let rest = path.dropFirst(best.mountPoint.count).drop { $0 == Self.slash }
    var inside = best.root
    if !rest.isEmpty {
      if inside.last != Self.slash { inside.append(Self.slash) }
      inside += rest
    }
    return (best.device, inside)
  }

  /// The mount an absolute, resolved path lies on: the deepest mount point above it (the
  /// last one mounted there).
  public func mount(holding path: [UInt8]) -> Mount? {
    var best: Mount?
    for mount in mounts where Self.isInside(path, mount.mountPoint) {
      if best.map({ mount.mountPoint.count >= $0.mountPoint.count }) ?? true { best = mount }
    }
    return best
  }

  private static let slash = UInt8(ascii: "/")

  /// Whether `path` is `root` or below it, component-wise.
  static func isInside(_ path: [UInt8], _ root: [UInt8]) -> Bool {
    guard path.starts(with: root) else { return false }
    return path.count == root.count || root.last == slash || path[root.count] == slash
  }

  static func unescape(_ field: ArraySlice<UInt8>) -> [UInt8] {
    var out: [UInt8] = []
    var i = field.startIndex
    while i < field.endIndex {
      if field[i] == UInt8(ascii: "\\"), let value = Self.octal(field[(i + 1)..<min(i + 4, field.endIndex)])
      {
        out.append(value)
        i += 4
      } else {
        out.append(field[i])
        i += 1
      }
    }
    return out
  }

  private static func octal(_ digits: ArraySlice<UInt8>) -> UInt8? {
    guard digits.count == 3 else { return nil }
    var value = 0
    for digit in digits {
      guard (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(digit) else { return nil }
      value = value * 8 + Int(digit - UInt8(ascii: "0"))
    }
    return value <= 255 ? UInt8(value) : nil
  }
}
