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
  /// The most items a file may have, and extents an item (libheif's own limits).
  static let maxItems = 20_000
  static let maxExtentsPerItem = 32

  /// Reads the boxes of `data` as libheif 1.15 will read them, and refuses (``ImagingError/corrupt(_:)``)
  /// what it could read otherwise than libheif or what would cost libheif without end:
  /// two `meta` boxes, or two of one box inside it; two items of one id; `iloc` fields
  /// of unusual widths, versions or extent indexes; more than ``maxItems`` items or
  /// ``maxExtentsPerItem`` extents; `dimg` references that do not fill their box; an
  /// image item without data, an AV1 item without a frame, items sharing bytes they are
  /// assembled from; an item derived from itself or nested more than
  /// ``maxDerivationDepth`` deep; more than ``maxCodedUnits`` units. A file without a
  /// `meta` box, or with boxes cut short, is left to libheif, which refuses it.
  init(_ data: UnsafeRawBufferPointer) throws(ImagingError) {
    var reader = Reader(data: data)
    try reader.topLevel()
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

  /// A box: its type, where its body starts, where it ends.
  struct Box {
    var type: UInt32
    var body: Int
    var end: Int
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
  /// The AV1 operating point of each `av1C` property, by 1-based index.
  var configurationOperatingPoints: [Int: Int] = [:]
  var idat: Range<Int>?
  /// The primary item (`pitm`).
  var primary: UInt32?
  /// Item id → the items it is derived from, in order (`iref` `dimg`).
  var derivedFrom: [UInt32: [UInt32]] = [:]
  /// Item id → its auxiliary images (`iref` `auxl`, from the auxiliary to it): libheif
  /// decodes an alpha plane with its image.
  var auxiliaries: [UInt32: [UInt32]] = [:]
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

  /// The boxes laid end to end in `start..<end` (32- and 64-bit sizes, 0 for "to the
  /// end"); the walk stops at a box that overruns `end`, as a box parser must.
  func children(_ start: Int, _ end: Int) -> [Box] {
    var boxes: [Box] = []
    var offset = start
    while offset + 8 <= end {
      var size = Int(be(offset, 4))
      var header = 8
      if size == 1 {
        guard offset + 16 <= end else { break }
        let large = be(offset + 8, 8)
        guard large <= UInt64(end - offset) else { break }
        size = Int(large)
        header = 16
      } else if size == 0 {
        size = end - offset
      }
      guard size >= header, offset + size <= end else { break }
      boxes.append(Box(type: UInt32(be(offset + 4, 4)), body: offset + header, end: offset + size))
      offset += size
    }
    return boxes
  }

  /// The file's boxes: one `meta`, whose children are read once each.
  mutating func topLevel() throws(ImagingError) {
    let metas = children(0, data.count).filter { $0.type == fourCC("meta") }
    guard let meta = metas.first else { return }
    guard metas.count == 1 else { throw .corrupt("the file has \(metas.count) meta boxes") }
    var seen: Set<UInt32> = []
    for box in children(meta.body + 4, meta.end) {
      let once = [fourCC("pitm"), fourCC("iloc"), fourCC("iinf"), fourCC("iref"), fourCC("idat"), fourCC("iprp")]
      if once.contains(box.type) {
        guard seen.insert(box.type).inserted else { throw .corrupt("the meta box has two \(name(box.type)) boxes") }
      }
      switch box.type {
      case fourCC("iprp"):
        var properties = 0
        for child in children(box.body, box.end) {
          switch child.type {
          case fourCC("ipco"):
            properties += 1
            guard properties == 1 else { throw .corrupt("the file has two ipco boxes") }
            self.properties(child)
          case fourCC("ipma"): try associations(child)
          default: break
          }
        }
      case fourCC("iinf"): try itemInfos(box)
      case fourCC("iloc"): try locations(box)
      case fourCC("idat"): idat = box.body..<box.end
      case fourCC("pitm"):
        let idBytes = box.body < box.end && data[box.body] == 0 ? 2 : 4
        if box.body + 4 + idBytes <= box.end { primary = UInt32(be(box.body + 4, idBytes)) }
      case fourCC("iref"): try references(box)
      default: break
      }
    }
  }

  /// The children of `ipco`, numbered from 1 as `ipma` refers to them.
  mutating func properties(_ ipco: Box) {
    for (i, property) in children(ipco.body, ipco.end).enumerated() {
      var found: [Size] = []
      switch property.type {
      case fourCC("hvcC"): found = hvcC(property.body, property.end)
      case fourCC("av1C"):
        guard property.body + 4 <= property.end else { continue }
        var frames = 0
        var operatingPoint = 0
        found = (try? obus(data[property.body + 4..<property.end], operatingPoint: &operatingPoint, frames: &frames)) ?? []
        configurationOperatingPoints[i + 1] = operatingPoint
      default: break
      }
      if let size = found.max(by: { $0.pixels < $1.pixels }) { configurationSizes[i + 1] = size }
      sizes += found
    }
  }

  /// `ipma`: which properties each item has.
  mutating func associations(_ ipma: Box) throws(ImagingError) {
    let (start, end) = (ipma.body, ipma.end)
    guard start + 8 <= end else { return }
    let version = data[start]
    let wideIndexes = data[start + 3] & 1 == 1
    let count = Int(be(start + 4, 4))
    guard count <= HEIFCodedPictures.maxItems else { throw .corrupt("the file has more than \(HEIFCodedPictures.maxItems) items") }
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
  mutating func itemInfos(_ iinf: Box) throws(ImagingError) {
    guard iinf.body + 6 <= iinf.end else { return }
    let entries = children(iinf.body + (data[iinf.body] == 0 ? 6 : 8), iinf.end).filter { $0.type == fourCC("infe") }
    guard entries.count <= HEIFCodedPictures.maxItems else { throw .corrupt("the file has more than \(HEIFCodedPictures.maxItems) items") }
    for infe in entries where infe.body + 4 <= infe.end {
      let version = data[infe.body]
      guard version >= 2 else { continue }
      let idBytes = version == 2 ? 2 : 4
      let typeAt = infe.body + 4 + idBytes + 2
      guard typeAt + 4 <= infe.end else { continue }
      let item = UInt32(be(infe.body + 4, idBytes))
      guard itemTypes.updateValue(UInt32(be(typeAt, 4)), forKey: item) == nil else {
        throw .corrupt("the file has two items numbered \(item)")
      }
    }
  }

  /// `iloc`: where each item's bytes are (ISO 14496-12 8.11.3). Only what every reader
  /// reads alike: versions 0 to 2, fields of 0, 4 or 8 bytes, no extent indexes.
  mutating func locations(_ iloc: Box) throws(ImagingError) {
    let (start, end) = (iloc.body, iloc.end)
    guard start + 8 <= end else { return }
    let version = data[start]
    guard version <= 2 else { throw .corrupt("iloc version \(version)") }
    let offsetSize = Int(data[start + 4] >> 4)
    let lengthSize = Int(data[start + 4] & 0xF)
    let baseOffsetSize = Int(data[start + 5] >> 4)
    guard version == 0 || data[start + 5] & 0xF == 0 else { throw .corrupt("iloc extent indexes are not supported") }
    guard [offsetSize, lengthSize, baseOffsetSize].allSatisfy({ [0, 4, 8].contains($0) }) else {
      throw .corrupt("iloc field widths \(offsetSize), \(lengthSize), \(baseOffsetSize)")
    }
    var at = start + 6
    let countBytes = version < 2 ? 2 : 4
    guard at + countBytes <= end else { return }
    let count = Int(be(at, countBytes))
    guard count <= HEIFCodedPictures.maxItems else { throw .corrupt("the file has more than \(HEIFCodedPictures.maxItems) items") }
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
      guard extentCount <= HEIFCodedPictures.maxExtentsPerItem else {
        throw .corrupt("item \(item) has \(extentCount) extents, over \(HEIFCodedPictures.maxExtentsPerItem)")
      }
      var extents: [Extent] = []
      for _ in 0..<extentCount {
        guard at + offsetSize + lengthSize <= end else { return }
        let offset = be(at, offsetSize)
        let length = be(at + offsetSize, lengthSize)
        at += offsetSize + lengthSize
        let (position, overflow) = base.addingReportingOverflow(offset)
        guard !overflow, position <= UInt64(Int.max), length <= UInt64(Int.max) else { continue }
        extents.append(Extent(inIdat: construction == 1, offset: Int(position), length: Int(length)))
      }
      guard itemExtents[item] == nil else { throw .corrupt("iloc locates item \(item) twice") }
      // Construction method 2 builds an item from other items, which are read themselves.
      itemExtents[item] = construction <= 1 ? extents : []
    }
  }

  /// `iref`: the `dimg` references (which items a derived item is made of) and the
  /// `auxl` ones (an alpha or depth image of another), ISO 14496-12 8.11.12. libheif 1.15
  /// reads the reference boxes one after the other by their counts, whatever sizes their
  /// headers give: so are they read here, and a box whose size is not what it holds, or
  /// that runs past the `iref` box, is refused.
  mutating func references(_ iref: Box) throws(ImagingError) {
    guard iref.body + 4 <= iref.end else { return }
    let idBytes = data[iref.body] == 0 ? 2 : 4
    var at = iref.body + 4
    while at + 8 <= iref.end {
      var declared = UInt64(be(at, 4))
      let type = UInt32(be(at + 4, 4))
      var header = 8
      if declared == 1 {
        guard at + 16 <= iref.end else { throw .corrupt("a reference box is cut short") }
        declared = be(at + 8, 8)
        header = 16
      }
      let body = at + header
      guard body + idBytes + 2 <= iref.end else { throw .corrupt("a \(name(type)) reference is cut short") }
      let from = UInt32(be(body, idBytes))
      let count = Int(be(body + idBytes, 2))
      let size = header + idBytes + 2 + count * idBytes
      guard at + size <= iref.end else { throw .corrupt("a \(name(type)) reference of item \(from) runs past its box") }
      guard declared == UInt64(size) else {
        throw .corrupt("a \(name(type)) reference of item \(from) is \(declared) bytes but holds \(size)")
      }
      for i in 0..<count where type == fourCC("dimg") || type == fourCC("auxl") {
        let to = UInt32(be(body + idBytes + 2 + i * idBytes, idBytes))
        if type == fourCC("dimg") {
          derivedFrom[from, default: []].append(to)
        } else {
          auxiliaries[to, default: []].append(from)
        }
      }
      at += size
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
      let properties = itemProperties[item] ?? []
      let operatingPoints = configurationOperatingPoints
      let operatingPoint = properties.lazy.compactMap { operatingPoints[$0] }.first ?? 0
      var found: [Size] = []
      if ranges.count == 1 {
        found = try read(data[ranges[0]], type: type, operatingPoint: operatingPoint)
      } else {
        copiedBytes = ranges.reduce(copiedBytes) { ImageHeader.sum($0, $1.count) }
        // Items do not share bytes in a real file: together they fit in it.
        guard copiedBytes <= data.count else { throw .corrupt("the file's items overlap") }
        var joined: [UInt8] = []
        joined.reserveCapacity(ranges.reduce(0) { $0 + $1.count })
        for range in ranges { joined += data[range] }
        found = try read(joined[...], type: type, operatingPoint: operatingPoint)
      }
      guard type == fourCC("hvc1") || type == fourCC("av01") else {
        sizes += found
        itemPixels[item] = found.first?.pixels
        continue
      }
      found += properties.compactMap { configurationSizes[$0] }
      sizes += found
      if let picture = found.max(by: { $0.pixels < $1.pixels }) {
        totalPixels = ImageHeader.sum(totalPixels, picture.pixels)
        itemPixels[item] = picture.pixels
      }
    }
  }

  /// What decoding each item costs, following its `dimg` and `auxl` references as
  /// libheif does (a tile used twice is decoded twice, with its alpha): refused when an
  /// item is derived from itself, directly or not (libheif 1.15 recursed until it had
  /// 2.5 GB), or nested too deep. The total is at least the primary item's cost.
  mutating func checkDerivations() throws(ImagingError) {
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
      for source in (derivedFrom[item] ?? []) + (auxiliaries[item] ?? []) { total = ImageHeader.sum(total, try cost(source)) }
      memo[item] = total
      return total
    }
    for item in Set(derivedFrom.keys).union(auxiliaries.keys).sorted() { _ = try cost(item) }
    if let primary { totalPixels = max(totalPixels, try cost(primary)) }
  }

  /// The byte ranges of an item's extents, which lie inside the file or its `idat` (an
  /// extent of length 0 is empty, as libheif 1.15 reads it); nil when one lies outside
  /// them (libheif refuses such a file itself).
  func ranges(_ extents: [Extent]) -> [Range<Int>]? {
    var ranges: [Range<Int>] = []
    for extent in extents {
      let container = extent.inIdat ? (idat ?? 0..<0) : 0..<data.count
      guard extent.offset <= container.count else { return nil }
      let start = container.lowerBound + extent.offset
      guard extent.length <= container.upperBound - start else { return nil }
      ranges.append(start..<start + extent.length)
    }
    return ranges
  }

  /// The sizes an item's bytes declare, by its type.
  mutating func read<Bytes: RandomAccessCollection<UInt8>>(
    _ bytes: Bytes, type: UInt32, operatingPoint: Int
  ) throws(ImagingError) -> [Size] where Bytes.Index == Int {
    switch type {
    case fourCC("hvc1"): return try nalUnits(bytes)
    case fourCC("av01"):
      var frames = 0
      var operatingPoint = operatingPoint
      let found = try obus(bytes, operatingPoint: &operatingPoint, frames: &frames)
      // dav1d never returns a picture for such an item, and libheif 1.15 then keeps
      // feeding it: a 746-byte file of four such tiles took 11.5 s and 1.27 GB.
      guard frames > 0 else { throw .corrupt("an AV1 image item holds no frame") }
      return found
    default: return canvas(bytes, overlay: type == fourCC("iovl")).map { [$0] } ?? []
    }
  }

  /// An item's bytes as 4-byte-length-prefixed NAL units (what libheif hands libde265,
  /// empty units included): the size of each sequence parameter set.
  mutating func nalUnits<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) throws(ImagingError) -> [Size]
  where Bytes.Index == Int {
    var found: [Size] = []
    var at = bytes.startIndex
    while at + 4 <= bytes.endIndex {
      try countUnit()
      let length = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
      at += 4
      guard length <= bytes.endIndex - at else { break }
      if length > 0, HEVCParameterSet.nalUnitType(bytes[at]) == HEVCParameterSet.sequenceParameterSetType,
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
  /// and frame-header OBUs dav1d decodes: those in the layers of `operatingPoint` (taken
  /// from the last sequence header).
  mutating func obus<Bytes: RandomAccessCollection<UInt8>>(
    _ bytes: Bytes, operatingPoint: inout Int, frames: inout Int
  ) throws(ImagingError) -> [Size] where Bytes.Index == Int {
    var found: [Size] = []
    var at = bytes.startIndex
    while at < bytes.endIndex {
      try countUnit()
      let header = bytes[at]
      let type = Int(header >> 3) & 0xF
      let hasExtension = header & 0x4 != 0
      let hasSize = header & 0x2 != 0
      guard at + (hasExtension ? 2 : 1) <= bytes.endIndex else { break }
      let extensionByte = hasExtension ? bytes[at + 1] : 0
      at += hasExtension ? 2 : 1
      var length = bytes.endIndex - at
      if hasSize {
        guard let (value, used) = leb128(bytes[at...]), value <= UInt64(bytes.endIndex - at - used) else { break }
        length = Int(value)
        at += used
      }
      if type == AV1SequenceHeader.obuType, let fields = AV1SequenceHeader.parse(bytes[at..<at + length]) {
        found.append(fields.maxFrame)
        operatingPoint = fields.operatingPoint
      }
      if type == AV1SequenceHeader.frameOBUType || type == AV1SequenceHeader.frameHeaderOBUType,
        !hasExtension || AV1SequenceHeader.isDecoded(extension: extensionByte, operatingPoint: operatingPoint)
      {
        frames += 1
      }
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
      let count = Int(be(at + 1, 2))
      at += 3
      for _ in 0..<count {
        guard at + 2 <= end else { return found }
        let length = Int(be(at, 2))
        at += 2
        guard at + length <= end else { return found }
        // libheif hands every unit to libde265, which goes by the unit's own header, not
        // by the array's type.
        if length > 0, HEVCParameterSet.nalUnitType(data[at]) == HEVCParameterSet.sequenceParameterSetType,
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

  /// A four-character code as text, for messages.
  func name(_ code: UInt32) -> String {
    String(decoding: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: code >> $0) }, as: UTF8.self)
  }

  func fourCC(_ s: StaticString) -> UInt32 {
    s.withUTF8Buffer { b in UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3]) }
  }
}
