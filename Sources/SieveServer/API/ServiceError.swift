/// Why the service could not start or go on.
public enum ServiceError: Error, CustomStringConvertible {
  /// The first load of the hash sets failed; one message per failed file.
  case hashSetsNotLoaded([String])
  /// The keys file could not be read.
  case keys(APIKeyError)
  /// The audit log could not be opened or written.
  case auditLog(path: String, reason: String)
  /// A setting cannot work.
  case configuration(String)

  public var description: String {
    switch self {
    case .hashSetsNotLoaded(let errors): return "hash sets not loaded: " + errors.joined(separator: "; ")
    case .keys(let error): return "API keys: \(error)"
    case .auditLog(let path, let reason): return "audit log \(path): \(reason)"
    case .configuration(let reason): return reason
    }
  }
}
