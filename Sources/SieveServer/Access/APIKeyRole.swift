/// What an API key may do. An admin key may also do everything a match key may.
public enum APIKeyRole: String, Codable, Sendable, CaseIterable {
  /// Hash and match images and hashes, list the loaded sets.
  case match
  /// Everything `match` may do, and reload the hash sets.
  case admin

  /// Whether a key of this role may call a route that needs `required`.
  public func allows(_ required: APIKeyRole) -> Bool {
    self == .admin || required == .match
  }
}
