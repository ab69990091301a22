import CHeif
import SieveSystem

/// Decodes the primary image of HEIF/HEIC and AVIF files through libheif (with the
/// system's libde265 and dav1d/aom decoders), whose API returns errors as values.
/// Output is 8-bit RGB. libheif applies the file's rotation and mirroring boxes, as
/// pillow-heif does; alpha is dropped.
struct HEIFDecoder {
  let limits: DecodingLimits

  /// All the pictures a file codes together may have this many times ``DecodingLimits/maxPixels``.
  static let maxCodedPixelsPerPixelLimit = 4

  /// A libheif context holding the file, freed on deinit.
  final class Context {
    let pointer: OpaquePointer
    init() { pointer = heif_context_alloc() }
    deinit { heif_context_free(pointer) }
  }

  private static func error(_ e: heif_error, _ what: String) -> ImagingError {
    let message = e.message.map { String(cString: $0) } ?? "libheif error \(e.code.rawValue)"
    switch e.code {
    case heif_error_Unsupported_filetype, heif_error_Unsupported_feature: return .unsupported("\(what): \(message)")
    case heif_error_Memory_allocation_error: return .outOfMemory
    default:
      return message.lowercased().contains("end of") || message.lowercased().contains("insufficient")
        ? .truncated("\(what): \(message)") : .corrupt("\(what): \(message)")
    }
  }

  private func primary(_ data: UnsafeRawBufferPointer) throws(ImagingError) -> (Context, OpaquePointer) {
    do { try OnDemandLibrary.heif.load() } catch { throw .unsupported(error.reason) }
    let context = Context()
    // libheif's own fence: no side over the dimension limit (it refuses such images while
    // parsing, before decoding any tile).
    heif_context_set_maximum_image_size_limit(context.pointer, Int32(clamping: limits.maxDimension))
    var e = heif_context_read_from_memory_without_copy(context.pointer, data.baseAddress, data.count, nil)
    guard e.code == heif_error_Ok else { throw Self.error(e, "reading the HEIF container") }
    var handle: OpaquePointer?
    e = heif_context_get_primary_image_handle(context.pointer, &handle)
    guard e.code == heif_error_Ok, let handle else { throw Self.error(e, "finding the primary image") }
    return (context, handle)
  }

  /// Checks what the file really codes (``HEIFCodedPictures``) against the limits: the
  /// container's declared size (`ispe`) can be smaller than what libheif and its decoders
  /// will allocate. The largest picture or canvas is checked like a declared size and its
  /// memory reserved. Then all coded items together are checked against the
  /// pixels-per-byte limit: a grid whose tiles each declare 128×128 but code 2048×2048
  /// takes libheif seconds to decode from an 11 KB file, though no one picture is large.
  private func checkCodedSize(_ data: UnsafeRawBufferPointer, declared: ImageHeader) throws(ImagingError) -> ImageHeader {
    let coded = try HEIFCodedPictures(data)
    var header = declared
    let declaredPixels = ImageHeader.bytes(declared.width, declared.height)
    if let largest = coded.largest, largest.pixels > declaredPixels {
      var checked = declared
      (checked.width, checked.height) = (largest.width, largest.height)
      try limits.check(checked)
      // Declared size for the output, coded size for the memory to reserve.
      header.decoderBytes = ImageHeader.bytes(largest.width, largest.height, 11)
    }
    guard coded.totalPixels > max(declaredPixels, coded.largest?.pixels ?? 0) else { return header }
    if let limit = limits.pixelsPerByteLimit(forPixels: coded.totalPixels), coded.totalPixels / max(data.count, 1) > limit {
      throw .corrupt(
        "its coded items hold \(coded.totalPixels) pixels in only \(data.count) bytes, over \(limit) pixels per byte: "
          + "a decompression bomb")
    }
    // Thumbnails, alpha and depth planes and a few more pictures add up to less; a file
    // of more than this many can take minutes of libheif, which cannot be interrupted.
    let (most, overflow) = limits.maxPixels.multipliedReportingOverflow(by: Self.maxCodedPixelsPerPixelLimit)
    if !overflow, coded.totalPixels > most {
      throw .corrupt(
        "its coded items hold \(coded.totalPixels) pixels, over \(Self.maxCodedPixelsPerPixelLimit) times the limit of "
          + "\(limits.maxPixels) pixels")
    }
    return header
  }

  func header(of data: UnsafeRawBufferPointer) throws(ImagingError) -> ImageHeader {
    let (context, handle) = try primary(data)
    defer { heif_image_handle_release(handle); withExtendedLifetime(context) {} }
    let declared = Self.header(
      width: Int(heif_image_handle_get_width(handle)), height: Int(heif_image_handle_get_height(handle)),
      colorModel: heif_image_handle_has_alpha_channel(handle) != 0 ? "RGB+alpha" : "RGB",
      bitDepth: Int(heif_image_handle_get_luma_bits_per_pixel(handle)), encodedBytes: data.count)
    return try checkCodedSize(data, declared: declared)
  }

  /// libheif decodes into planes of up to 16 bits a sample (up to 6 bytes a pixel with its
  /// alpha plane at 4:4:4), then converts them into one interleaved RGB image.
  private static func header(width: Int, height: Int, colorModel: String, bitDepth: Int, encodedBytes: Int) -> ImageHeader {
    ImageHeader(
      format: .heif, width: width, height: height, colorModel: colorModel, bitDepth: bitDepth, isProgressive: true,
      layout: .rgb, encodedBytes: encodedBytes, decoderBytes: ImageHeader.bytes(width, height, 11))
  }

  func decode<Sink: PixelRowSink>(_ data: UnsafeRawBufferPointer, into sink: inout Sink) throws -> ImageHeader {
    let (context, handle) = try primary(data)
    defer { heif_image_handle_release(handle); withExtendedLifetime(context) {} }
    let header = Self.header(
      width: Int(heif_image_handle_get_width(handle)), height: Int(heif_image_handle_get_height(handle)),
      colorModel: "RGB", bitDepth: 8, encodedBytes: data.count)
    try limits.check(header)
    _ = try checkCodedSize(data, declared: header)
    // libheif 1.15 cannot interrupt a decode: the pixel limits above bound its work, and
    // the time limit is enforced when it returns.
    let deadline = limits.deadline(fromNanoseconds: FileSystem.monotonicNanoseconds())
    var image: OpaquePointer?
    let e = heif_decode_image(handle, &image, heif_colorspace_RGB, heif_chroma_interleaved_RGB, nil)
    guard e.code == heif_error_Ok, let image else { throw Self.error(e, "decoding the image") }
    defer { heif_image_release(image) }
    var stride: Int32 = 0
    guard let plane = heif_image_get_plane_readonly(image, heif_channel_interleaved, &stride) else {
      throw ImagingError.corrupt("libheif returned no pixels")
    }
    let width = Int(heif_image_get_width(image, heif_channel_interleaved))
    let height = Int(heif_image_get_height(image, heif_channel_interleaved))
    guard width > 0, height > 0, Int(stride) >= width * 3 else { throw ImagingError.corrupt("libheif returned an empty image") }
    // The decoded image must be the declared one (rotated at most): a grid or a transform
    // that grows it past what was checked and reserved is refused.
    guard (width, height) == (header.width, header.height) || (width, height) == (header.height, header.width) else {
      throw ImagingError.corrupt("libheif decoded \(width)×\(height), but the file declares \(header.width)×\(header.height)")
    }
    if deadline != 0, FileSystem.monotonicNanoseconds() > deadline { throw ImagingError.timedOut(seconds: limits.maxSeconds ?? 0) }
    try sink.begin(width: width, height: height, layout: .rgb)
    sink.consume(rows: plane, stride: Int(stride), firstRow: 0, count: height)
    return Self.header(width: width, height: height, colorModel: "RGB", bitDepth: 8, encodedBytes: data.count)
  }

  /// "libheif 1.15.1", as the library says (loading it), or why it cannot be loaded.
  static var version: String {
    do { try OnDemandLibrary.heif.load() } catch { return "libheif (\(error.reason))" }
    return "libheif " + String(cString: heif_get_version())
  }
}
