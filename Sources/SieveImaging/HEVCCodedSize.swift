/// The sizes of the pictures a HEIF file's HEVC streams really code, read from the
/// sequence parameter sets in its `hvcC` boxes: what libde265 will allocate, whatever the
/// container's `ispe` box declares (which is what the limits would otherwise check).
enum HEVCCodedSize {
  /// The largest picture (by pixels) any `hvcC` box of the file codes; nil when there is
  /// none that parses.
  static func largest(in data: UnsafeRawBufferPointer) -> (width: Int, height: Int)? {
    var best: (width: Int, height: Int)?
    scan(data, 0, data.count, depth: 0) { size in
      if best.map({ ImageHeader.bytes($0.width, $0.height) < ImageHeader.bytes(size.width, size.height) }) ?? true { best = size }
    }
    return best
  }

  /// Walks ISO BMFF boxes: into `meta` (a full box), `iprp` and `ipco`; each `hvcC` found
  /// is parsed.
  private static func scan(
    _ d: UnsafeRawBufferPointer, _ start: Int, _ end: Int, depth: Int, _ found: ((width: Int, height: Int)) -> Void
  ) {
    guard depth < 8 else { return }
    var offset = start
    while offset + 8 <= end {
      var size = Int(be32(d, offset))
      let type = be32(d, offset + 4)
      var header = 8
      if size == 1 {
        guard offset + 16 <= end else { return }
        let large = UInt64(be32(d, offset + 8)) << 32 | UInt64(be32(d, offset + 12))
        guard large <= UInt64(end - offset) else { return }
        size = Int(large)
        header = 16
      } else if size == 0 {
        size = end - offset
      }
      guard size >= header, offset + size <= end else { return }
      let body = offset + header
      switch type {
      case fourCC("meta"): scan(d, body + 4, offset + size, depth: depth + 1, found)
      case fourCC("iprp"), fourCC("ipco"): scan(d, body, offset + size, depth: depth + 1, found)
      case fourCC("hvcC"): if let picture = hvcC(d, body, offset + size) { found(picture) }
      default: break
      }
      offset += size
    }
  }

  /// The picture size of the first SPS in an `hvcC` box's NAL arrays.
  private static func hvcC(_ d: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> (width: Int, height: Int)? {
    guard start + 23 <= end else { return nil }
    var at = start + 22
    let arrays = Int(d[at])
    at += 1
    for _ in 0..<arrays {
      guard at + 3 <= end else { return nil }
      let nalType = d[at] & 0x3F
      let count = Int(be16(d, at + 1))
      at += 3
      for _ in 0..<count {
        guard at + 2 <= end else { return nil }
        let length = Int(be16(d, at))
        at += 2
        guard at + length <= end else { return nil }
        if nalType == 33, let size = sps(UnsafeRawBufferPointer(rebasing: d[at..<at + length])) { return size }
        at += length
      }
    }
    return nil
  }

  /// pic_width_in_luma_samples and pic_height_in_luma_samples of an SPS NAL unit (H.265
  /// 7.3.2.2), after its two-byte header, with emulation-prevention bytes removed.
  static func sps(_ nal: UnsafeRawBufferPointer) -> (width: Int, height: Int)? {
    guard nal.count > 2 else { return nil }
    var rbsp: [UInt8] = []
    rbsp.reserveCapacity(min(nal.count, 256))
    var zeros = 0
    for byte in nal.dropFirst(2).prefix(256) {
      if zeros >= 2 && byte == 3 {
        zeros = 0
        continue
      }
      zeros = byte == 0 ? zeros + 1 : 0
      rbsp.append(byte)
    }
    var bits = BitReader(rbsp)
    _ = bits.read(4)  // sps_video_parameter_set_id
    let subLayers = bits.read(3)  // sps_max_sub_layers_minus1
    _ = bits.read(1)
    // profile_tier_level(1, sps_max_sub_layers_minus1)
    _ = bits.read(88)
    _ = bits.read(8)
    var profilePresent: [Bool] = []
    var levelPresent: [Bool] = []
    for _ in 0..<subLayers {
      profilePresent.append(bits.read(1) == 1)
      levelPresent.append(bits.read(1) == 1)
    }
    if subLayers > 0 { for _ in subLayers..<8 { _ = bits.read(2) } }
    for i in 0..<subLayers {
      if profilePresent[i] { _ = bits.read(88) }
      if levelPresent[i] { _ = bits.read(8) }
    }
    _ = bits.readExpGolomb()  // sps_seq_parameter_set_id
    let chroma = bits.readExpGolomb()
    if chroma == 3 { _ = bits.read(1) }
    guard let width = bits.readExpGolomb(), let height = bits.readExpGolomb(), !bits.overrun, width > 0, height > 0 else {
      return nil
    }
    return (width, height)
  }

  private static func be32(_ d: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
    UInt32(d[at]) << 24 | UInt32(d[at + 1]) << 16 | UInt32(d[at + 2]) << 8 | UInt32(d[at + 3])
  }

  private static func be16(_ d: UnsafeRawBufferPointer, _ at: Int) -> UInt16 {
    UInt16(d[at]) << 8 | UInt16(d[at + 1])
  }

  private static func fourCC(_ s: StaticString) -> UInt32 {
    s.withUTF8Buffer { b in UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3]) }
  }
}

/// Reads bits most significant first; past the end it reads zeros and sets `overrun`.
private struct BitReader {
  let bytes: [UInt8]
  var position = 0
  var overrun = false

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  mutating func bit() -> Int {
    guard position < bytes.count * 8 else {
      overrun = true
      return 0
    }
    defer { position += 1 }
    return Int(bytes[position / 8] >> (7 - UInt8(position % 8))) & 1
  }

  @discardableResult
  mutating func read(_ count: Int) -> Int {
    var value = 0
    for _ in 0..<count { value = value << 1 | bit() }
    return value
  }

  /// ue(v); nil for a code longer than 31 bits (no valid size is).
  mutating func readExpGolomb() -> Int? {
    var zeros = 0
    while bit() == 0 {
      zeros += 1
      if zeros > 31 || overrun { return nil }
    }
    return (1 << zeros) - 1 + read(zeros)
  }
}
