/// Why a case could not be opened, scanned into or reported on.
public enum CaseError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The case folder is inside one of the evidence paths (writing there would modify evidence).
  case caseInsideEvidence(case: String, evidence: String)
  /// The case folder or its database could not be created or opened.
  case cannotOpen(path: String, reason: String)
  /// A resumed scan was started with different evidence, sets or parameters.
  case parametersChanged(String)
  /// A hash set or known-good list could not be read.
  case hashSet(path: String, reason: String)
  /// A file to export or report could not be read back from the evidence.
  case cannotRead(path: String, reason: String)
  /// The case database could not be written; the scan stopped (a rerun resumes).
  case cannotWrite(path: String, reason: String)
  /// A category scheme could not be read.
  case badScheme(String)
  /// A review decision was refused (an unknown file or category, a note too long).
  case badDecision(String)

  public var description: String {
    switch self {
    case .caseInsideEvidence(let folder, let evidence):
      return "the case folder \(folder) is inside the evidence \(evidence); choose a folder outside the evidence"
    case .cannotOpen(let path, let reason): return "\(path): cannot open the case database: \(reason)"
    case .hashSet(_, let reason): return reason
    case .cannotRead(let path, let reason): return "\(path): \(reason)"
    case .cannotWrite(let path, let reason): return "cannot write the case database \(path): \(reason)"
    case .badScheme(let reason): return "category scheme: \(reason)"
    case .badDecision(let reason): return "decision refused: \(reason)"
    case .parametersChanged(let detail):
      return "this case has an unfinished scan with other parameters (\(detail)); finish it with the same command, or use a new case folder"
    }
  }
}
