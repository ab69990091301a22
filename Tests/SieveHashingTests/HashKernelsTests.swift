import CHashKernels
import SieveCore
import SieveImaging
import SieveTestSupport
import Testing

@testable import SieveHashing

/// The C pixel kernels at every vector width against plain Swift transcriptions of the
/// references, and the row-by-row hashing path against hashing a whole luma plane.
/// Serialized: the kernel width is process-wide.
@Suite(.serialized) struct HashKernelsTests {
  static let levels: [Int32] = [1, 2, 3]

  static func atLevel<T>(_ level: Int32, _ body: () -> T) -> T {
    sieve_kernels_set_level(level)
    defer { sieve_kernels_set_level(0) }
    return body()
  }

  @Test("luma and gray of RGB rows, bit for bit, at every width and length")
  func lumaAndGray() {
    var rng = SplitMix64(seed: 21)
    for count in [1, 2, 15, 16, 17, 31, 33, 100, 1023, 4000] {
      var rgb = (0..<count * 3).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      if count == 100 { for i in 0..<count { rgb[3 * i + 1] = rgb[3 * i]; rgb[3 * i + 2] = rgb[3 * i] } }
      let expectedLuma = (0..<count).map { i -> Float in
        let (r, g, b) = (Float(rgb[3 * i]), Float(rgb[3 * i + 1]), Float(rgb[3 * i + 2]))
        return ((r * (0.299 as Float)) + (g * (0.587 as Float))) + (b * (0.114 as Float))
      }
      let expectedGray = (0..<count).map { i -> UInt16 in
        let r: UInt32 = UInt32(rgb[3 * i]) * 19595
        let g: UInt32 = UInt32(rgb[3 * i + 1]) * 38470
        let b: UInt32 = UInt32(rgb[3 * i + 2]) * 7471
        return UInt16((r + g + b + 0x8000) >> 16)
      }
      var allGray = true
      for i in 0..<count where rgb[3 * i] != rgb[3 * i + 1] || rgb[3 * i] != rgb[3 * i + 2] { allGray = false }
      for level in Self.levels {
        var luma = [Float](repeating: -1, count: count)
        var gray = [UInt16](repeating: 0xffff, count: count)
        let difference = Self.atLevel(level) { sieve_luma_from_rgb(rgb, &luma, &gray, count, 1) }
        #expect(luma.map(\.bitPattern) == expectedLuma.map(\.bitPattern), "luma, \(count) pixels, level \(level)")
        #expect(gray == expectedGray, "gray, \(count) pixels, level \(level)")
        #expect((difference == 0) == allGray, "gray check, \(count) pixels, level \(level)")
        var lumaOnly = [Float](repeating: -1, count: count)
        _ = Self.atLevel(level) { sieve_luma_from_rgb(rgb, &lumaOnly, nil, count, 1) }
        #expect(lumaOnly.map(\.bitPattern) == expectedLuma.map(\.bitPattern))
        // Without the gray check: the same luma and gray, and 1 whatever the pixels.
        var unchecked = [Float](repeating: -1, count: count)
        var uncheckedGray = [UInt16](repeating: 0xffff, count: count)
        let skipped = Self.atLevel(level) { sieve_luma_from_rgb(rgb, &unchecked, &uncheckedGray, count, 0) }
        #expect(unchecked.map(\.bitPattern) == expectedLuma.map(\.bitPattern) && uncheckedGray == expectedGray)
        #expect(skipped == 1, "unchecked, \(count) pixels, level \(level)")
      }
    }
  }

  @Test("Pillow's Lanczos rows, at every width, for reductions small and large")
  func resampling() {
    var rng = SplitMix64(seed: 22)
    // 300,000: the low halves' sum passes 2^31 (it wraps, as the reference's does not need to).
    for inputSize in [32, 33, 40, 64, 100, 257, 640, 1000, 4000, 12_000, 300_000] {
      let resampler = LanczosResampler(inputSize: inputSize, outputSize: 32)
      let row = (0..<inputSize).map { i in inputSize > 100_000 ? 255 : UInt16(truncatingIfNeeded: rng.next() % 256) }
      // The reference: Pillow's 32-bit fixed-point sum, wrapping as C's int32 would not need to.
      let expected = resampler.bounds.enumerated().map { out, bound -> UInt8 in
        var sum: Int32 = 0
        for x in 0..<bound.count {
          sum &+= Int32(row[bound.first + x]) &* resampler.weights[out * resampler.kernelSize + x]
        }
        return LanczosResampler.clip8(sum &+ (1 << 21))
      }
      for level in Self.levels {
        var output = [UInt8](repeating: 0, count: 32)
        Self.atLevel(level) {
          row.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { resampler.resampleRow(input.baseAddress!, into: $0.baseAddress!) }
          }
        }
        #expect(output == expected, "\(inputSize) → 32, level \(level)")
        // Both kernels, whichever resampleRow picks: 16-bit halves, and offset weights.
        var halves = [UInt8](repeating: 0, count: 32), offset = [UInt8](repeating: 0, count: 32)
        Self.atLevel(level) {
          sieve_resample_row(
            row, &halves, 32, resampler.firsts, resampler.counts, resampler.weightsHigh, resampler.weightsLow,
            resampler.kernelSize)
          if !resampler.weightsShifted.isEmpty {
            sieve_resample_row_offset(
              row, &offset, 32, resampler.firsts, resampler.counts, resampler.weightsShifted, resampler.weightsOffset,
              resampler.kernelSize)
            #expect(offset == expected, "offset weights, \(inputSize) → 32, level \(level)")
          }
        }
        #expect(halves == expected, "16-bit halves, \(inputSize) → 32, level \(level)")
      }
      // The offset kernel serves the big reductions (a photo's rows), not the small ones.
      #expect(resampler.weightsShifted.isEmpty == (inputSize < 4000), "\(inputSize) → 32")
    }
  }

  @Test("Pillow's Lanczos down columns, every column at once, as one column at a time")
  func columnResampling() {
    var rng = SplitMix64(seed: 23)
    for (inputSize, columns) in [(32, 32), (33, 32), (100, 32), (3000, 32), (4000, 32), (257, 7), (640, 70), (12_000, 65)] {
      let resampler = LanczosResampler(inputSize: inputSize, outputSize: 32)
      let block = (0..<inputSize * columns).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      // The reference: each column alone, Pillow's 32-bit fixed-point sum.
      var expected = [UInt8](repeating: 0, count: 32 * columns)
      for x in 0..<columns {
        for (out, bound) in resampler.bounds.enumerated() {
          var sum: Int32 = 0
          for t in 0..<bound.count {
            sum &+= Int32(block[(bound.first + t) * columns + x]) &* resampler.weights[out * resampler.kernelSize + t]
          }
          expected[out * columns + x] = LanczosResampler.clip8(sum &+ (1 << 21))
        }
      }
      for level in Self.levels {
        var output = [UInt8](repeating: 0, count: 32 * columns)
        Self.atLevel(level) {
          block.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer {
              resampler.resampleColumns(input.baseAddress!, columns: columns, into: $0.baseAddress!)
            }
          }
        }
        #expect(output == expected, "\(inputSize) rows of \(columns) → 32, level \(level)")
      }
    }
  }

  @Test("resamplers are kept per size, but not a very wide picture's (tens of MB each)")
  func resamplerCacheIsBounded() {
    // (Other suites add sizes meanwhile, and 64 sizes empty the cache: three tries.)
    #expect((0..<3).contains { _ in
      _ = LanczosResampler.shared(inputSize: 4000, outputSize: 32)
      return LanczosResampler.isKept(inputSize: 4000, outputSize: 32)
    })
    let wide = LanczosResampler.shared(inputSize: 1_000_000, outputSize: 32)
    #expect(wide.weights.count > 1 << 18)
    #expect(!LanczosResampler.isKept(inputSize: 1_000_000, outputSize: 32))
  }

  /// The hashes of an RGB picture through ``ImageHasher`` (rows fed to the blur as they
  /// come) and through its luma plane hashed whole.
  static func bothWays(_ image: PixelImage, options: HashOptions) -> (rowByRow: PDQOutput?, plane: PDQOutput) {
    var hasher = ImageHasher(options: options)
    let rowByRow = hasher.hash(image).pdq
    var allGray = true
    if image.layout == .rgb {
      let p = image.pixels
      for i in 0..<image.width * image.height where p[3 * i] != p[3 * i + 1] || p[3 * i] != p[3 * i + 2] {
        allGray = false
      }
    }
    let luma = (0..<image.width * image.height).map { i -> Float in
      if image.layout == .gray { return Float(image.pixels[i]) }
      let (r, g, b) = (Float(image.pixels[3 * i]), Float(image.pixels[3 * i + 1]), Float(image.pixels[3 * i + 2]))
      let value = ((r * (0.299 as Float)) + (g * (0.587 as Float))) + (b * (0.114 as Float))
      return allGray ? value.rounded() : value
    }
    var pdq = PDQHasher()
    return (rowByRow, pdq.hash(luma: luma, width: image.width, height: image.height, dihedral: options.dihedral))
  }

  @Test("rows fed as decoded hash like the whole plane: colour, gray, gray then colour, every width")
  func rowByRowEqualsThePlane() throws {
    var rng = SplitMix64(seed: 23)
    for (w, h) in [(300, 200), (97, 513), (1200, 40), (6, 700)] {
      let color = (0..<w * h * 3).map { _ in UInt8(truncatingIfNeeded: rng.next() % 200 + 20) }
      var grayThenColor = (0..<w * h).flatMap { i -> [UInt8] in let v = UInt8(i % 251); return [v, v, v] }
      // The last rows in colour: the gray rows seen first must still count as luma.
      for i in (w * (h - 3))..<(w * h) { grayThenColor[3 * i] &+= 9 }
      let gray = (0..<w * h).flatMap { i -> [UInt8] in let v = UInt8((i * 7) % 256); return [v, v, v] }
      let singleChannel = (0..<w * h).map { UInt8(truncatingIfNeeded: $0 * 13) }
      let images = [
        PixelImage(width: w, height: h, layout: .rgb, pixels: color),
        PixelImage(width: w, height: h, layout: .rgb, pixels: grayThenColor),
        PixelImage(width: w, height: h, layout: .rgb, pixels: gray),
        PixelImage(width: w, height: h, layout: .gray, pixels: singleChannel),
      ]
      for (n, image) in images.enumerated() {
        for level in Self.levels {
          let (rowByRow, plane) = Self.atLevel(level) { Self.bothWays(image, options: HashOptions(dihedral: true)) }
          let got = try #require(rowByRow)
          #expect(got.hash == plane.hash && got.quality == plane.quality, "\(w)×\(h), image \(n), level \(level)")
          #expect(got.dihedral == plane.dihedral, "\(w)×\(h), image \(n), level \(level): dihedral")
        }
      }
    }
  }

  @Test("a decoder that stops short: the missing rows count as black, the same each time")
  func rowsMissing() {
    let (w, h) = (200, 150)
    var rng = SplitMix64(seed: 24)
    let pixels = (0..<w * h * 3).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    var sink = HashingSink(options: HashOptions())
    try? sink.begin(width: w, height: h, layout: .rgb)
    pixels.withUnsafeBufferPointer { sink.consume(rows: $0.baseAddress!, stride: w * 3, firstRow: 0, count: 100) }
    var pdqHasher = PDQHasher()
    let short = sink.finish(using: &pdqHasher)
    var padded = pixels
    for i in (w * 100 * 3)..<padded.count { padded[i] = 0 }
    var hasher = ImageHasher()
    let full = hasher.hash(PixelImage(width: w, height: h, layout: .rgb, pixels: padded))
    #expect(short.pdq?.hash == full.pdq?.hash)
  }
}
