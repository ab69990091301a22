import SieveCore

/// Why a hash set could not be read or written. Every case names the file, and a line
/// number where there is one.
public enum HashSetError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A line could not be read as the format says.
  case badLine(file: String, line: Int, reason: String)
  /// Several bad lines (the first few are listed).
  case badLines(file: String, count: Int, first: [String])
  /// The format could not be recognised from the first lines.
  case unknownFormat(file: String, reason: String)
  /// The hash kind is ambiguous (64 hex digits: PDQ or SHA-256) or unknown.
  case needsType(file: String, reason: String)
  /// A binary set file is damaged, truncated or from an unknown version.
  case badBinary(file: String, reason: String)
  /// The file could not be read or written.
  case io(file: String, reason: String)

  public var description: String {
    switch self {
    case .badLine(let file, let line, let reason): return "\(file):\(line): \(reason)"
    case .badLines(let file, let count, let first):
      return "\(file): \(count) bad line\(count == 1 ? "" : "s"):\n  " + first.joined(separator: "\n  ")
    case .unknownFormat(let file, let reason): return "\(file): cannot tell the format: \(reason) (use --format)"
    case .needsType(let file, let reason): return "\(file): \(reason) (use --type)"
    case .badBinary(let file, let reason): return "\(file): not a valid Sieve hash set: \(reason)"
    case .io(let file, let reason): return "\(file): \(reason)"
    }
  }
}
