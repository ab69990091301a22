/// Counts the pictures of a GIF by walking its blocks (no decoding): an animated GIF, of
/// two pictures or more, is hashed as a video, as vPDQ hashes it through FFmpeg.
public enum AnimatedGIF {
  /// How many image descriptors the GIF in `bytes` holds, counting at most to `limit`;
  /// 0 when it is not a GIF. A damaged block structure ends the count where it breaks.
  public static func imageCount(_ bytes: UnsafeRawBufferPointer, upTo limit: Int = 2) -> Int {
    let n = bytes.count
    guard n >= 13, bytes[0] == 0x47, bytes[1] == 0x49, bytes[2] == 0x46 else { return 0 }  // "GIF"
    var at = 13
    let screenFlags = bytes[10]
    if screenFlags & 0x80 != 0 { at += 3 << (Int(screenFlags & 0x07) + 1) }
    var count = 0
    /// Skips sub-blocks (a length byte, that many bytes, until a 0 length).
    func skipSubBlocks() -> Bool {
      while at < n {
        let length = Int(bytes[at])
        at += 1
        if length == 0 { return true }
        at += length
      }
      return false
    }
    while at < n, count < limit {
      switch bytes[at] {
      case 0x2C:  // image descriptor: 9 bytes, an optional local colour table, LZW data
        guard at + 10 <= n else { return count }
        let flags = bytes[at + 9]
        at += 10
        if flags & 0x80 != 0 { at += 3 << (Int(flags & 0x07) + 1) }
        at += 1  // LZW minimum code size
        guard skipSubBlocks() else { return count + 1 }
        count += 1
      case 0x21:  // extension: a label, then sub-blocks
        at += 2
        guard skipSubBlocks() else { return count }
      default:  // the trailer (0x3B), or damage
        return count
      }
    }
    return count
  }
}
