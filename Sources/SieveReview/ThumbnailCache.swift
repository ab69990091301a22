import SieveCore

/// Thumbnails made this session, in memory only (never on disk), within a byte budget:
/// the oldest are dropped first.
final class ThumbnailCache: Sendable {
  struct Key: Hashable, Sendable {
    var file: Int64
    var side: Int
    var greyscale: Bool
  }

  private struct State {
    var items: [Key: [UInt8]] = [:]
    var order: [Key] = []
    var bytes = 0
  }

  private let state = Locked(State())
  let capacityBytes: Int

  init(capacityBytes: Int) {
    self.capacityBytes = capacityBytes
  }

  func get(_ key: Key) -> [UInt8]? { state.withLock { $0.items[key] } }

  func put(_ key: Key, _ value: [UInt8]) {
    guard value.count <= capacityBytes else { return }
    state.withLock { s in
      if s.items[key] != nil { return }
      s.items[key] = value
      s.order.append(key)
      s.bytes += value.count
      while s.bytes > capacityBytes, !s.order.isEmpty {
        let old = s.order.removeFirst()
        s.bytes -= s.items.removeValue(forKey: old)?.count ?? 0
      }
    }
  }
}
