/// Why a case could not be opened, scanned into or reported on.
public enum CaseError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The case folder is inside one of the evidence paths (writing there would modify evidence).
  case caseInsideEvidence(case: String, evidence: String)
  /// The case folder or its database could not be created or opened.
  case cannotOpen(path: String, reason: String)
  /// A resumed scan was started with different evidence, sets or parameters.
  case parametersChanged(String)

  public var description: String {
    switch self {
    case .caseInsideEvidence(let folder, let evidence):
      return "the case folder \(folder) is inside the evidence \(evidence); choose a folder outside the evidence"
    case .cannotOpen(let path, let reason): return "\(path): cannot open the case database: \(reason)"
    case .parametersChanged(let detail):
      return "this case has an unfinished scan with other parameters (\(detail)); finish it with the same command, or use a new case folder"
    }
  }
}
