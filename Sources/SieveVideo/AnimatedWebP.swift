/// What an animated WebP's RIFF chunks say, read without decoding: its canvas, its frames
/// and their durations. An animated WebP is hashed as a video (Debian's FFmpeg 5.1 cannot
/// decode one; libwebp's animation decoder does).
public struct AnimatedWebP: Sendable, Equatable {
  /// The canvas every frame is composed onto (VP8X).
  public var width: Int
  public var height: Int
  /// Frames (ANMF chunks), counted up to the limit asked for.
  public var frameCount: Int
  /// The frames' durations added up, in milliseconds.
  public var milliseconds: Int

  public init(width: Int, height: Int, frameCount: Int, milliseconds: Int) {
    self.width = width
    self.height = height
    self.frameCount = frameCount
    self.milliseconds = milliseconds
  }

  /// Whether `bytes` begin as an animated WebP: `RIFF` … `WEBP`, then a `VP8X` chunk with
  /// the animation flag.
  public static func isAnimated(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard bytes.count >= 21 else { return false }
    return Self.fourCC(bytes, 0) == "RIFF" && Self.fourCC(bytes, 8) == "WEBP" && Self.fourCC(bytes, 12) == "VP8X"
      && bytes[20] & 0x02 != 0
  }

  /// The animation's canvas, frames (at most `limit`, then the count stops) and total
  /// duration, walking its chunks; nil when it is not an animated WebP or its chunks do not
  /// hold together before the first frame.
  public static func read(_ bytes: UnsafeRawBufferPointer, frameLimit limit: Int = .max) -> AnimatedWebP? {
    guard isAnimated(bytes), bytes.count >= 30 else { return nil }
    func u24(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 }
    func u32(_ at: Int) -> Int { u24(at) | Int(bytes[at + 3]) << 24 }
    var webp = AnimatedWebP(width: u24(24) + 1, height: u24(27) + 1, frameCount: 0, milliseconds: 0)
    // Chunks run to the RIFF's own end, or the data's if that is shorter.
    let end = min(bytes.count, 8 + u32(4))
    var at = 12
    while at + 8 <= end, webp.frameCount < limit {
      let size = u32(at + 4)
      if fourCC(bytes, at) == "ANMF" {
        guard size >= 16, at + 8 + 16 <= end else { break }
        webp.frameCount += 1
        webp.milliseconds += u24(at + 8 + 12)
      }
      at += 8 + size + (size & 1)
    }
    return webp
  }

  private static func fourCC(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> String {
    String(decoding: bytes[at..<at + 4], as: UTF8.self)
  }
}
