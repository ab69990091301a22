import Hummingbird

/// The request context of the review app: Hummingbird's core storage only.
public struct ReviewContext: RequestContext {
  public var coreContext: CoreRequestContextStorage

  public init(source: Source) {
    coreContext = .init(source: source)
  }
}
