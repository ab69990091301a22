import Foundation
import SieveCore
import SieveImaging
import SieveEvidence
import SievePipeline
import SieveVideo

/// Small JPEG thumbnails of evidence images for the HTML report, made from the file
/// itself (opened read-only) and embedded as data URIs.
enum Thumbnail {
  /// A `data:image/jpeg;base64,…` URI of a recorded file scaled to fit `side` pixels,
  /// read back by its location chain through `reader` (from a folder, a disk image or an
  /// archive, read-only); `nil` when it cannot be read or decoded, or is no longer the file
  /// that was scanned (its SHA-256 differs from `expectedSHA256`).
  static func dataURI(
    for path: RawPath, location: EvidenceLocation?, member: ArchiveMember?, size: Int?, expectedSHA256: String?,
    reader: inout RecordedFileReader, side: Int = 160, limits: DecodingLimits = .default
  ) -> String? {
    guard
      let bytes = scannedBytes(
        path, location: location, member: member, size: size, expectedSHA256: expectedSHA256, reader: &reader, maxBytes: limits.maxBytes),
      let image = try? ImageDecoder(limits: limits).decodeImage(bytes)
    else { return nil }
    return dataURI(of: image, side: side)
  }

  /// Thumbnails of frames of a recorded video, by frame number (as vPDQ numbers them),
  /// read back as ``dataURI(for:location:member:size:expectedSHA256:reader:side:limits:)``
  /// reads a picture; empty when the video cannot be read (over the byte limit, changed
  /// since the scan) or decoded.
  static func frameDataURIs(
    _ numbers: Set<Int>, for path: RawPath, location: EvidenceLocation?, member: ArchiveMember?, size: Int?, expectedSHA256: String?,
    reader: inout RecordedFileReader, side: Int = 160, limits: DecodingLimits = .default
  ) -> [Int: String] {
    guard
      let bytes = scannedBytes(
        path, location: location, member: member, size: size, expectedSHA256: expectedSHA256, reader: &reader, maxBytes: limits.maxBytes)
    else { return [:] }
    var limitsForVideo = VideoLimits.default
    limitsForVideo.maxSeconds = 120
    guard let frames = try? VideoHasher(limits: limitsForVideo).frames(numbers, of: bytes) else { return [:] }
    return frames.compactMapValues { dataURI(of: $0, side: side) }
  }

  /// A recorded file's bytes read back, when they are still those scanned (their SHA-256 is
  /// `expectedSHA256`, when recorded).
  private static func scannedBytes(
    _ path: RawPath, location: EvidenceLocation?, member: ArchiveMember?, size: Int?, expectedSHA256: String?,
    reader: inout RecordedFileReader, maxBytes: Int
  ) -> [UInt8]? {
    guard let bytes = try? reader.contents(path: path, location: location, member: member, size: size, maxBytes: maxBytes) else { return nil }
    if let expectedSHA256, bytes.withUnsafeBytes({ FileDigests(of: $0).sha256.hexString }) != expectedSHA256 { return nil }
    return bytes
  }

  /// A thumbnail of a picture: scaled to fit `side` by box averages, as a JPEG data URI.
  static func dataURI(of image: PixelImage, side: Int) -> String? {
    jpeg(of: image, side: side).map { "data:image/jpeg;base64," + Data($0).base64EncodedString() }
  }

  /// A thumbnail of a picture as JPEG bytes: scaled to fit `side` by box averages, in grey
  /// when asked.
  static func jpeg(of image: PixelImage, side: Int, greyscale: Bool = false) -> [UInt8]? {
    let scale = max(1, (max(image.width, image.height) + side - 1) / side)
    let width = max(1, image.width / scale), height = max(1, image.height / scale)
    let channels = image.layout.channels
    var pixels = [UInt8](repeating: 0, count: width * height * channels)
    // Box average of each scale × scale block.
    image.pixels.withUnsafeBufferPointer { source in
      for y in 0..<height {
        for x in 0..<width {
          for c in 0..<channels {
            var sum = 0
            for dy in 0..<scale {
              let row = (y * scale + dy) * image.width
              for dx in 0..<scale { sum += Int(source[(row + x * scale + dx) * channels + c]) }
            }
            pixels[(y * width + x) * channels + c] = UInt8(sum / (scale * scale))
          }
        }
      }
    }
    var small = PixelImage(width: width, height: height, layout: image.layout, pixels: pixels)
    if greyscale, channels == 3 {
      var grey = [UInt8](repeating: 0, count: width * height)
      for i in 0..<(width * height) {
        let r = 299 * Int(pixels[3 * i]), g = 587 * Int(pixels[3 * i + 1]), b = 114 * Int(pixels[3 * i + 2])
        grey[i] = UInt8((r + g + b) / 1000)
      }
      small = PixelImage(width: width, height: height, layout: .gray, pixels: grey)
    }
    return try? JPEGEncoder.encode(small, quality: 75)
  }

  /// A picture or a video frame of a recorded file, read back read-only and checked by its
  /// SHA-256: the picture, or the video's frame `frame` (its first when nil).
  static func picture(
    _ path: RawPath, location: EvidenceLocation?, member: ArchiveMember?, size: Int?, expectedSHA256: String?, video: Bool, frame: Int?,
    reader: inout RecordedFileReader, limits: DecodingLimits = .default
  ) -> PixelImage? {
    guard
      let bytes = scannedBytes(
        path, location: location, member: member, size: size, expectedSHA256: expectedSHA256, reader: &reader, maxBytes: limits.maxBytes)
    else { return nil }
    if video {
      var limitsForVideo = VideoLimits.default
      limitsForVideo.maxSeconds = 120
      let number = frame ?? 0
      return (try? VideoHasher(limits: limitsForVideo).frames([number], of: bytes))?[number]
    }
    return try? ImageDecoder(limits: limits).decodeImage(bytes)
  }
}
