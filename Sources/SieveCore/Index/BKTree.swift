/// A Burkhard–Keller tree over Hamming distance (Burkhard & Keller, "Some approaches
/// to best-match file searching", CACM 16(4), 1973), stored compactly.
///
/// Every node is an entry; a node's children are the entries at each exact distance
/// from it. The triangle inequality lets a radius-r query skip every child whose edge
/// distance differs from the query's distance to the node by more than r.
///
/// Layout: nodes in depth-first order in three flat arrays — the hash words, the
/// entry id, and the end of the node's subtree — so a node's children are found by
/// hopping subtree ends, and edge distances are recomputed (one popcount) instead of
/// stored. That is 40 bytes a PDQ entry and 16 a pHash entry. Entries equal to a node
/// become leaf children at distance 0, so duplicate-heavy sets build in linear time.
/// Built in one deterministic bulk pass: each bucket's first entry, in input order,
/// is its subtree's root.
///
/// Use it for small radii (≲ half the spread of distances): at PDQ's usual radius 31
/// random-like hashes make it visit almost every node, and ``LinearScanIndex`` wins.
///
/// - Complexity: build O(n log n) expected, O(n²) worst case (a chain); a query visits
///   O(n^α) nodes with α → 1 as the radius grows.
public struct BKTree<Hash: HammingHash>: HashIndex {
  @usableFromInline let words: [UInt64]
  @usableFromInline let ids: [Int32]
  @usableFromInline let subtreeEnds: [Int32]
  /// The number of entries.
  public var count: Int { ids.count }

  /// Bytes of storage per entry.
  public static var bytesPerEntry: Int { Hash.wordCount * 8 + 8 }

  /// Builds the tree; entry ids are positions in `hashes` (at most 2³¹ − 1 entries).
  @_specialize(where Hash == PDQHash)
  @_specialize(where Hash == PHash)
  public init(_ hashes: [Hash]) {
    precondition(hashes.count < Int(Int32.max), "a BK-tree holds at most 2^31 - 1 entries")
    let w = Hash.wordCount
    var words = [UInt64](repeating: 0, count: hashes.count * w)
    var ids = [Int32](repeating: 0, count: hashes.count)
    var ends = [Int32](repeating: 0, count: hashes.count)
    // Work items: a bucket of entry ids to lay out starting at a node position.
    // Depth-first with an explicit stack, so deep (chain-like) trees cannot overflow.
    var stack = [BKBuildBucket(members: (0..<Int32(hashes.count)).map { $0 }, position: 0)]
    while let bucket = stack.popLast() {
      guard let root = bucket.members.first else { continue }
      let node = bucket.position
      let rootHash = hashes[Int(root)]
      for i in 0..<w { words[node * w + i] = rootHash.word(i) }
      ids[node] = root
      ends[node] = Int32(node + bucket.members.count)
      // Partition the rest by distance to the root, keeping input order.
      var buckets = [[Int32]](repeating: [], count: Hash.bitCount + 1)
      for member in bucket.members.dropFirst() {
        buckets[rootHash.distance(to: hashes[Int(member)])].append(member)
      }
      var next = node + 1
      // Duplicates of the root: leaf children at distance 0.
      for member in buckets[0] {
        let h = hashes[Int(member)]
        for i in 0..<w { words[next * w + i] = h.word(i) }
        ids[next] = member
        ends[next] = Int32(next + 1)
        next += 1
      }
      var children: [BKBuildBucket] = []
      for d in 1...Hash.bitCount where !buckets[d].isEmpty {
        children.append(BKBuildBucket(members: buckets[d], position: next))
        next += buckets[d].count
      }
      stack.append(contentsOf: children.reversed())
    }
    self.words = words
    self.ids = ids
    self.subtreeEnds = ends
  }

  @_specialize(where Hash == PDQHash)
  @_specialize(where Hash == PHash)
  public func matches(for query: Hash, within radius: Int) -> [IndexMatch] {
    var found: [IndexMatch] = []
    visit(query, radius: { radius }, report: { found.append($0) })
    return found.sorted()
  }

  /// Walks the nodes a query with the (possibly shrinking) radius must see.
  @inline(__always)
  private func visit(_ query: Hash, radius: () -> Int, report: (IndexMatch) -> Void) {
    guard count > 0 else { return }
    let w = Hash.wordCount
    var q = [UInt64](repeating: 0, count: w)
    for i in 0..<w { q[i] = query.word(i) }
    words.withUnsafeBufferPointer { wordBuffer in
      ids.withUnsafeBufferPointer { idBuffer in
        subtreeEnds.withUnsafeBufferPointer { endBuffer in
          q.withUnsafeBufferPointer { qb in
            let base = wordBuffer.baseAddress!
            let qp = qb.baseAddress!
            @inline(__always) func distance(_ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>) -> Int {
              var d = 0
              for i in 0..<w { d &+= (a[i] ^ b[i]).nonzeroBitCount }
              return d
            }
            var stack: [Int32] = [0]
            while let top = stack.popLast() {
              let node = Int(top)
              let nodeWords = base + node * w
              let d = distance(nodeWords, qp)
              let r = radius()
              if d <= r { report(IndexMatch(id: Int(idBuffer[node]), distance: d)) }
              var child = node + 1
              let end = Int(endBuffer[node])
              while child < end {
                let edge = distance(base + child * w, nodeWords)
                if abs(edge - d) <= r { stack.append(Int32(child)) }
                child = Int(endBuffer[child])
              }
            }
          }
        }
      }
    }
  }

  @_specialize(where Hash == PDQHash)
  @_specialize(where Hash == PHash)
  public func nearest(to query: Hash, count k: Int) -> [IndexMatch] {
    guard k > 0, count > 0 else { return [] }
    // Best-first pruning: the radius shrinks to the current k-th best distance.
    var best: [IndexMatch] = []
    var bound = Hash.bitCount
    visit(query, radius: { bound }) { match in
      if best.count < k || match < best[best.count - 1] {
        let at = best.firstIndex { match < $0 } ?? best.count
        best.insert(match, at: at)
        if best.count > k { best.removeLast() }
        if best.count == k { bound = best[k - 1].distance }
      }
    }
    return best
  }
}

/// A build work item: entry ids to lay out as one subtree starting at `position`.
private struct BKBuildBucket {
  var members: [Int32]
  var position: Int
}
