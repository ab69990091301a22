import SieveImaging
import SieveTestSupport
import Testing

/// Corrupt, truncated, hostile and enormous inputs: always an ``ImagingError``, never
/// a crash, and a decompression bomb is refused from its header.
@Suite struct HostileInputTests {
  static func synthetic(width: Int, height: Int, layout: PixelLayout = .rgb, seed: UInt64 = 1) -> PixelImage {
    var rng = SplitMix64(seed: seed)
    var pixels = [UInt8](repeating: 0, count: width * height * layout.channels)
    for y in 0..<height {
      for x in 0..<width {
        for c in 0..<layout.channels {
          let base = x * 180 / max(width - 1, 1) + y * 50 / max(height - 1, 1) + c * 20
          pixels[(y * width + x) * layout.channels + c] = UInt8(clamping: base + Int(rng.next() % 8))
        }
      }
    }
    return PixelImage(width: width, height: height, layout: layout, pixels: pixels)
  }

  /// Decodes and returns the error, or `nil` when it decoded.
  static func decodeError(_ bytes: [UInt8], limits: DecodingLimits = .default) -> ImagingError? {
    do {
      _ = try ImageDecoder(limits: limits).decodeImage(bytes)
      return nil
    } catch let error as ImagingError {
      return error
    } catch {
      Issue.record("unexpected error type: \(error)")
      return nil
    }
  }

  @Test func emptyAndGarbage() {
    #expect(Self.decodeError([]) == .empty)
    var rng = SplitMix64(seed: 7)
    let garbage = (0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    guard case .unrecognizedFormat = Self.decodeError(garbage) else {
      Issue.record("garbage was not reported as unrecognised")
      return
    }
  }

  @Test func truncatedJPEGAtEveryCutIsAnErrorNotACrash() throws {
    for progressive in [false, true] {
      let jpeg = try JPEGEncoder.encode(Self.synthetic(width: 64, height: 40), quality: 85, progressive: progressive)
      #expect(Self.decodeError(jpeg) == nil)
      for cut in stride(from: 0, to: jpeg.count - 2, by: 7) {
        let error = Self.decodeError(Array(jpeg.prefix(cut)))
        #expect(error != nil, "cut at \(cut) of \(jpeg.count) decoded without error (progressive \(progressive))")
      }
      let half = Self.decodeError(Array(jpeg.prefix(jpeg.count / 2)))
      guard case .truncated = half else {
        Issue.record("half a JPEG gave \(String(describing: half))")
        continue
      }
    }
  }

  @Test func randomCorruptionNeverCrashes() throws {
    let jpeg = try JPEGEncoder.encode(Self.synthetic(width: 48, height: 48), quality: 90, progressive: true)
    let seed = UInt64.random(in: 0...UInt64.max)
    var rng = SplitMix64(seed: seed)
    for _ in 0..<300 {
      var bytes = jpeg
      for _ in 0..<Int(rng.next() % 8 + 1) {
        let at = 2 + Int(rng.next() % UInt64(bytes.count - 2))
        bytes[at] = UInt8(truncatingIfNeeded: rng.next())
      }
      _ = Self.decodeError(bytes)  // any outcome but a crash is fine
    }
    // PNG signature followed by noise.
    for _ in 0..<100 {
      let noise = (0..<Int(rng.next() % 512)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      #expect(Self.decodeError([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + noise) != nil, "seed \(seed)")
    }
  }

  @Test func pngBombIsRefusedFromItsHeader() {
    let png = PNGBuilder.png(width: 100_000, height: 100_000, colorType: 2, bitDepth: 8, idat: [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
    #expect(Self.decodeError(png) == .tooLarge(width: 100_000, height: 100_000, limit: "250000000 pixels"))
    let header = try? ImageDecoder().header(of: png)
    #expect(header?.width == 100_000)
  }

  @Test func jpegBombIsRefusedFromItsHeader() throws {
    // Rewrite the SOF0 dimensions of a real JPEG to 60000×60000.
    var jpeg = try JPEGEncoder.encode(Self.synthetic(width: 16, height: 16), quality: 80)
    let sof = try #require((0..<jpeg.count - 1).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
    jpeg[sof + 5] = 0xEA
    jpeg[sof + 6] = 0x60
    jpeg[sof + 7] = 0xEA
    jpeg[sof + 8] = 0x60
    #expect(Self.decodeError(jpeg) == .tooLarge(width: 60_000, height: 60_000, limit: "250000000 pixels"))
  }

  @Test func limitsAreConfigurable() throws {
    let jpeg = try JPEGEncoder.encode(Self.synthetic(width: 200, height: 100), quality: 80)
    #expect(Self.decodeError(jpeg, limits: DecodingLimits(maxPixels: 19_999)) == .tooLarge(width: 200, height: 100, limit: "19999 pixels"))
    #expect(Self.decodeError(jpeg, limits: DecodingLimits(maxPixels: 20_000)) == nil)
    #expect(Self.decodeError(jpeg, limits: DecodingLimits(maxBytes: 100)) == .fileTooLarge(bytes: jpeg.count, limit: 100))
    #expect(Self.decodeError(jpeg, limits: DecodingLimits(maxDimension: 150)) == .tooLarge(width: 200, height: 100, limit: "150 pixels a side"))
  }

  @Test func decodeTimeLimit() throws {
    let image = Self.synthetic(width: 1500, height: 1000)
    let jpeg = try JPEGEncoder.encode(image, quality: 90, progressive: true)
    #expect(Self.decodeError(jpeg, limits: DecodingLimits(maxSeconds: 1e-6)) == .timedOut(seconds: 1e-6))
    let png = PNGBuilder.png(image)
    #expect(Self.decodeError(png, limits: DecodingLimits(maxSeconds: 1e-6)) == .timedOut(seconds: 1e-6))
  }

  @Test func deadlinesSaturateInsteadOfTrapping() throws {
    let jpeg = try JPEGEncoder.encode(Self.synthetic(width: 32, height: 32))
    for seconds in [Double.infinity, .nan, -1, 1e300, 0] {
      // Any of these must decode or time out, never trap.
      _ = Self.decodeError(jpeg, limits: DecodingLimits(maxSeconds: seconds, maxProgressiveScans: .max))
    }
    #expect(Self.decodeError(jpeg, limits: DecodingLimits(maxSeconds: .infinity)) == nil)
  }

  @Test func errorMessagesAreForPeople() {
    #expect(ImagingError.empty.description == "empty file (0 bytes)")
    #expect(ImagingError.unrecognizedFormat(signature: [0x68, 0x65]).description == "not a recognised image (first bytes: 68 65)")
    #expect(ImagingError.unsupportedFormat(.gif).description == "GIF images are recognised but not decoded by this build")
    #expect(ImagingError.tooLarge(width: 5, height: 6, limit: "7 pixels").description == "image is 5×6, over the limit of 7 pixels (see --max-pixels)")
  }
}
