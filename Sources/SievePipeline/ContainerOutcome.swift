/// How a container (an archive) was opened.
public struct ContainerOutcome: Sendable, Equatable {
  /// What kind of container, for people (`zip`, `tar.gz`, `7z`, …).
  public var format: String
  /// The files found directly in it.
  public var members: Int
  /// Why not all of it was read (damaged, a limit reached); nil when it was.
  public var problem: String?

  public init(format: String, members: Int, problem: String? = nil) {
    self.format = format
    self.members = members
    self.problem = problem
  }

  /// For people: `zip archive of 3 members`, or what stopped it.
  public var description: String {
    let found = "\(members) member\(members == 1 ? "" : "s")"
    guard let problem else { return "\(format) archive of \(found)" }
    return "\(format) archive, not read to the end (\(found) found): \(problem)"
  }
}
