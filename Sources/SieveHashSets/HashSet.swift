import SieveCore

/// A known-hash set held in columns, so that millions of entries load without one
/// allocation per entry: one array per hash kind (with the entry each value belongs
/// to), a label table, and the ids in one byte blob.
public struct HashSet: Sendable {
  /// The set's name (reported with every match).
  public var name: String
  /// The number of entries.
  public private(set) var count = 0

  /// Whether the set carries prebuilt multi-index tables for its PDQ hashes (read from a
  /// set file written with them, or added by ``buildPDQIndex()``).
  public var hasPDQIndex: Bool { pdqIndex != nil }

  /// Builds multi-index tables for the PDQ hashes now (in parallel), so that they are
  /// written with the set and a reader need not build them. (The index reads the set's
  /// own hashes, not a copy: it is built to be written.)
  public mutating func buildPDQIndex() {
    if pdqIndex == nil, !pdqHashes.isEmpty { pdqIndex = MultiIndexHashTable(pdqHashes, copyingHashes: false) }
  }

  /// Copies a prebuilt PDQ index whose tables are used where they lie in a mapped set file
  /// into memory of the process's own, backed by huge pages where the system allows, when
  /// they are at most `limit` bytes.
  ///
  /// A loaded set uses its file's tables in place: ready at once, the pages shared with the
  /// page cache. A query reads the tables at random, nearly every read on another 4 KiB
  /// page, so nearly every read also misses the TLB; in huge pages a 1M-entry query took
  /// 78–86 µs instead of 96–134 µs (Benchmarks' IndexCompare). Worth the copy for a service
  /// that answers for hours; not for one `sieve match`. The copy is memory the process owns
  /// (the page cache's copy can be reclaimed), hence the limit.
  /// - Returns: whether the tables were copied.
  @discardableResult
  public mutating func copyPDQIndexIntoMemory(upTo limit: Int) -> Bool {
    guard let index = pdqIndex, index.tables.owner != nil, index.tables.byteCount <= limit else { return false }
    pdqIndex = index.copyingTablesIntoMemory()
    return true
  }

  /// Sorts the exact digests (MD5, SHA-1, SHA-256) by value, in place, so that a set file
  /// written next carries them sorted and a set loaded from it finds a digest by binary
  /// search with nothing built. (``BinaryHashSet/write(_:to:)`` sorts a copy of a set
  /// whose digests are not sorted yet.)
  public mutating func sortDigests() {
    for kind in Array(digests.keys) { digests[kind]!.sort() }
  }

  /// Whether every exact-digest column is sorted (``sortDigests()``).
  public var digestsAreSorted: Bool { digests.values.allSatisfy(\.isSorted) }

  /// Drops the prebuilt PDQ index (the set is then written without it).
  public mutating func removePDQIndex() { pdqIndex = nil }

  /// The prebuilt PDQ index's layout and size, for people (nil without one).
  public var pdqIndexDescription: String? {
    pdqIndex.map { "\($0.layout), \(($0.bytesPerEntry * 10).rounded() / 10) bytes an entry with the hashes" }
  }

  /// Whether the prebuilt PDQ index is exactly the one these hashes give (rebuilt and
  /// compared byte for byte); true without one. A set file's checksum already tells
  /// damage; this tells tables written for other hashes.
  public func pdqIndexIsExact() -> Bool {
    guard let index = pdqIndex else { return true }
    let rebuilt = MultiIndexHashTable(pdqHashes, layout: index.layout, copyingHashes: false)
    return rebuilt.tables.bytes.elementsEqual(index.tables.bytes)
  }

  /// PDQ hashes, the entry each belongs to, and its quality (255: unknown).
  package internal(set) var pdqHashes: [PDQHash] = []
  /// A multi-index over ``pdqHashes`` built earlier (read from a set file that carries
  /// one, or built for writing one), dropped by every append (a `didSet` on the hashes
  /// made each append copy-check the array: 5× slower imports).
  package internal(set) var pdqIndex: MultiIndexHashTable<PDQHash>?
  package internal(set) var pdqEntries: [Int32] = []
  package internal(set) var pdqQualities: [UInt8] = []
  /// Which picture each PDQ hash is of (``PDQVariant`` raw values; all 0 in a plain set).
  package internal(set) var pdqVariants: [UInt8] = []
  /// pHashes and the entry each belongs to.
  package internal(set) var phashes: [PHash] = []
  package internal(set) var phashEntries: [Int32] = []
  /// Videos' frames (vPDQ features): hash, entry, quality, frame number, time.
  package internal(set) var videoHashes: [PDQHash] = []
  package internal(set) var videoEntries: [Int32] = []
  package internal(set) var videoQualities: [UInt8] = []
  package internal(set) var videoFrames: [Int32] = []
  package internal(set) var videoTimes: [Double] = []
  /// Variants of videos' frames (an augmented set's): the frame's row in the columns above,
  /// the ``PDQVariant`` raw value, the hash.
  package internal(set) var videoVariantRows: [Int32] = []
  package internal(set) var videoVariantKinds: [UInt8] = []
  package internal(set) var videoVariantHashes: [PDQHash] = []
  /// Exact digests by kind, and the entry each belongs to.
  package internal(set) var digests: [HashKind: DigestColumn] = [:]

  /// Distinct labels; entry `i` has label `labels[Int(labelIndex[i])]`.
  package internal(set) var labels: [String] = [""]
  package internal(set) var labelIndex: [UInt32] = []
  private var labelLookup: [String: UInt32] = ["": 0]
  /// The label last looked up by its bytes, and its index (lists repeat labels in runs).
  private var lastLabel: [UInt8]?
  private var lastLabelIndex: UInt32 = 0
  /// Entry ids: entry `i`'s UTF-8 bytes are `idBytes[idOffsets[i]..<idOffsets[i + 1]]`.
  package internal(set) var idOffsets: [UInt64] = [0]
  package internal(set) var idBytes: [UInt8] = []

  /// An empty set.
  public init(name: String) {
    self.name = name
  }

  /// A set of `entries`.
  public init(name: String, entries: some Sequence<HashSetEntry>) {
    self.init(name: name)
    for entry in entries { append(entry) }
  }

  /// Adds an entry.
  public mutating func append(_ entry: HashSetEntry) {
    precondition(count < Int(Int32.max), "a hash set holds at most 2^31 - 1 entries")
    if pdqIndex != nil { pdqIndex = nil }
    let index = Int32(count)
    if let pdq = entry.pdq {
      pdqHashes.append(pdq)
      pdqEntries.append(index)
      pdqQualities.append(entry.pdqQuality.map { UInt8(clamping: $0) } ?? 255)
      pdqVariants.append(PDQVariant.original.rawValue)
    }
    for variant in entry.pdqVariants where variant.variant != .original {
      pdqHashes.append(variant.hash)
      pdqEntries.append(index)
      pdqQualities.append(variant.quality.map { UInt8(clamping: $0) } ?? 255)
      pdqVariants.append(variant.variant.rawValue)
    }
    if let phash = entry.phash {
      phashes.append(phash)
      phashEntries.append(index)
    }
    var rowOfFrame: [Int: Int32] = [:]
    for frame in entry.vpdq {
      if rowOfFrame[frame.frameNumber] == nil { rowOfFrame[frame.frameNumber] = Int32(videoHashes.count) }
      videoHashes.append(frame.hash)
      videoEntries.append(index)
      videoQualities.append(UInt8(clamping: frame.quality))
      videoFrames.append(Int32(clamping: frame.frameNumber))
      videoTimes.append(frame.timestamp)
    }
    for variant in entry.vpdqVariants {
      guard let row = rowOfFrame[variant.frameNumber], variant.variant != .original else { continue }
      videoVariantRows.append(row)
      videoVariantKinds.append(variant.variant.rawValue)
      videoVariantHashes.append(variant.hash)
    }
    for kind in [HashKind.md5, .sha1, .sha256] {
      if let digest = entry.digest(kind) { appendDigest(digest, entry: index) }
    }
    labelIndex.append(indexOfLabel(entry.label))
    idBytes.append(contentsOf: entry.id.utf8)
    idOffsets.append(UInt64(idBytes.count))
    count += 1
  }

  /// The index of `label` in ``labels``, added if new.
  package mutating func indexOfLabel(_ label: String) -> UInt32 {
    if let known = labelLookup[label] { return known }
    let index = UInt32(labels.count)
    labels.append(label)
    labelLookup[label] = index
    return index
  }

  /// The index of the label whose UTF-8 bytes are `bytes`, added if new.
  package mutating func indexOfLabel(utf8 bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
    if let lastLabel, lastLabel.count == bytes.count,
      lastLabel.withUnsafeBufferPointer({ last in (0..<bytes.count).allSatisfy { last[$0] == bytes[$0] } })
    {
      return lastLabelIndex
    }
    let index = indexOfLabel(String(decoding: bytes, as: UTF8.self))
    lastLabel = Array(bytes)
    lastLabelIndex = index
    return index
  }

  /// Adds an entry from parsed parts, without building a ``HashSetEntry`` (the text
  /// readers' fast path): the id's UTF-8 bytes are `idPrefix`, then `idNumber` in decimal
  /// if it is not nil (a line number), and the label is ``labels``[`label`].
  package mutating func append(
    idPrefix: UnsafeBufferPointer<UInt8>, idNumber: Int?, label: UInt32, pdq: PDQHash?, pdqQuality: UInt8,
    phash: PHash?, md5: ExactDigest?, sha1: ExactDigest?, sha256: ExactDigest?
  ) {
    precondition(count < Int(Int32.max), "a hash set holds at most 2^31 - 1 entries")
    if pdqIndex != nil { pdqIndex = nil }
    let index = Int32(count)
    if let pdq {
      pdqHashes.append(pdq)
      pdqEntries.append(index)
      pdqQualities.append(pdqQuality)
      pdqVariants.append(PDQVariant.original.rawValue)
    }
    if let phash {
      phashes.append(phash)
      phashEntries.append(index)
    }
    if let md5 { appendDigest(md5, entry: index) }
    if let sha1 { appendDigest(sha1, entry: index) }
    if let sha256 { appendDigest(sha256, entry: index) }
    labelIndex.append(label)
    idBytes.append(contentsOf: idPrefix)
    if var number = idNumber {
      precondition(number >= 0, "a line number is not negative")
      withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
        var n = 0
        repeat {
          digits[19 - n] = UInt8(truncatingIfNeeded: 0x30 + number % 10)
          number /= 10
          n += 1
        } while number > 0
        idBytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[(20 - n)...]))
      }
    }
    idOffsets.append(UInt64(idBytes.count))
    count += 1
  }

  /// Adds `digest` to its kind's column. (The column is found by comparing the kinds of
  /// the few there are: looking it up by hash cost more than the rest of the append, as
  /// much as the hex digits' parsing.)
  private mutating func appendDigest(_ digest: ExactDigest, entry: Int32) {
    var i = digests.startIndex
    while i != digests.endIndex {
      if digests[i].key == digest.kind {
        digests.values[i].append(digest, entry: entry)
        return
      }
      digests.formIndex(after: &i)
    }
    var column = DigestColumn(kind: digest.kind)
    column.append(digest, entry: entry)
    digests[digest.kind] = column
  }

  /// How long the set's columns are: taken before a list is read, so that only the
  /// columns its entries use are reserved (``reserveCapacity(forMore:usedSince:)``).
  package struct ColumnLengths: Sendable {
    var pdq = 0, phash = 0, entries = 0
    var digests: [HashKind: Int] = [:]
  }

  /// The columns' lengths now.
  package var columnLengths: ColumnLengths {
    ColumnLengths(pdq: pdqHashes.count, phash: phashes.count, entries: count, digests: digests.mapValues(\.count))
  }

  /// Reserves room for `more` entries beyond ``count`` in the columns that entries added
  /// since `before` use (and in the ids, at their mean length so far and a byte), so that
  /// a long list read line by line fills its columns in a few steps instead of copying
  /// them each time they double: at 10M entries that was gigabytes of fresh memory
  /// written. A column that must move grows by half its room at least, so that lists
  /// read one after another into one set still cost amortized constant time an entry.
  package mutating func reserveCapacity(forMore more: Int, usedSince before: ColumnLengths) {
    guard more > 0 else { return }
    func reserve<T>(_ column: inout [T], grewFrom length: Int) {
      guard column.count > length else { return }
      let (target, overflow) = column.count.addingReportingOverflow(more)
      if !overflow { column.grow(toHold: target) }
    }
    reserve(&pdqHashes, grewFrom: before.pdq)
    reserve(&pdqEntries, grewFrom: before.pdq)
    reserve(&pdqQualities, grewFrom: before.pdq)
    reserve(&pdqVariants, grewFrom: before.pdq)
    reserve(&phashes, grewFrom: before.phash)
    reserve(&phashEntries, grewFrom: before.phash)
    for kind in Array(digests.keys) {
      let length = before.digests[kind] ?? 0
      guard let count = digests[kind]?.count, count > length else { continue }
      let (target, overflow) = count.addingReportingOverflow(more)
      if !overflow { digests[kind]!.grow(toHold: target) }
    }
    reserve(&labelIndex, grewFrom: before.entries)
    reserve(&idOffsets, grewFrom: before.entries + 1)
    if count > before.entries, !idBytes.isEmpty {
      // Ids are up to a line long: at most a GiB of them is reserved ahead.
      let (bytes, overflow) = (idBytes.count / count + 1).multipliedReportingOverflow(by: more)
      idBytes.grow(toHold: idBytes.count + (overflow ? 1 << 30 : min(bytes, 1 << 30)))
    }
  }

  /// Entry `index`'s id.
  public func id(of index: Int) -> String {
    String(decoding: idBytes[Int(idOffsets[index])..<Int(idOffsets[index + 1])], as: UTF8.self)
  }

  /// Which picture the PDQ hash at `position` (an index of the PDQ column) is of.
  public func pdqVariant(at position: Int) -> PDQVariant {
    PDQVariant(rawValue: pdqVariants[position]) ?? .original
  }

  /// How many of the PDQ hashes are of variants (an augmented set's).
  public var pdqVariantCount: Int { pdqVariants.lazy.filter { $0 != 0 }.count }

  /// How many entries are videos (hold vPDQ features).
  public var videoCount: Int { Set(videoEntries).count }

  /// How many video frames (vPDQ features) the set holds.
  public var videoFrameCount: Int { videoHashes.count }

  /// Whether the set holds videos.
  public var hasVideos: Bool { !videoHashes.isEmpty }

  /// Each video entry's index and its features, in the order the entries were added.
  public var videos: [(entry: Int, features: [VPDQFeature])] {
    var order: [Int] = []
    var frames: [Int: [VPDQFeature]] = [:]
    for i in videoHashes.indices {
      let entry = Int(videoEntries[i])
      if frames[entry] == nil { order.append(entry) }
      frames[entry, default: []].append(
        VPDQFeature(frameNumber: Int(videoFrames[i]), hash: videoHashes[i], quality: Int(videoQualities[i]), timestamp: videoTimes[i]))
    }
    return order.map { ($0, frames[$0]!) }
  }

  /// The variants of each video entry's frames (an augmented set's), by entry.
  public var videoVariants: [Int: [VPDQVariant]] {
    var out: [Int: [VPDQVariant]] = [:]
    for i in videoVariantRows.indices {
      let row = Int(videoVariantRows[i])
      let variant = PDQVariant(rawValue: videoVariantKinds[i]) ?? .original
      out[Int(videoEntries[row]), default: []].append(
        VPDQVariant(frameNumber: Int(videoFrames[row]), variant: variant, hash: videoVariantHashes[i], quality: 100))
    }
    return out
  }

  /// How many PDQ hashes of video frames' variants the set holds.
  public var videoVariantCount: Int { videoVariantHashes.count }

  /// Whether the set holds PDQ hashes of variants (an augmented set).
  public var isAugmented: Bool { pdqVariants.contains { $0 != 0 } }

  /// Entry `index`'s label.
  public func label(of index: Int) -> String {
    labels[Int(labelIndex[index])]
  }

  /// How many values of `kind` the set holds.
  public func count(of kind: HashKind) -> Int {
    switch kind {
    case .pdq: return pdqVariants.lazy.filter { $0 == 0 }.count
    case .phash: return phashes.count
    default: return digests[kind]?.count ?? 0
    }
  }

  /// Every entry, rebuilt from the columns (for export; O(n) with one allocation each).
  public var entries: [HashSetEntry] {
    var out = (0..<count).map { HashSetEntry(id: id(of: $0), label: label(of: $0)) }
    for (i, e) in pdqEntries.enumerated() {
      let quality = pdqQualities[i] == 255 ? nil : Int(pdqQualities[i])
      let variant = pdqVariant(at: i)
      if variant == .original {
        out[Int(e)].pdq = pdqHashes[i]
        out[Int(e)].pdqQuality = quality
      } else {
        out[Int(e)].pdqVariants.append(HashSetEntry.Variant(variant: variant, hash: pdqHashes[i], quality: quality))
      }
    }
    for (i, e) in phashEntries.enumerated() { out[Int(e)].phash = phashes[i] }
    for video in videos { out[video.entry].vpdq = video.features }
    for (entry, variants) in videoVariants { out[entry].vpdqVariants = variants }
    for (kind, column) in digests {
      for (i, e) in column.entries.enumerated() {
        let digest = column[i]
        switch kind {
        case .md5: out[Int(e)].md5 = digest
        case .sha1: out[Int(e)].sha1 = digest
        default: out[Int(e)].sha256 = digest
        }
      }
    }
    return out
  }

  /// Appends every entry of `other`, in order, as if each had been appended here: the
  /// entries' indices, rows and id offsets shifted past this set's, and `other`'s labels
  /// taken into this set's table in the order `other` first used them (so that lists read
  /// in parts and joined give the same set, label table included, as one read whole).
  package mutating func append(contentsOf other: HashSet) {
    guard other.count > 0 else { return }
    precondition(count + other.count <= Int(Int32.max), "a hash set holds at most 2^31 - 1 entries")
    if pdqIndex != nil { pdqIndex = nil }
    let base = Int32(count)
    func shifted(_ column: [Int32], by offset: Int32) -> some Collection<Int32> {
      column.lazy.map { $0 + offset }
    }
    pdqHashes.append(contentsOf: other.pdqHashes)
    pdqEntries.append(contentsOf: shifted(other.pdqEntries, by: base))
    pdqQualities.append(contentsOf: other.pdqQualities)
    pdqVariants.append(contentsOf: other.pdqVariants)
    phashes.append(contentsOf: other.phashes)
    phashEntries.append(contentsOf: shifted(other.phashEntries, by: base))
    let videoBase = Int32(videoHashes.count)
    videoHashes.append(contentsOf: other.videoHashes)
    videoEntries.append(contentsOf: shifted(other.videoEntries, by: base))
    videoQualities.append(contentsOf: other.videoQualities)
    videoFrames.append(contentsOf: other.videoFrames)
    videoTimes.append(contentsOf: other.videoTimes)
    videoVariantRows.append(contentsOf: shifted(other.videoVariantRows, by: videoBase))
    videoVariantKinds.append(contentsOf: other.videoVariantKinds)
    videoVariantHashes.append(contentsOf: other.videoVariantHashes)
    for (kind, column) in other.digests where column.count > 0 {
      digests[kind, default: DigestColumn(kind: kind)].append(contentsOf: column, entriesShiftedBy: base)
    }
    // Labels in the order `other` first used them, as appending entry by entry adds them.
    var mapped = [UInt32?](repeating: nil, count: other.labels.count)
    labelIndex.grow(toHold: labelIndex.count + other.count)
    for label in other.labelIndex {
      let i = Int(label)
      if mapped[i] == nil { mapped[i] = indexOfLabel(other.labels[i]) }
      labelIndex.append(mapped[i]!)
    }
    let idBase = UInt64(idBytes.count)
    idBytes.append(contentsOf: other.idBytes)
    idOffsets.append(contentsOf: other.idOffsets.dropFirst().lazy.map { $0 + idBase })
    count += other.count
  }

  /// Empties the set, keeping its name and (with `keepingCapacity`) its columns' room:
  /// a set filled, emptied and filled again allocates nothing the second time.
  package mutating func removeAll(keepingCapacity: Bool) {
    let name = name
    guard keepingCapacity else {
      self = HashSet(name: name)
      return
    }
    pdqIndex = nil
    pdqHashes.removeAll(keepingCapacity: true)
    pdqEntries.removeAll(keepingCapacity: true)
    pdqQualities.removeAll(keepingCapacity: true)
    pdqVariants.removeAll(keepingCapacity: true)
    phashes.removeAll(keepingCapacity: true)
    phashEntries.removeAll(keepingCapacity: true)
    videoHashes.removeAll(keepingCapacity: true)
    videoEntries.removeAll(keepingCapacity: true)
    videoQualities.removeAll(keepingCapacity: true)
    videoFrames.removeAll(keepingCapacity: true)
    videoTimes.removeAll(keepingCapacity: true)
    videoVariantRows.removeAll(keepingCapacity: true)
    videoVariantKinds.removeAll(keepingCapacity: true)
    videoVariantHashes.removeAll(keepingCapacity: true)
    for kind in Array(digests.keys) { digests[kind]!.removeAll(keepingCapacity: true) }
    labels = [""]
    labelIndex.removeAll(keepingCapacity: true)
    labelLookup = ["": 0]
    lastLabel = nil
    lastLabelIndex = 0
    idOffsets.removeAll(keepingCapacity: true)
    idOffsets.append(0)
    idBytes.removeAll(keepingCapacity: true)
    count = 0
  }

  /// Rebuilds the label lookup after the columns were filled directly (binary load).
  mutating func rebuildLabelLookup() {
    labelLookup = Dictionary(labels.enumerated().map { ($0.element, UInt32($0.offset)) }, uniquingKeysWith: { a, _ in a })
    lastLabel = nil
  }

  /// Fills the columns directly (binary load); the caller guarantees consistency.
  mutating func setCount(_ n: Int) { count = n }
}
