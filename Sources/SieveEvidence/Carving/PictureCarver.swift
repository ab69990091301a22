import SieveImaging

/// Finds pictures in raw bytes (unallocated space, an image without a file system) by
/// their headers and structure, as contiguous runs: JPEG up to its EOI with every marker
/// checked, PNG chunk by chunk with their CRCs up to IEND, GIF block by block up to its
/// trailer, BMP and WebP by the sizes their headers give, checked against what follows.
///
/// Pictures on a file system start at block boundaries, so headers are looked for at
/// multiples of ``alignment`` only: faster, and a thumbnail inside a larger file is not
/// carved again. A fragmented picture (not contiguous) is not recovered; what is carved
/// is a candidate, kept as an image only when it decodes.
public struct PictureCarver: Sendable {
  /// One picture found.
  public struct Carve: Sendable, Equatable {
    /// Its first byte, relative to the start of what was searched.
    public var offset: Int
    public var length: Int
    public var format: ImageFormat
  }

  /// Where headers are looked for: every multiple of this many bytes. Default 512.
  public var alignment: Int
  /// The largest picture carved, in bytes; a structure that runs longer is given up.
  /// Default 64 MiB.
  public var maxLength: Int

  public init(alignment: Int = 512, maxLength: Int = 64 << 20) {
    self.alignment = max(1, alignment)
    self.maxLength = max(1, maxLength)
  }

  /// The pictures that start in `bytes[0..<searchEnd]` (the rest of `bytes` is only read
  /// to find where they end), in order.
  public func carve(_ bytes: UnsafeRawBufferPointer, searchEnd: Int? = nil) -> [Carve] {
    carveWithinBudget(bytes, searchEnd: searchEnd).carves
  }

  /// What ``carve(_:searchEnd:)`` found, and whether it stopped early.
  public struct Result: Sendable {
    public var carves: [Carve]
    /// Where the next search should start (past the last strongly checked picture).
    public var resumeAt: Int
    /// True when following candidates cost more than ``workPerByte`` bytes read per byte
    /// searched: space made of headers that each claim a long picture would otherwise take
    /// quadratic time. The search stops there.
    public var budgetSpent: Bool
  }

  /// How many bytes candidates may read, per byte searched, before the search gives up.
  public static let workPerByte = 16

  /// Carves, reading at most ``workPerByte`` bytes per byte searched (plus one longest
  /// picture). A JPEG, PNG or GIF is checked through its structure and its bytes are not
  /// searched again; a BMP or WebP is known only by the size its header gives, so the
  /// search goes on inside it (a fake header cannot hide what follows it).
  public func carveWithinBudget(_ bytes: UnsafeRawBufferPointer, searchEnd: Int? = nil) -> Result {
    let end = min(searchEnd ?? bytes.count, bytes.count)
    var carves: [Carve] = []
    var at = 0
    var covered = 0
    var work = 0
    let budget = end.multipliedReportingOverflow(by: Self.workPerByte).partialValue + maxLength
    while at < end {
      var examined = 0
      if let carve = carve(at: at, in: bytes, examined: &examined) {
        carves.append(carve)
        if carve.format == .jpeg || carve.format == .png || carve.format == .gif {
          covered = max(covered, at + carve.length)
          at = (covered + alignment - 1) / alignment * alignment
        } else {
          at += alignment
        }
      } else {
        at += alignment
      }
      work += max(examined, 1)
      if work > budget { return Result(carves: carves, resumeAt: max(at, covered), budgetSpent: true) }
    }
    return Result(carves: carves, resumeAt: max(at, covered), budgetSpent: false)
  }

  /// The picture that starts at `at`, if one does.
  func carve(at at: Int, in d: UnsafeRawBufferPointer) -> Carve? {
    var examined = 0
    return carve(at: at, in: d, examined: &examined)
  }

  /// The same, saying how far the checks read (`examined` bytes from `at`).
  func carve(at at: Int, in d: UnsafeRawBufferPointer, examined: inout Int) -> Carve? {
    guard at + 16 <= d.count else { return nil }
    let format: ImageFormat
    let length: Int?
    switch (d[at], d[at + 1], d[at + 2], d[at + 3]) {
    case (0xFF, 0xD8, 0xFF, _): (format, length) = (.jpeg, jpegLength(d, at, &examined))
    case (0x89, 0x50, 0x4E, 0x47): (format, length) = (.png, pngLength(d, at, &examined))
    case (0x47, 0x49, 0x46, 0x38): (format, length) = (.gif, gifLength(d, at, &examined))
    case (0x42, 0x4D, _, _): (format, length) = (.bmp, bmpLength(d, at))
    case (0x52, 0x49, 0x46, 0x46): (format, length) = (.webp, webpLength(d, at))
    default: return nil
    }
    examined = max(examined, 34)
    guard let length, length > 0, length <= maxLength, at + length <= d.count else { return nil }
    return Carve(offset: at, length: length, format: format)
  }

  // MARK: Formats

  /// JPEG: markers from SOI to EOI (ITU T.81 B.1), with entropy-coded data after each SOS
  /// skipped up to the next marker; a frame header and a scan are required.
  func jpegLength(_ d: UnsafeRawBufferPointer, _ start: Int, _ reached: inout Int) -> Int? {
    let limit = min(d.count, start + maxLength)
    var at = start + 2
    defer { reached = max(reached, at - start) }
    var sawFrame = false
    var sawScan = false
    while at + 1 < limit {
      guard d[at] == 0xFF else { return nil }
      var marker = d[at + 1]
      while marker == 0xFF {  // fill bytes
        at += 1
        guard at + 1 < limit else { return nil }
        marker = d[at + 1]
      }
      switch marker {
      case 0xD9:
        return sawFrame && sawScan ? at + 2 - start : nil
      case 0xD0...0xD7, 0x01:
        at += 2
      case 0xD8:
        return nil  // a second SOI: not one JPEG
      case 0xC0...0xFE:
        guard at + 4 <= limit else { return nil }
        let length = Int(d[at + 2]) << 8 | Int(d[at + 3])
        guard length >= 2 else { return nil }
        if (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC { sawFrame = true }
        at += 2 + length
        if marker == 0xDA {
          sawScan = true
          // Entropy-coded data: up to the next marker that is not a stuffed 0xFF00 or a restart.
          while at + 1 < limit {
            if d[at] == 0xFF, d[at + 1] != 0x00, !(0xD0...0xD7).contains(d[at + 1]) { break }
            at += 1
          }
        }
      default:
        return nil
      }
    }
    return nil
  }

  /// PNG: the signature, then chunks whose CRCs hold, IHDR first, up to IEND.
  func pngLength(_ d: UnsafeRawBufferPointer, _ start: Int, _ reached: inout Int) -> Int? {
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    guard start + 8 <= d.count, (0..<8).allSatisfy({ d[start + $0] == signature[$0] }) else { return nil }
    let limit = min(d.count, start + maxLength)
    var at = start + 8
    // (A chunk's CRC reads the whole chunk: counted as read.)
    defer { reached = max(reached, at - start) }
    var first = true
    while at + 12 <= limit {
      let length = Int(be32(d, at))
      guard length <= limit - at - 12 else { return nil }
      let type = be32(d, at + 4)
      // Chunk types are four ASCII letters.
      guard (0..<4).allSatisfy({ i in let c = d[at + 4 + i] | 0x20; return c >= 0x61 && c <= 0x7A }) else { return nil }
      if first {
        guard type == 0x4948_4452, length == 13 else { return nil }  // IHDR, always 13 bytes
        first = false
      }
      reached = max(reached, at + 12 + length - start)
      let crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: d[(at + 4)..<(at + 8 + length)]))
      guard crc == be32(d, at + 8 + length) else { return nil }
      at += 12 + length
      if type == 0x4945_4E44 { return at - start }  // IEND
    }
    return nil
  }

  /// GIF: header, screen descriptor and colour table, then extension and image blocks
  /// (their data sub-blocks skipped) up to the trailer.
  func gifLength(_ d: UnsafeRawBufferPointer, _ start: Int, _ reached: inout Int) -> Int? {
    guard start + 13 <= d.count, d[start + 4] == 0x37 || d[start + 4] == 0x39, d[start + 5] == 0x61 else { return nil }
    let limit = min(d.count, start + maxLength)
    var at = start + 13
    defer { reached = max(reached, min(at, limit) - start) }
    if d[start + 10] & 0x80 != 0 { at += 3 << (Int(d[start + 10] & 7) + 1) }
    func subBlocks() -> Bool {
      while at < limit {
        let size = Int(d[at])
        at += 1 + size
        if size == 0 { return at <= limit }
      }
      return false
    }
    var images = 0
    while at < limit {
      switch d[at] {
      case 0x21:
        at += 2
        guard subBlocks() else { return nil }
      case 0x2C:
        guard at + 10 <= limit else { return nil }
        let packed = d[at + 9]
        at += 10
        if packed & 0x80 != 0 { at += 3 << (Int(packed & 7) + 1) }
        guard at < limit, (2...8).contains(d[at]) else { return nil }
        at += 1
        guard subBlocks() else { return nil }
        images += 1
      case 0x3B:
        return images > 0 ? at + 1 - start : nil
      default:
        return nil
      }
    }
    return nil
  }

  /// BMP: the file size its header gives, when the header is a plausible one.
  func bmpLength(_ d: UnsafeRawBufferPointer, _ start: Int) -> Int? {
    guard start + 34 <= d.count else { return nil }
    let size = Int(le32(d, start + 2))
    let dataOffset = Int(le32(d, start + 10))
    let headerSize = Int(le32(d, start + 14))
    guard le32(d, start + 6) == 0, [12, 40, 52, 56, 108, 124].contains(headerSize), dataOffset >= 14 + headerSize,
      dataOffset < size, size <= maxLength
    else { return nil }
    if headerSize == 12 { return size }
    let width = Int32(bitPattern: le32(d, start + 18))
    let height = Int32(bitPattern: le32(d, start + 22))
    let planes = Int(d[start + 26]) | Int(d[start + 27]) << 8
    let bits = Int(d[start + 28]) | Int(d[start + 29]) << 8
    guard width > 0, height != 0, height != .min, planes == 1, [1, 4, 8, 16, 24, 32].contains(bits) else { return nil }
    // The pixel rows (uncompressed ones, at least) fit in the size given.
    // (Sizes from the header can be anything: products saturate instead of trapping.)
    let rowBytes = (Int(width) * bits + 31) / 32 * 4
    let compression = le32(d, start + 30)
    if compression == 0 {
      let (pixelBytes, overflow) = rowBytes.multipliedReportingOverflow(by: Int(height.magnitude))
      guard !overflow, pixelBytes <= size - dataOffset else { return nil }
    }
    return size
  }

  /// WebP: the RIFF size, when the first chunk is a VP8, VP8L or VP8X one.
  func webpLength(_ d: UnsafeRawBufferPointer, _ start: Int) -> Int? {
    guard start + 20 <= d.count, be32(d, start + 8) == 0x5745_4250 else { return nil }  // "WEBP"
    let chunk = be32(d, start + 12)
    guard chunk == 0x5650_3820 || chunk == 0x5650_384C || chunk == 0x5650_3858 else { return nil }  // "VP8 ", "VP8L", "VP8X"
    let size = Int(le32(d, start + 4)) + 8
    return size >= 20 && size % 2 == 0 ? size : nil
  }

  private func be32(_ d: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
    UInt32(d[at]) << 24 | UInt32(d[at + 1]) << 16 | UInt32(d[at + 2]) << 8 | UInt32(d[at + 3])
  }

  private func le32(_ d: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
    UInt32(d[at]) | UInt32(d[at + 1]) << 8 | UInt32(d[at + 2]) << 16 | UInt32(d[at + 3]) << 24
  }
}

/// CRC-32 (ISO 3309, as PNG and zlib use it).
enum CRC32 {
  static let table: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for byte in bytes { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
  }
}
