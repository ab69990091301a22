import Dispatch
import SieveCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The text readers' fast path (``FastLineParser``) on every core: a block of complete
/// lines is cut at line ends into one part a core, each part is parsed by a copy of the
/// parser into a set of its own, and the parts are joined onto the set in order
/// (``HashSet/append(contentsOf:)``).
///
/// Joining is the one step that must go in order, so it overlaps the parsing: the parts of
/// a block are joined while the next block's are parsed (``parse(_:after:with:into:report:)``
/// leaves its parts to be joined, ``flush(into:report:)`` joins them).
///
/// A part stops at the first line its parser declines or that is longer than
/// ``LineReader/maxLineLength``: that part is joined up to the line, the parts after it
/// are dropped, and the line is left to the line-by-line path. So the set (its entries,
/// ids, label table) and the report are exactly what one parser reading line by line
/// gives; the tests compare them.
final class ParallelLineParser {
  /// One core's part of a block, and the set it parses into (emptied, not freed, between
  /// blocks: its columns are reused).
  private final class Part: @unchecked Sendable {
    var parser: FastLineParser?
    var set = HashSet(name: "")
    var report = TextHashSetReader.Report(format: .plain)
    /// The part's bytes in the block, and the number of the line before its first.
    var range = 0..<0
    var numberBefore = 0
    /// The line ends in ``range``.
    var lineEnds = 0
    /// What the part took: bytes, lines, and whether it took all of its lines.
    var bytes = 0
    var lines = 0
    var complete = false
  }

  /// Two banks of parts: one parsed into while the other's sets wait to be joined.
  private let banks: [[Part]]
  private var bank = 0
  /// The parts parsed and not joined yet (of the other bank).
  private var unjoined: [Part] = []

  /// A parser of blocks cut into `parts` parts (at least one).
  init(parts: Int) {
    banks = (0..<2).map { _ in (0..<max(parts, 1)).map { _ in Part() } }
  }

  /// Parses the complete lines `block` (it ends with a line end), whose first line is
  /// line `numberBefore + 1`, with copies of `parser`; meanwhile joins the parts parsed
  /// before onto `set` (counting their entries in `report`). Returns the bytes and lines
  /// taken: a whole number of lines from the start, up to the first line a part declined.
  /// What they gave is joined by the next call or by ``flush(into:report:)``, which must
  /// come before anything else is added to `set`.
  func parse(
    _ block: UnsafeBufferPointer<UInt8>, after numberBefore: Int, with parser: FastLineParser, into set: inout HashSet,
    report: inout TextHashSetReader.Report
  ) -> (bytes: Int, lines: Int) {
    guard let base = block.baseAddress, !block.isEmpty else { return (0, 0) }
    let bankParts = banks[bank]
    bank ^= 1
    // Cut at the first line end at or after each equal share.
    var cuts = [0]
    for k in 1..<bankParts.count {
      var at = max(block.count * k / bankParts.count, cuts.last!)
      if at > 0, at < block.count, let hit = memchr(base + at - 1, 0x0A, block.count - at + 1) {
        at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self)) + 1
      } else {
        at = block.count
      }
      cuts.append(at)
    }
    cuts.append(block.count)
    let parts = bankParts.indices.filter { cuts[$0] < cuts[$0 + 1] }.map { i in
      let part = bankParts[i]
      part.range = cuts[i]..<cuts[i + 1]
      part.parser = parser.forAnotherSet
      part.set.removeAll(keepingCapacity: true)
      part.report = TextHashSetReader.Report(format: report.format)
      (part.lineEnds, part.bytes, part.lines, part.complete) = (0, 0, 0, false)
      return part
    }
    // (The block's address goes as a number: each part reads its own range of it.)
    let address = UInt(bitPattern: base)
    // Each part's first line number: the lines of the parts before it, counted first.
    // (The last part's are not needed.)
    DispatchQueue.concurrentPerform(iterations: parts.count - 1) { i in
      parts[i].lineEnds = Self.countLineEnds(UnsafePointer(bitPattern: address)!, parts[i].range)
    }
    var before = numberBefore
    for part in parts {
      part.numberBefore = before
      before += part.lineEnds
    }
    // The parts parsed on other threads while this one joins the parts before.
    let parsed = DispatchGroup()
    for part in parts {
      DispatchQueue.global().async(group: parsed) { Self.parse(part, UnsafePointer(bitPattern: address)!) }
    }
    flush(into: &set, report: &report)
    parsed.wait()
    var taken = (bytes: 0, lines: 0)
    for part in parts {
      unjoined.append(part)
      taken.bytes += part.bytes
      taken.lines += part.lines
      guard part.complete else { break }
    }
    return taken
  }

  /// Joins the parts parsed and not joined yet onto `set`, in order, counting their
  /// entries in `report`.
  func flush(into set: inout HashSet, report: inout TextHashSetReader.Report) {
    for part in unjoined {
      set.append(contentsOf: part.set)
      report.entries += part.report.entries
    }
    unjoined.removeAll(keepingCapacity: true)
  }

  /// Parses `part`'s lines of the block at `base` until one is declined. (The part's state
  /// is moved into locals for the loop: a class's properties, each accessed in place
  /// line after line, cost an exclusivity check an access. vPDQ files, the one format
  /// whose lines add to a video, are never read here: `video` stays empty.)
  private static func parse(_ part: Part, _ base: UnsafePointer<UInt8>) {
    var parser = part.parser!
    var set = HashSet(name: "")
    var report = TextHashSetReader.Report(format: .plain)
    var video = VideoLines(path: "", label: "")
    swap(&set, &part.set)
    swap(&report, &part.report)
    defer {
      swap(&set, &part.set)
      swap(&report, &part.report)
    }
    var at = part.range.lowerBound
    var number = part.numberBefore
    let end = part.range.upperBound
    while at < end, let hit = memchr(base + at, 0x0A, end - at) {
      let newline = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
      var lineEnd = newline
      guard lineEnd - at <= LineReader.maxLineLength else { break }
      if lineEnd > at && base[lineEnd - 1] == 0x0D { lineEnd -= 1 }
      let line = UnsafeBufferPointer(start: base + at, count: lineEnd - at)
      guard parser.parse(line, number: number + 1, into: &set, report: &report, video: &video) else { break }
      number += 1
      at = newline + 1
    }
    part.bytes = at - part.range.lowerBound
    part.lines = number - part.numberBefore
    part.complete = at == end
  }

  /// The number of line ends in `base[range]`, sixteen bytes at a time.
  static func countLineEnds(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) -> Int {
    var count = 0
    var i = range.lowerBound
    let raw = UnsafeRawPointer(base)
    let newline = SIMD16<UInt8>(repeating: 0x0A)
    while range.upperBound - i >= 16 {
      // Up to 255 rounds counted in each byte lane (a lane that matches is all ones:
      // subtracting it adds one), then added up.
      var lanes = SIMD16<UInt8>()
      var rounds = 0
      while rounds < 255 && range.upperBound - i >= 16 {
        let v = raw.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
        lanes &-= unsafeBitCast(v .== newline, to: SIMD16<UInt8>.self)
        rounds += 1
        i += 16
      }
      count += Int(SIMD16<UInt16>(truncatingIfNeeded: lanes).wrappedSum())
    }
    while i < range.upperBound {
      if base[i] == 0x0A { count += 1 }
      i += 1
    }
    return count
  }

}
