/// Which matched files a list shows, and in what order.
public struct MatchFilter: Sendable, Equatable {
  /// Only matches in this set.
  public var set: String?
  /// Only matches with this label.
  public var label: String?
  /// Only matches of this kind (pdq, phash, md5, sha1, sha256, vpdq).
  public var kind: String?
  /// Only matches at most this far.
  public var maxDistance: Int?
  /// Only files in this review state.
  public var state: ReviewState?
  /// Only files in this category; `.some(nil)`: only files not categorised.
  public var category: Int??
  /// Only files whose path contains this text.
  public var pathContains: String?
  public var sort: Sort = .distance

  /// The orders a list can take.
  public enum Sort: String, Sendable, CaseIterable {
    /// Closest match first, then by path.
    case distance
    case path
    /// Largest first.
    case size
    /// Newest modification time first.
    case modified
    /// Most matches first.
    case matches
  }

  public init() {}
}

/// One page of matched files.
public struct MatchPage: Sendable {
  /// One matched file with what matched it.
  public struct Row: Sendable {
    public var fileID: Int64
    public var path: String
    public var size: Int?
    public var type: String?
    public var isVideo: Bool
    public var modified: Double?
    public var sha256: String?
    /// The closest match's distance (of those the filter keeps).
    public var bestDistance: Int
    /// The matches the filter keeps, closest first.
    public var matches: [MatchSummary]
    public var review: ReviewLedger.Review
  }

  /// One match, as a list shows it.
  public struct MatchSummary: Sendable {
    public var set: String
    public var entry: String
    public var label: String
    public var kind: String
    public var distance: Int
    public var orientation: String?
  }

  public var rows: [Row]
  /// Files the filter keeps, on every page.
  public var total: Int
  /// This page (from 1) and the page size.
  public var page: Int
  public var pageSize: Int
  public var pageCount: Int { max(1, (total + pageSize - 1) / pageSize) }
}
