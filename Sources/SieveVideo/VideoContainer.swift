import SieveImaging

/// The video containers Sieve recognises by their first bytes, whatever the file's name.
///
/// Detection only decides what is worth handing to FFmpeg (which probes again and reads
/// only these containers); pictures come first: a file ``SieveImaging/ImageFormat`` knows
/// (HEIF and AVIF share MP4's `ftyp` box) is never taken for a video.
public enum VideoContainer: String, Sendable, Codable, CaseIterable {
  /// ISO base media: MP4, MOV, M4V, 3GP, 3G2 (`ftyp`, or QuickTime's `moov`/`mdat`/`wide` first).
  case mp4
  /// Matroska and WebM (EBML header).
  case matroska
  /// AVI (`RIFF` … `AVI `).
  case avi
  /// MPEG transport stream (sync byte 0x47 every 188 bytes, or 192 with a timecode).
  case mpegts
  /// Flash video (`FLV` 1).
  case flv
  /// MPEG program stream (`00 00 01 BA`).
  case mpegps
  /// ASF: WMV (its header object's GUID).
  case asf
  /// An animated GIF (two pictures or more): a picture format, hashed as a video.
  case gif
  /// An animated WebP (`VP8X` with the animation flag): a picture format, hashed as a
  /// video through libwebp's animation decoder.
  case webp

  /// The container `bytes` begin with; nil when none. 
  public static func detect(_ bytes: UnsafeRawBufferPointer) -> VideoContainer? {
    let n = bytes.count
    func at(_ i: Int, _ s: [UInt8]) -> Bool { i + s.count <= n && (0..<s.count).allSatisfy { bytes[i + $0] == s[$0] } }
    if at(4, Array("ftyp".utf8)) || ["moov", "mdat", "wide", "free", "skip"].contains(where: { at(4, Array($0.utf8)) }) && n >= 16 {
      return .mp4
    }
    if at(0, [0x1A, 0x45, 0xDF, 0xA3]) { return .matroska }
    if at(0, Array("RIFF".utf8)) && at(8, Array("AVI ".utf8)) { return .avi }
    if at(0, [0x46, 0x4C, 0x56, 0x01]) { return .flv }
    if at(0, [0x00, 0x00, 0x01, 0xBA]) { return .mpegps }
    if at(0, [0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11]) { return .asf }
    for packet in [188, 192] {
      let offset = packet == 192 ? 4 : 0
      if n >= offset + 2 * packet + 1, (0..<3).allSatisfy({ bytes[offset + $0 * packet] == 0x47 }) { return .mpegts }
    }
    return nil
  }

  /// The same for an array.
  public static func detect(_ bytes: [UInt8]) -> VideoContainer? { bytes.withUnsafeBytes { detect($0) } }

  /// What `bytes` are when they are to be hashed as a video: a video container that is no
  /// picture format (HEIF and AVIF share MP4's `ftyp`), an animated GIF or an animated
  /// WebP; nil otherwise.
  public static func video(_ bytes: UnsafeRawBufferPointer) -> VideoContainer? {
    if let picture = ImageFormat.detect(bytes) {
      if picture == .webp { return AnimatedWebP.isAnimated(bytes) ? .webp : nil }
      return picture == .gif && AnimatedGIF.imageCount(bytes, upTo: 2) >= 2 ? .gif : nil
    }
    return detect(bytes)
  }

  /// The file name extensions this container usually has.
  public var extensions: [String] {
    switch self {
    case .mp4: return ["mp4", "mov", "m4v", "3gp", "3g2"]
    case .matroska: return ["mkv", "webm"]
    case .avi: return ["avi"]
    case .mpegts: return ["ts", "m2ts", "mts"]
    case .flv: return ["flv"]
    case .mpegps: return ["mpg", "mpeg", "vob"]
    case .asf: return ["wmv", "asf"]
    case .gif: return ["gif"]
    case .webp: return ["webp"]
    }
  }
}
