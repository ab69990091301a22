import SieveCore

extension BinaryHashSet {
  /// Writes a set's file (``BinaryHashSet``'s layout) to a sink in order, in blocks of a
  /// MiB or straight from the set's columns, and keeps the payload's checksum as it goes.
  ///
  /// Every section's length comes before its bytes, so the sections are first measured by
  /// a pass that writes nothing; then nothing written is changed afterwards, and the
  /// header, which holds the payload's length and checksum, is made last (the caller puts
  /// it before the payload).
  struct Writer {
    /// Where the payload's bytes go, in order; nil when only measuring.
    private let sink: ((UnsafeRawBufferPointer) -> Void)?
    private var staged: [UInt8] = []
    /// Bytes of payload so far.
    private(set) var count = 0
    private var checksum = Checksum64.Stream()
    /// Each section's length: found when measuring, then written.
    private(set) var lengths: [UInt64]
    private var section = 0

    private static let blockSize = 1 << 20

    private init(sink: ((UnsafeRawBufferPointer) -> Void)?, lengths: [UInt64]) {
      self.sink = sink
      self.lengths = lengths
      if sink != nil { staged.reserveCapacity(Self.blockSize) }
    }

    /// Writes `set`'s payload to `sink` and returns the 64-byte header that goes before it.
    static func write(_ set: HashSet, to sink: @escaping (UnsafeRawBufferPointer) -> Void) -> [UInt8] {
      var measure = Writer(sink: nil, lengths: [])
      let (version, sections) = measure.sections(of: set)
      var writer = Writer(sink: sink, lengths: measure.lengths)
      _ = writer.sections(of: set)
      writer.flush()
      precondition(writer.count == measure.count, "a set changed while it was written")
      var head: [UInt8] = []
      head.reserveCapacity(headerSize)
      head += magic
      withUnsafeBytes(of: version.littleEndian) { head += $0 }
      withUnsafeBytes(of: sections.littleEndian) { head += $0 }
      withUnsafeBytes(of: UInt64(set.count).littleEndian) { head += $0 }
      withUnsafeBytes(of: UInt64(writer.count).littleEndian) { head += $0 }
      var sum = writer.checksum.finalize()
      head.withUnsafeBytes { bytes in
        for i in 0..<4 { sum = Checksum64.mix(sum, bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) }
      }
      withUnsafeBytes(of: sum.littleEndian) { head += $0 }
      head += [UInt8](repeating: 0, count: headerSize - head.count)
      return head
    }

    /// Writes the sections; the format version and the number of sections.
    private mutating func sections(of set: HashSet) -> (version: UInt32, count: UInt32) {
      var sections: UInt32 = 0
      section("NAME") { $0.bytes(Array(set.name.utf8)) }
      section("LABL") { w in
        w.u64(UInt64(set.labels.count))
        var offsets: [UInt64] = [0]
        var blob: [UInt8] = []
        for label in set.labels {
          blob += Array(label.utf8)
          offsets.append(UInt64(blob.count))
        }
        w.array(offsets)
        w.bytes(blob)
      }
      section("ELBL") { $0.array(set.labelIndex) }
      section("EIDS") { w in
        w.array(set.idOffsets)
        w.array(set.idBytes)
      }
      sections = 4
      let hasIndex = set.pdqIndex.map { $0.count == set.pdqHashes.count && !set.pdqHashes.isEmpty } ?? false
      if !set.pdqHashes.isEmpty {
        section("PDQ ") { w in
          w.u64(UInt64(set.pdqHashes.count))
          w.array(set.pdqEntries)
          w.pad()
          w.array(set.pdqHashes)  // a frozen struct of its four words, `w0` first: the file's words
          w.array(set.pdqQualities)
        }
        sections += 1
        if set.isAugmented {
          section("PDQV") { w in
            w.u64(UInt64(set.pdqVariants.count))
            w.array(set.pdqVariants)
          }
          sections += 1
        }
        if hasIndex, let index = set.pdqIndex {
          section("PMIX") { w in
            let layout = index.layout
            w.u64(UInt64(layout.count))
            w.u32(UInt32(layout.parts.count))
            w.u32(UInt32(layout.keyBits))
            w.u32(UInt32(layout.idBits))
            w.u32(0)
            for part in layout.parts {
              w.u32(UInt32(part.start))
              w.u32(UInt32(part.width))
            }
            w.pad()
            withExtendedLifetime(index.tables) { w.raw(index.tables.bytes) }
          }
          sections += 1
        }
      }
      if !set.phashes.isEmpty {
        section("PHSH") { w in
          w.u64(UInt64(set.phashes.count))
          w.array(set.phashEntries)
          w.pad()
          w.array(set.phashes)  // a frozen struct of its one word
        }
        sections += 1
      }
      if set.hasVideos {
        section("VPDQ") { w in
          w.u64(UInt64(set.videoHashes.count))
          w.array(set.videoEntries)
          w.pad()
          w.array(set.videoFrames)
          w.pad()
          w.array(set.videoQualities)
          w.pad()
          w.array(set.videoTimes)  // a Double's memory is its bit pattern
          w.array(set.videoHashes)
        }
        sections += 1
        if set.videoVariantCount > 0 {
          section("VPDV") { w in
            w.u64(UInt64(set.videoVariantRows.count))
            w.array(set.videoVariantRows)
            w.pad()
            w.array(set.videoVariantKinds)
            w.pad()
            w.array(set.videoVariantHashes)
          }
          sections += 1
        }
      }
      for (kind, tag) in [(HashKind.md5, "MD5 "), (.sha1, "SHA1"), (.sha256, "S256")] {
        guard let digests = set.digests[kind], digests.count > 0 else { continue }
        section(tag) { w in
          w.u64(UInt64(digests.count))
          w.array(digests.entries)
          w.pad()
          w.array(digests.bytes)  // the rows, sorted by digest
        }
        sections += 1
      }
      let version: UInt32 = hasIndex ? 5 : set.videoVariantCount > 0 ? 4 : set.hasVideos ? 3 : set.isAugmented ? 2 : 1
      return (version, sections)
    }

    /// Adds `bytes` to the payload.
    mutating func raw(_ bytes: UnsafeRawBufferPointer) {
      count += bytes.count
      guard let sink, !bytes.isEmpty else { return }
      checksum.update(bytes)
      if bytes.count >= Self.blockSize / 2 {
        flush()
        sink(bytes)  // a column: straight from where it lies, after what was staged
      } else {
        if staged.count + bytes.count > Self.blockSize { flush() }
        staged.append(contentsOf: bytes)
      }
    }

    /// Hands what is staged to the sink.
    mutating func flush() {
      guard let sink, !staged.isEmpty else { return }
      staged.withUnsafeBytes { sink($0) }
      staged.removeAll(keepingCapacity: true)
    }

    mutating func bytes(_ values: [UInt8]) { values.withUnsafeBytes { raw($0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { raw($0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { raw($0) } }
    /// Values in their memory's order (the file is little-endian, as the machine is).
    mutating func array<T>(_ values: [T]) {
      if sink == nil {
        count += values.count * MemoryLayout<T>.stride
      } else {
        values.withUnsafeBytes { raw($0) }
      }
    }
    /// Zeros up to the next multiple of 8 (the payload follows a 64-byte header).
    mutating func pad() {
      let zeros: UInt64 = 0
      withUnsafeBytes(of: zeros) { raw(UnsafeRawBufferPointer(rebasing: $0[0..<((8 - count % 8) % 8)])) }
    }

    /// A section: its tag, its length, its body, padding.
    mutating func section(_ tag: String, _ body: (inout Writer) -> Void) {
      bytes(Array(tag.utf8))
      u32(0)
      let length = sink == nil ? 0 : lengths[section]
      u64(length)
      let start = count
      body(&self)
      if sink == nil {
        lengths.append(UInt64(count - start))
      } else {
        precondition(UInt64(count - start) == length, "section \(tag) changed while it was written")
        section += 1
      }
      pad()
    }
  }
}
