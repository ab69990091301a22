// libFuzzer entry point for the image decoders: any input must come back as pixels or
// as an ImagingError, never a crash, a trap, a leak or a sanitizer report.
// Built and run by Scripts/fuzz_decoder.sh, compiled together with SieveImaging's sources.

@_cdecl("LLVMFuzzerTestOneInput")
public func decoderFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  // Small limits keep each run fast; the shapes of hostile headers are what matter.
  let decoder = ImageDecoder(limits: DecodingLimits(maxPixels: 4_000_000, maxSeconds: 2))
  _ = try? decoder.header(of: bytes)
  var collector = PixelImage.Collector()
  _ = try? decoder.decode(bytes, into: &collector)
  var scaled = PixelImage.Collector()
  _ = try? decoder.decode(bytes, jpegScaleDenominator: 8, into: &scaled)
  return 0
}
