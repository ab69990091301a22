import CHeif
import SieveSystem

/// Decodes the primary image of HEIF/HEIC and AVIF files through libheif (with the
/// system's libde265 and dav1d/aom decoders), whose API returns errors as values.
/// Output is 8-bit RGB. libheif applies the file's rotation and mirroring boxes, as
/// pillow-heif does; alpha is dropped.
struct HEIFDecoder {
  let limits: DecodingLimits

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

  /// Checks the largest picture the file's HEVC streams code (``HEVCCodedSize``) against
  /// the limits: the container's declared size (`ispe`) can be smaller than what libheif
  /// will decode and allocate. Part of reading the header, so nothing is reserved for it.
  private func checkCodedSize(_ data: UnsafeRawBufferPointer, declared: ImageHeader) throws(ImagingError) -> ImageHeader {
    guard let coded = HEVCCodedSize.largest(in: data),
      ImageHeader.bytes(coded.width, coded.height) > ImageHeader.bytes(declared.width, declared.height)
    else {
      return declared
    }
    var checked = declared
    (checked.width, checked.height) = (coded.width, coded.height)
    checked.decoderBytes = ImageHeader.bytes(coded.width, coded.height, 11)
    try limits.check(checked)
    // Declared size for the output, coded size for the memory to reserve.
    var header = declared
    header.decoderBytes = checked.decoderBytes
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

  /// "libheif 1.15.1".
  static var version: String { "libheif " + String(cString: heif_get_version()) }
}
