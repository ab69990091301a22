/// The pictures a HEIF or AVIF file really codes, read from its boxes and streams without
/// decoding anything: the sizes in the H.265 sequence parameter sets and AV1 sequence
/// headers of its configuration boxes (`hvcC`, `av1C`) and of its coded items' data, and
/// the canvases of its grid and overlay items. That is what libheif and its decoders
/// allocate, whatever the container's `ispe` boxes declare (all that libheif's own size
/// limit looks at): a file can declare 2048×2048 around a stream that codes 16384×8704.
struct HEIFCodedPictures {
  /// A picture's width and height in pixels.
  struct Size: Equatable, Sendable, CustomStringConvertible {
    var width: Int
    var height: Int
    /// width × height, saturating.
    var pixels: Int { ImageHeader.bytes(width, height) }
    var description: String { "\(width)×\(height)" }
  }

  /// The most NAL units and OBUs read in one file. A real HEIF or AVIF holds a few per
  /// coded item (an iPhone photo has 50 items); a file with more is refused rather than
  /// walked without end.
  static let maxCodedUnits = 1 << 20

  /// The largest coded picture or canvas; nil when the file has none that parses.
  private(set) var largest: Size?
  /// The pixels decoding costs (saturating): all coded items together, each at the
  /// largest size its configuration and data declare, or what decoding the primary item
  /// costs when that is more (a grid that uses one tile many times, grids of grids).
  private(set) var totalPixels = 0

  /// Derived items (grids, overlays) may be nested this deep.
  static let maxDerivationDepth = 8

  /// Reads the boxes of `data`. Throws ``ImagingError/corrupt(_:)`` only for a file with
  /// more than ``maxCodedUnits`` units, items that share their bytes, an image item
  /// without data or an AV1 item without a frame; anything else that does not parse is left to libheif, which refuses it
  /// with its own reason.
  init(_ data: UnsafeRawBufferPointer) throws(ImagingError) {
    var reader = Reader(data: data)
    reader.boxes(0, data.count, depth: 0)
    try reader.readItems()
    try reader.checkDerivations()
    for size in reader.sizes where largest.map({ $0.pixels < size.pixels }) ?? true { largest = size }
    totalPixels = reader.totalPixels
  }
}

/// The box walk behind ``HEIFCodedPictures``.
private struct Reader {
  typealias Size = HEIFCodedPictures.Size

  /// Where an item's bytes are: in the file or in the `idat` box.
  struct Extent {
    var inIdat: Bool
    var offset: Int
    var length: Int
  }

  let data: UnsafeRawBufferPointer
  /// Item id → four-character type (from `infe` boxes).
  var itemTypes: [UInt32: UInt32] = [:]
  /// Item id → extents (from `iloc`); items built from other items are left out.
  var itemExtents: [UInt32: [Extent]] = [:]
  /// Item id → 1-based property indexes (from `ipma`).
  var itemProperties: [UInt32: [Int]] = [:]
  /// The picture size of each property of `ipco` that configures a decoder, by 1-based index.
  var configurationSizes: [Int: Size] = [:]
  var idat: Range<Int>?
  /// The primary item (`pitm`).
  var primary: UInt32?
  /// Item id → the items it is derived from, in order (`iref` `dimg`).
  var derivedFrom: [UInt32: [UInt32]] = [:]
  /// Item id → its coded picture's pixels, or a derived item's canvas pixels.
  var itemPixels: [UInt32: Int] = [:]
  /// Every size found: configuration boxes, item streams, canvases.
  var sizes: [Size] = []
  var totalPixels = 0
  /// NAL units and OBUs read so far.
  var units = 0
  /// Bytes copied to join items of several extents.
  var copiedBytes = 0

  init(data: UnsafeRawBufferPointer) { self.data = data }

  // MARK: Boxes

  mutating func boxes(_ start: Int, _ end: Int, depth: Int) {
    guard depth < 8 else { return }
    var offset = start
    while offset + 8 <= end {
      var size = Int(be(offset, 4))
      let type = UInt32(be(offset + 4, 4))
      var header = 8
      if size == 1 {
        guard offset + 16 <= end else { return }
        let large = be(offset + 8, 8)
        guard large <= UInt64(end - offset) else { return }
        size = Int(large)
        header = 16
      } else if size == 0 {
        size = end - offset
      }
      guard size >= header, offset + size <= end else { return }
      let body = offset + header
      let boxEnd = offset + size
      switch type {
      case fourCC("meta"): boxes(body + 4, boxEnd, depth: depth + 1)
      case fourCC("iprp"): boxes(body, boxEnd, depth: depth + 1)
      case fourCC("ipco"): properties(body, boxEnd)
      case fourCC("ipma"): associations(body, boxEnd)
      case fourCC("iinf"): itemInfos(body, boxEnd)
      case fourCC("iloc"): locations(body, boxEnd)
      case fourCC("idat"): idat = body..<boxEnd
      case fourCC("pitm"):
        let idBytes = body + 4 < boxEnd && data[body] == 0 ? 2 : 4
        if body + 4 + idBytes <= boxEnd { primary = UInt32(be(body + 4, idBytes)) }
      case fourCC("iref"): references(body, boxEnd)
      default: break
      }
      offset = boxEnd
    }
  }

  /// The children of `ipco`, numbered from 1 as `ipma` refers to them.
  mutating func properties(_ start: Int, _ end: Int) {
    var offset = start
    var index = 0
    while offset + 8 <= end {
      let size = Int(be(offset, 4))
      let type = UInt32(be(offset + 4, 4))
      guard size >= 8, offset + size <= end else { return }
      index += 1
      var found: [Size] = []
      switch type {
      case fourCC("hvcC"): found = hvcC(offset + 8, offset + size)
      case fourCC("av1C"):
        var frames = 0
        if size >= 12 { found = (try? obus(data[offset + 12..<offset + size], frames: &frames)) ?? [] }
      default: break
      }
      if let size = found.max(by: { $0.pixels < $1.pixels }) { configurationSizes[index] = size }
      sizes += found
      offset += size
    }
  }

  /// `ipma`: which properties each item has.
  mutating func associations(_ start: Int, _ end: Int) {
    guard start + 8 <= end else { return }
    let version = data[start]
    let wideIndexes = data[start + 3] & 1 == 1
    let count = Int(be(start + 4, 4))
    var at = start + 8
    for _ in 0..<count {
      let idBytes = version < 1 ? 2 : 4
      guard at + idBytes + 1 <= end else { return }
      let item = UInt32(be(at, idBytes))
      let associations = Int(data[at + idBytes])
      at += idBytes + 1
      var indexes: [Int] = []
      for _ in 0..<associations {
        guard at + (wideIndexes ? 2 : 1) <= end else { return }
        indexes.append(wideIndexes ? Int(be(at, 2) & 0x7FFF) : Int(data[at] & 0x7F))
        at += wideIndexes ? 2 : 1
      }
      itemProperties[item, default: []] += indexes
    }
  }

  /// `iinf`: each item's type, from its `infe` boxes (version 2 and 3).
  mutating func itemInfos(_ start: Int, _ end: Int) {
    guard start + 6 <= end else { return }
    var offset = start + (data[start] == 0 ? 6 : 8)
    while offset + 8 <= end {
      let size = Int(be(offset, 4))
      guard size >= 8, offset + size <= end else { return }
      if UInt32(be(offset + 4, 4)) == fourCC("infe"), offset + 12 <= end {
        let version = data[offset + 8]
        let idBytes = version == 2 ? 2 : 4
        let typeAt = offset + 12 + idBytes + 2
        if version >= 2, typeAt + 4 <= offset + size {
          itemTypes[UInt32(be(offset + 12, idBytes))] = UInt32(be(typeAt, 4))
        }
      }
      offset += size
    }
  }

  /// `iloc`: where each item's bytes are (ISO 14496-12 8.11.3).
  mutating func locations(_ start: Int, _ end: Int) {
    guard start + 8 <= end else { return }
    let version = data[start]
    guard version <= 2 else { return }
    let offsetSize = Int(data[start + 4] >> 4)
    let lengthSize = Int(data[start + 4] & 0xF)
    let baseOffsetSize = Int(data[start + 5] >> 4)
    let indexSize = version >= 1 ? Int(data[start + 5] & 0xF) : 0
    guard [offsetSize, lengthSize, baseOffsetSize, indexSize].allSatisfy({ [0, 4, 8].contains($0) }) else { return }
    var at = start + 6
    let countBytes = version < 2 ? 2 : 4
    guard at + countBytes <= end else { return }
    let count = Int(be(at, countBytes))
    at += countBytes
    for _ in 0..<count {
      guard at + countBytes <= end else { return }
      let item = UInt32(be(at, countBytes))
      at += countBytes
      var construction = 0
      if version >= 1 {
        guard at + 2 <= end else { return }
        construction = Int(be(at, 2) & 0xF)
        at += 2
      }
      guard at + 2 + baseOffsetSize + 2 <= end else { return }
      let base = be(at + 2, baseOffsetSize)
      at += 2 + baseOffsetSize
      let extentCount = Int(be(at, 2))
      at += 2
      var extents: [Extent] = []
      for _ in 0..<extentCount {
        guard at + indexSize + offsetSize + lengthSize <= end else { return }
        let offset = be(at + indexSize, offsetSize)
        let length = be(at + indexSize + offsetSize, lengthSize)
        at += indexSize + offsetSize + lengthSize
        let (position, overflow) = base.addingReportingOverflow(offset)
        guard !overflow, position <= UInt64(Int.max), length <= UInt64(Int.max) else { continue }
        extents.append(Extent(inIdat: construction == 1, offset: Int(position), length: Int(length)))
      }
      // Construction method 2 builds an item from other items, which are read themselves.
      if construction <= 1 { itemExtents[item] = extents }
    }
  }

  // MARK: Items

  /// Reads the stream of every HEVC and AV1 item and the canvas of every grid and overlay.
  mutating func readItems() throws(ImagingError) {
    for (item, type) in itemTypes.sorted(by: { $0.key < $1.key }) {
      guard [fourCC("hvc1"), fourCC("av01"), fourCC("grid"), fourCC("iovl")].contains(type),
        let extents = itemExtents[item], let ranges = ranges(extents)
      else { continue }
      // libheif hands an empty item to its decoder, and dav1d 1.0 leaks what it allocated
      // for it: refused here instead.
      guard ranges.contains(where: { !$0.isEmpty }) else { throw .corrupt("image item \(item) has no data") }
      var found: [Size] = []
      if ranges.count == 1 {
        found = try read(data[ranges[0]], type: type)
      } else {
        copiedBytes = ranges.reduce(copiedBytes) { ImageHeader.sum($0, $1.count) }
        // Items do not share bytes in a real file: together they fit in it.
        guard copiedBytes <= data.count else { throw .corrupt("the file's items overlap") }
        var joined: [UInt8] = []
        joined.reserveCapacity(ranges.reduce(0) { $0 + $1.count })
        for range in ranges { joined += data[range] }
        found = try read(joined[...], type: type)
      }
      guard type == fourCC("hvc1") || type == fourCC("av01") else {
        sizes += found
        itemPixels[item] = found.first?.pixels
        continue
      }
      found += (itemProperties[item] ?? []).compactMap { configurationSizes[$0] }
      sizes += found
      if let picture = found.max(by: { $0.pixels < $1.pixels }) {
        totalPixels = ImageHeader.sum(totalPixels, picture.pixels)
        itemPixels[item] = picture.pixels
      }
    }
  }

  /// `iref`: the `dimg` references, which derived items are made of (ISO 14496-12 8.11.12).
  mutating func references(_ start: Int, _ end: Int) {
    guard start + 4 <= end else { return }
    let idBytes = data[start] == 0 ? 2 : 4
    var offset = start + 4
    while offset + 8 <= end {
      let size = Int(be(offset, 4))
      guard size >= 8, offset + size <= end else { return }
      if UInt32(be(offset + 4, 4)) == fourCC("dimg"), offset + 8 + idBytes + 2 <= offset + size {
        let from = UInt32(be(offset + 8, idBytes))
        let count = Int(be(offset + 8 + idBytes, 2))
        var at = offset + 8 + idBytes + 2
        for _ in 0..<count where at + idBytes <= offset + size {
          derivedFrom[from, default: []].append(UInt32(be(at, idBytes)))
          at += idBytes
        }
      }
      offset += size
    }
  }

  /// What decoding the primary item costs, following its `dimg` references as libheif
  /// does (a tile used twice is decoded twice): refused when an item is derived from
  /// itself (libheif 1.15 recursed until it had 2.5 GB) or nested too deep.
  mutating func checkDerivations() throws(ImagingError) {
    guard let primary else { return }
    var memo: [UInt32: Int] = [:]
    var path: [UInt32] = []
    func cost(_ item: UInt32) throws(ImagingError) -> Int {
      if let known = memo[item] { return known }
      guard !path.contains(item) else { throw .corrupt("image item \(item) is derived from itself") }
      guard path.count < HEIFCodedPictures.maxDerivationDepth else {
        throw .corrupt("derived images are nested more than \(HEIFCodedPictures.maxDerivationDepth) deep")
      }
      path.append(item)
      defer { path.removeLast() }
      var total = itemPixels[item] ?? 0
      for source in derivedFrom[item] ?? [] { total = ImageHeader.sum(total, try cost(source)) }
      memo[item] = total
      return total
    }
    totalPixels = max(totalPixels, try cost(primary))
  }

  /// The byte ranges of an item's extents, which lie inside the file or its `idat`; nil
  /// when one lies outside them (libheif refuses such a file itself).
  func ranges(_ extents: [Extent]) -> [Range<Int>]? {
    var ranges: [Range<Int>] = []
    for extent in extents {
      let container = extent.inIdat ? (idat ?? 0..<0) : 0..<data.count
      guard extent.offset <= container.count else { return nil }
      let start = container.lowerBound + extent.offset
      let length = extent.length == 0 ? container.upperBound - start : extent.length
      guard length <= container.upperBound - start else { return nil }
      ranges.append(start..<start + length)
    }
    return ranges
  }

  /// The sizes an item's bytes declare, by its type.
  mutating func read<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, type: UInt32) throws(ImagingError) -> [Size]
  where Bytes.Index == Int {
    switch type {
    case fourCC("hvc1"): return try nalUnits(bytes)
    case fourCC("av01"):
      var frames = 0
      let found = try obus(bytes, frames: &frames)
      // dav1d never returns a picture for such an item, and libheif 1.15 then keeps
      // feeding it: a 746-byte file of four such tiles took 11.5 s and 1.27 GB.
      guard frames > 0 else { throw .corrupt("an AV1 image item holds no frame") }
      return found
    default: return canvas(bytes, overlay: type == fourCC("iovl")).map { [$0] } ?? []
    }
  }

  /// An item's bytes as 4-byte-length-prefixed NAL units (what libheif hands libde265):
  /// the size of each sequence parameter set.
  mutating func nalUnits<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) throws(ImagingError) -> [Size]
  where Bytes.Index == Int {
    var found: [Size] = []
    var at = bytes.startIndex
    while at + 4 <= bytes.endIndex {
      try countUnit()
      let length = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
      at += 4
      guard length > 0, length <= bytes.endIndex - at else { break }
      if HEVCParameterSet.nalUnitType(bytes[at]) == HEVCParameterSet.sequenceParameterSetType,
        let size = HEVCParameterSet.pictureSize(ofSPS: bytes[at..<at + length])
      {
        found.append(size)
      }
      at += length
    }
    return found
  }

  /// The sizes of the sequence headers in a run of OBUs (AV1 5.3), as in `av1C` and in an
  /// item's data; the walk stops where the run stops parsing. `frames` counts the frame
  /// and frame-header OBUs.
  mutating func obus<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, frames: inout Int) throws(ImagingError) -> [Size]
  where Bytes.Index == Int {
    var found: [Size] = []
    var at = bytes.startIndex
    while at < bytes.endIndex {
      try countUnit()
      let header = bytes[at]
      let type = Int(header >> 3) & 0xF
      let hasExtension = header & 0x4 != 0
      let hasSize = header & 0x2 != 0
      at += hasExtension ? 2 : 1
      guard at <= bytes.endIndex else { break }
      var length = bytes.endIndex - at
      if hasSize {
        guard let (value, used) = leb128(bytes[at...]), value <= UInt64(bytes.endIndex - at - used) else { break }
        length = Int(value)
        at += used
      }
      if type == AV1SequenceHeader.obuType, let size = AV1SequenceHeader.maxFrameSize(ofPayload: bytes[at..<at + length]) {
        found.append(size)
      }
      if type == AV1SequenceHeader.frameOBUType || type == AV1SequenceHeader.frameHeaderOBUType { frames += 1 }
      at += length
    }
    return found
  }

  /// leb128() (AV1 4.10.5): the value and the bytes it took; nil past 8 bytes or the end.
  func leb128(_ bytes: some Collection<UInt8>) -> (UInt64, Int)? {
    var value: UInt64 = 0
    for (i, byte) in bytes.prefix(8).enumerated() {
      value |= UInt64(byte & 0x7F) << (7 * UInt64(i))
      if byte & 0x80 == 0 { return (value, i + 1) }
    }
    return nil
  }

  /// The output size of an `ImageGrid` or `ImageOverlay` item (HEIF 6.6.2.3, 6.6.2.4).
  func canvas<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, overlay: Bool) -> Size? where Bytes.Index == Int {
    guard bytes.count >= 2 else { return nil }
    let wide = bytes[bytes.startIndex + 1] & 1 == 1
    let at = bytes.startIndex + (overlay ? 10 : 4)
    let fieldBytes = wide ? 4 : 2
    guard at + 2 * fieldBytes <= bytes.endIndex else { return nil }
    var width = 0
    var height = 0
    for i in 0..<fieldBytes {
      width = width << 8 | Int(bytes[at + i])
      height = height << 8 | Int(bytes[at + fieldBytes + i])
    }
    return width > 0 && height > 0 ? Size(width: width, height: height) : nil
  }

  /// The picture size of each SPS in an `hvcC` box's NAL arrays.
  mutating func hvcC(_ start: Int, _ end: Int) -> [Size] {
    guard start + 23 <= end else { return [] }
    var found: [Size] = []
    var at = start + 22
    let arrays = Int(data[at])
    at += 1
    for _ in 0..<arrays {
      guard at + 3 <= end else { break }
      let nalType = data[at] & 0x3F
      let count = Int(be(at + 1, 2))
      at += 3
      for _ in 0..<count {
        guard at + 2 <= end else { return found }
        let length = Int(be(at, 2))
        at += 2
        guard at + length <= end else { return found }
        if nalType == HEVCParameterSet.sequenceParameterSetType,
          let size = HEVCParameterSet.pictureSize(ofSPS: UnsafeRawBufferPointer(rebasing: data[at..<at + length]))
        {
          found.append(size)
        }
        at += length
      }
    }
    return found
  }

  // MARK: Bytes

  /// Counts one coded unit against ``HEIFCodedPictures/maxCodedUnits``.
  mutating func countUnit() throws(ImagingError) {
    units += 1
    if units > HEIFCodedPictures.maxCodedUnits {
      throw .corrupt("the file holds more than \(HEIFCodedPictures.maxCodedUnits) coded units")
    }
  }

  /// A big-endian number of `count` bytes (0 to 8) at `at`; the caller checked the bounds.
  func be(_ at: Int, _ count: Int) -> UInt64 {
    var value: UInt64 = 0
    for i in 0..<count { value = value << 8 | UInt64(data[at + i]) }
    return value
  }

  func fourCC(_ s: StaticString) -> UInt32 {
    s.withUTF8Buffer { b in UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3]) }
  }
}
