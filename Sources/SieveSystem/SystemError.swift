#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: its `errno`, described as the system describes it.
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The `errno` value.
  public let code: Int32

  public init(code: Int32) {
    self.code = code
  }

  /// The error of the system call that just failed.
  public static var current: SystemError { SystemError(code: errno) }

  /// `strerror`'s text, e.g. "No such file or directory".
  public var description: String { String(cString: strerror(code)) }

  /// The calling user may not do this (`EPERM`), e.g. ask for `O_NOATIME` on another's file.
  public var isNotPermitted: Bool { code == EPERM }
  /// The last component is a symbolic link and `noFollow` was asked for (`ELOOP`).
  public var isSymbolicLink: Bool { code == ELOOP }
}
