/// Where the examiner's review of a file stands.
public enum ReviewState: String, Sendable, Codable, CaseIterable {
  /// Not yet looked at (or reset).
  case unreviewed
  /// The match is right: the file is the known item, or one of its copies.
  case confirmed
  /// The match is wrong: the file is not the known item (it goes on the negative list).
  case falseMatch = "false_match"

  /// For people.
  public var title: String {
    switch self {
    case .unreviewed: return "not reviewed"
    case .confirmed: return "confirmed"
    case .falseMatch: return "false match"
    }
  }
}

/// One decision an examiner takes on one or more files.
public enum ReviewAction: Sendable, Equatable {
  /// The match is right.
  case confirm
  /// The match is wrong.
  case falseMatch
  /// Back to not reviewed (the category is kept).
  case reset
  /// Sets the category (a number of the case's scheme), or clears it (nil: not yet
  /// categorised, which is never stored as 0).
  case categorise(Int?)
  /// Only a note; the state and category stay.
  case note

  /// The state and category after this action, from the current ones.
  func apply(to state: ReviewState, category: Int?) -> (ReviewState, Int?) {
    switch self {
    case .confirm: return (.confirmed, category)
    case .falseMatch: return (.falseMatch, category)
    case .reset: return (.unreviewed, category)
    case .categorise(let new): return (state, new)
    case .note: return (state, category)
    }
  }
}
