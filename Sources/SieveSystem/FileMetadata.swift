#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `stat(2)` says of a file.
public struct FileMetadata: Sendable, Equatable {
  /// The kind of file.
  public enum Kind: Sendable, Equatable {
    case regular, directory, symbolicLink, fifo, socket, characterDevice, blockDevice, other
  }

  public var kind: Kind
  /// Size in bytes.
  public var size: Int
  /// Which file this is: the device and inode.
  public var device: UInt64
  public var inode: UInt64
  /// Times, in seconds since 1970.
  public var modified: Double
  public var changed: Double
  public var accessed: Double

  init(_ info: stat) {
    switch info.st_mode & S_IFMT {
    case S_IFREG: kind = .regular
    case S_IFDIR: kind = .directory
    case S_IFLNK: kind = .symbolicLink
    case S_IFIFO: kind = .fifo
    case S_IFSOCK: kind = .socket
    case S_IFCHR: kind = .characterDevice
    case S_IFBLK: kind = .blockDevice
    default: kind = .other
    }
    size = Int(info.st_size)
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
    modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
    changed = Double(info.st_ctim.tv_sec) + Double(info.st_ctim.tv_nsec) / 1e9
    accessed = Double(info.st_atim.tv_sec) + Double(info.st_atim.tv_nsec) / 1e9
  }
}
