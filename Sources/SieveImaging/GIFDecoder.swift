import CGIF
import SieveSystem

/// Decodes the first frame of a GIF through giflib (`DGifOpen` with a memory reader,
/// `DGifGetRecordType`, `DGifGetImageDesc`, `DGifGetLine`), which reports errors as
/// return values. Like Pillow's first frame converted to RGB: the frame is drawn on the
/// logical screen filled with the background colour, palette indices are looked up,
/// transparency is ignored.
struct GIFDecoder {
  let limits: DecodingLimits

  /// The bytes being read, reached from giflib's read callback through `UserData`.
  final class Source {
    let data: UnsafeRawBufferPointer
    var offset = 0
    init(_ data: UnsafeRawBufferPointer) { self.data = data }
  }

  /// Opens the GIF and reads the screen descriptor.
  private func open(_ source: Source) throws(ImagingError) -> UnsafeMutablePointer<GifFileType> {
    var error: Int32 = 0
    let reader: InputFunc = { gif, buffer, count in
      guard let gif, let buffer, let user = gif.pointee.UserData else { return 0 }
      let source = Unmanaged<Source>.fromOpaque(user).takeUnretainedValue()
      let n = min(Int(count), source.data.count - source.offset)
      guard n > 0 else { return 0 }
      buffer.update(from: source.data.baseAddress!.assumingMemoryBound(to: UInt8.self) + source.offset, count: n)
      source.offset += n
      return Int32(n)
    }
    guard let gif = DGifOpen(Unmanaged.passUnretained(source).toOpaque(), reader, &error) else {
      throw Self.error(error)
    }
    return gif
  }

  /// The most pixels GIF's LZW coding can produce per byte of file: 12-bit codes for runs
  /// of at most 4,096 pixels make about 2,730 a byte at best (a 4000×4000 one-colour GIF
  /// measures 1,883), so a GIF that declares more is mostly padding around a small frame:
  /// its screen is then refused, whatever ``DecodingLimits/maxPixelsPerByte`` allows.
  static let maxPixelsPerByte = 4096

  /// Refuses a screen or frame larger than the file's bytes can fill (see ``maxPixelsPerByte``).
  private static func checkCoding(width: Int, height: Int, bytes: Int) throws(ImagingError) {
    let pixels = width * height
    guard pixels <= DecodingLimits.pixelsFreeOfRatio || pixels / max(bytes, 1) <= Self.maxPixelsPerByte else {
      throw .implausibleSize(width: width, height: height, bytes: bytes, limit: Self.maxPixelsPerByte)
    }
  }

  static func error(_ code: Int32) -> ImagingError {
    let message = GifErrorString(code).map { String(cString: $0) } ?? "giflib error \(code)"
    return code == D_GIF_ERR_READ_FAILED || code == D_GIF_ERR_EOF_TOO_SOON
      ? .truncated("the GIF data ends early (\(message))") : .corrupt(message)
  }

  func header(of data: UnsafeRawBufferPointer) throws(ImagingError) -> ImageHeader {
    let source = Source(data)
    let gif = try open(source)
    defer { var e: Int32 = 0; _ = DGifCloseFile(gif, &e) }
    let (width, height) = (Int(gif.pointee.SWidth), Int(gif.pointee.SHeight))
    // Part of reading the header, so that no caller reserves memory for such a screen.
    try Self.checkCoding(width: width, height: height, bytes: data.count)
    return Self.header(width: width, height: height, encodedBytes: data.count)
  }

  /// The first frame is drawn on the logical screen: one RGB canvas of the screen's size.
  private static func header(width: Int, height: Int, encodedBytes: Int) -> ImageHeader {
    ImageHeader(
      format: .gif, width: width, height: height, colorModel: "palette", bitDepth: 8, isProgressive: true, layout: .rgb,
      encodedBytes: encodedBytes, decoderBytes: ImageHeader.sum(ImageHeader.bytes(width, height, 3), 65_536))
  }

  func decode<Sink: PixelRowSink>(_ data: UnsafeRawBufferPointer, into sink: inout Sink) throws -> ImageHeader {
    let source = Source(data)
    let gif = try open(source)
    defer { var e: Int32 = 0; _ = DGifCloseFile(gif, &e) }
    let width = Int(gif.pointee.SWidth), height = Int(gif.pointee.SHeight)
    let header = Self.header(width: width, height: height, encodedBytes: data.count)
    // The screen is checked against the limits (the pixel count, and pixels per byte: a
    // 42-byte file declaring a 15000×15000 screen is refused here), and so is the frame.
    try limits.check(header)
    try Self.checkCoding(width: width, height: height, bytes: data.count)
    let deadline = limits.deadline(fromNanoseconds: FileSystem.monotonicNanoseconds())
    // Find the first image, skipping extensions.
    while true {
      var record = UNDEFINED_RECORD_TYPE
      guard DGifGetRecordType(gif, &record) == GIF_OK else { throw Self.error(gif.pointee.Error) }
      if record == IMAGE_DESC_RECORD_TYPE { break }
      if record == TERMINATE_RECORD_TYPE { throw ImagingError.corrupt("the GIF holds no image") }
      if record == EXTENSION_RECORD_TYPE {
        var code: Int32 = 0
        var block: UnsafeMutablePointer<GifByteType>?
        guard DGifGetExtension(gif, &code, &block) == GIF_OK else { throw Self.error(gif.pointee.Error) }
        while block != nil {
          guard DGifGetExtensionNext(gif, &block) == GIF_OK else { throw Self.error(gif.pointee.Error) }
        }
      }
    }
    guard DGifGetImageDesc(gif) == GIF_OK else { throw Self.error(gif.pointee.Error) }
    let desc = gif.pointee.Image
    let frameWidth = Int(desc.Width), frameHeight = Int(desc.Height)
    try limits.check(Self.header(width: max(frameWidth, 1), height: max(frameHeight, 1), encodedBytes: data.count))
    try Self.checkCoding(width: frameWidth, height: frameHeight, bytes: data.count)
    guard let map = desc.ColorMap ?? gif.pointee.SColorMap, let colors = map.pointee.Colors else {
      throw ImagingError.corrupt("the GIF has no colour table")
    }
    let colorCount = Int(map.pointee.ColorCount)
    func rgb(_ index: Int) -> (UInt8, UInt8, UInt8) {
      guard index < colorCount else { return (0, 0, 0) }
      let c = colors[index]
      return (c.Red, c.Green, c.Blue)
    }
    // The logical screen, filled with the background colour (global table).
    var canvas = [UInt8](repeating: 0, count: width * height * 3)
    if let global = gif.pointee.SColorMap, let globalColors = global.pointee.Colors,
      Int(gif.pointee.SBackGroundColor) < Int(global.pointee.ColorCount)
    {
      let c = globalColors[Int(gif.pointee.SBackGroundColor)]
      for p in 0..<(width * height) {
        canvas[3 * p] = c.Red
        canvas[3 * p + 1] = c.Green
        canvas[3 * p + 2] = c.Blue
      }
    }
    var line = [GifPixelType](repeating: 0, count: max(frameWidth, 1))
    var rows: [Int] = []
    if desc.Interlace {
      for (start, step) in [(0, 8), (4, 8), (2, 4), (1, 2)] { rows += Array(stride(from: start, to: frameHeight, by: step)) }
    } else {
      rows = Array(0..<frameHeight)
    }
    for (n, y) in rows.enumerated() {
      if n & 63 == 0, deadline != 0, FileSystem.monotonicNanoseconds() > deadline { throw ImagingError.timedOut(seconds: limits.maxSeconds ?? 0) }
      guard line.withUnsafeMutableBufferPointer({ DGifGetLine(gif, $0.baseAddress, Int32(frameWidth)) }) == GIF_OK else {
        throw Self.error(gif.pointee.Error)
      }
      let cy = Int(desc.Top) + y
      guard cy >= 0 && cy < height else { continue }
      for x in 0..<frameWidth {
        let cx = Int(desc.Left) + x
        guard cx >= 0 && cx < width else { continue }
        let (r, g, b) = rgb(Int(line[x]))
        let i = (cy * width + cx) * 3
        canvas[i] = r
        canvas[i + 1] = g
        canvas[i + 2] = b
      }
    }
    try sink.begin(width: width, height: height, layout: .rgb)
    canvas.withUnsafeBufferPointer { sink.consume(rows: $0.baseAddress!, stride: width * 3, firstRow: 0, count: height) }
    return header
  }

  /// The giflib version, e.g. `"giflib 5.2.1"`.
  static var version: String { "giflib \(GIFLIB_MAJOR).\(GIFLIB_MINOR).\(GIFLIB_RELEASE)" }
}
