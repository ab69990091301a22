import Dispatch
import SieveCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One kind's exact digests in a set: packed in rows of the digest's width (16, 20 or 32
/// bytes, as printed), with the entry each belongs to.
///
/// Sorted by digest (``sort()``; set files are written sorted), a digest is found by a
/// binary search over the rows, so that a loaded set needs nothing built: a table of 10M
/// MD5s built as a dictionary on every load took 10 s. Rows appended in order keep the
/// column sorted; ``isSorted`` says whether it is.
package struct DigestColumn: Sendable {
  /// MD5, SHA-1 or SHA-256.
  package let kind: HashKind
  /// Bytes a row.
  package let width: Int
  /// The rows, one after another.
  package private(set) var bytes: [UInt8] = []
  /// The entry each row belongs to.
  package private(set) var entries: [Int32] = []
  /// Whether the rows are in order (by digest, then entry).
  package private(set) var isSorted = true

  /// An empty column.
  package init(kind: HashKind) {
    precondition(!kind.isPerceptual, "\(kind) is not an exact digest")
    self.kind = kind
    width = kind.hexDigits / 2
  }

  /// A column of rows read from a set file (whether they are sorted is found out).
  package init(kind: HashKind, bytes: [UInt8], entries: [Int32]) {
    self.init(kind: kind)
    precondition(bytes.count == entries.count * width, "\(entries.count) rows of \(width) bytes are not \(bytes.count) bytes")
    self.bytes = bytes
    self.entries = entries
    isSorted = bytes.withUnsafeBytes { raw in
      entries.withUnsafeBufferPointer { entries in
        (1..<max(entries.count, 1)).allSatisfy { Self.order(raw, $0 - 1, $0, width, entries) <= 0 }
      }
    }
  }

  /// The number of rows.
  package var count: Int { entries.count }

  /// Row `row`'s digest.
  package subscript(row: Int) -> ExactDigest {
    bytes.withUnsafeBytes { ExactDigest(kind: kind, bytes: UnsafeRawBufferPointer(rebasing: $0[(row * width)..<((row + 1) * width)])) }
  }

  /// The rows in the order of their entries (for a column built from a list, the order
  /// the list gave them in): for text export.
  package var rowsInEntryOrder: [Int] {
    var rows = Array(0..<count)
    if !zip(entries, entries.dropFirst()).allSatisfy({ $0 <= $1 }) {
      rows.sort { (entries[$0], $0) < (entries[$1], $1) }
    }
    return rows
  }

  /// Adds a row.
  package mutating func append(_ digest: ExactDigest, entry: Int32) {
    precondition(digest.kind == kind, "a \(digest.kind) digest in the \(kind) column")
    digest.withBytes { bytes.append(contentsOf: $0) }
    entries.append(entry)
    if isSorted, entries.count > 1 {
      isSorted = bytes.withUnsafeBytes { raw in
        entries.withUnsafeBufferPointer { Self.order(raw, $0.count - 2, $0.count - 1, width, $0) <= 0 }
      }
    }
  }

  /// Adds `other`'s rows, in order, their entries shifted by `offset`.
  package mutating func append(contentsOf other: DigestColumn, entriesShiftedBy offset: Int32) {
    precondition(other.kind == kind, "a \(other.kind) column appended to the \(kind) column")
    guard other.count > 0 else { return }
    let before = count
    bytes.append(contentsOf: other.bytes)
    entries.append(contentsOf: other.entries.lazy.map { $0 + offset })
    if isSorted {
      isSorted =
        other.isSorted
        && (before == 0
          || bytes.withUnsafeBytes { raw in
            entries.withUnsafeBufferPointer { Self.order(raw, before - 1, before, width, $0) <= 0 }
          })
    }
  }

  /// Removes every row (a column emptied to be filled again).
  package mutating func removeAll(keepingCapacity: Bool) {
    bytes.removeAll(keepingCapacity: keepingCapacity)
    entries.removeAll(keepingCapacity: keepingCapacity)
    isSorted = true
  }

  /// Room for `rows` rows in all, each array grown by the columns' rule (``Swift/Array/grow(toHold:)``).
  mutating func grow(toHold rows: Int) {
    entries.grow(toHold: rows)
    bytes.grow(toHold: rows * width)
  }

  /// How many rows fit without moving.
  package var capacity: Int { min(entries.capacity, bytes.capacity / width) }

  /// The rows whose digest is `digest` (empty when none), by binary search; the column
  /// must be sorted.
  package func rows(of digest: ExactDigest) -> Range<Int> {
    precondition(isSorted, "a digest is looked up in a sorted column")
    guard digest.kind == kind else { return 0..<0 }
    return digest.withBytes { key in
      bytes.withUnsafeBytes { raw in
        /// The first row not before `key` (`orEqual` false), or the first after it.
        func bound(after orEqual: Bool) -> Int {
          var (low, high) = (0, count)
          while low < high {
            let middle = (low + high) / 2
            let c = memcmp(raw.baseAddress! + middle * width, key.baseAddress!, width)
            if c < 0 || (orEqual && c == 0) { low = middle + 1 } else { high = middle }
          }
          return low
        }
        return bound(after: false)..<bound(after: true)
      }
    }
  }

  /// Puts the rows in order: by digest, and rows of one digest by entry.
  ///
  /// In place, bar one bucket's worth of scratch: the rows are first spread into 256
  /// buckets by their first byte (an American flag sort), then each bucket is sorted on
  /// its own, on every core. (Digests are near uniform; a list built to fill one bucket
  /// costs one sort of the whole column, in scratch of its size.)
  package mutating func sort() {
    guard !isSorted else { return }
    let width = width
    bytes.withUnsafeMutableBytes { raw in
      entries.withUnsafeMutableBufferPointer { entries in
        guard let base = raw.baseAddress, let owners = entries.baseAddress else { return }
        var starts = [Int](repeating: 0, count: 257)
        for row in 0..<entries.count { starts[Int(raw[row * width]) + 1] += 1 }
        for b in 0..<256 { starts[b + 1] += starts[b] }
        // Spread: the row at the next free place of bucket `b` is swapped into the next
        // free place of its own bucket (a later one: the earlier ones are full) until one
        // of `b` lands there.
        var next = Array(starts[0..<256])
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: width) { held in
          for b in 0..<256 {
            while next[b] < starts[b + 1] {
              let row = next[b]
              let target = Int(raw[row * width])
              if target == b {
                next[b] += 1
                continue
              }
              let place = next[target]
              next[target] += 1
              memcpy(held.baseAddress!, base + row * width, width)
              memcpy(base + row * width, base + place * width, width)
              memcpy(base + place * width, held.baseAddress!, width)
              entries.swapAt(row, place)
            }
          }
        }
        // Each bucket sorted on its own, on every core. (The addresses go as numbers:
        // each bucket is a range of its own, written by one thread.)
        let buckets = (0..<256).map { starts[$0]..<starts[$0 + 1] }.filter { $0.count > 1 }
        let shared = (rows: UInt(bitPattern: base), owners: UInt(bitPattern: owners))
        DispatchQueue.concurrentPerform(iterations: buckets.count) { i in
          Self.sortBucket(
            UnsafeMutableRawPointer(bitPattern: shared.rows)!, UnsafeMutablePointer(bitPattern: shared.owners)!,
            buckets[i], width)
        }
      }
    }
    isSorted = true
  }

  /// Sorts the rows `range` by copying them out and back in order.
  private static func sortBucket(_ rows: UnsafeMutableRawPointer, _ entries: UnsafeMutablePointer<Int32>, _ range: Range<Int>, _ width: Int) {
    let n = range.count
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: n * width, alignment: 8)
    let copiedEntries = UnsafeMutableBufferPointer<Int32>.allocate(capacity: n)
    defer {
      copy.deallocate()
      copiedEntries.deallocate()
    }
    memcpy(copy.baseAddress!, rows + range.lowerBound * width, n * width)
    _ = copiedEntries.initialize(from: UnsafeBufferPointer(start: entries + range.lowerBound, count: n))
    // Keys: the first 8 bytes as a big-endian number, and the row; ties compared whole.
    var keys = (0..<n).map { i -> (UInt64, Int) in
      (UInt64(bigEndian: copy.loadUnaligned(fromByteOffset: i * width, as: UInt64.self)), i)
    }
    let source = UnsafeRawBufferPointer(copy)
    let owners = UnsafeBufferPointer(copiedEntries)
    keys.sort { a, b in
      if a.0 != b.0 { return a.0 < b.0 }
      return order(source, a.1, b.1, width, owners) < 0
    }
    for (place, key) in keys.enumerated() {
      memcpy(rows + (range.lowerBound + place) * width, copy.baseAddress! + key.1 * width, width)
      entries[range.lowerBound + place] = copiedEntries[key.1]
    }
  }

  /// How row `i` of `rows` compares with row `j`: by bytes, then by entry.
  private static func order(
    _ rows: UnsafeRawBufferPointer, _ i: Int, _ j: Int, _ width: Int, _ entries: UnsafeBufferPointer<Int32>
  ) -> Int {
    let c = memcmp(rows.baseAddress! + i * width, rows.baseAddress! + j * width, width)
    if c != 0 { return Int(c) }
    return entries[i] < entries[j] ? -1 : entries[i] == entries[j] ? 0 : 1
  }
}
