import Foundation
import SieveCore
import SieveImaging
import SieveTestSupport
import Testing

@testable import SieveHashing

@Suite struct PDQHasherTests {
  @Test func tinyImagesGetTheZeroHash() {
    var hasher = PDQHasher()
    for (w, h) in [(4, 100), (100, 4), (1, 1)] {
      let result = hasher.hash(luma: [Float](repeating: 7, count: w * h), width: w, height: h, dihedral: true)
      #expect(result.hash == .zero && result.quality == 0)
      #expect(result.dihedral?.hashes == Array(repeating: .zero, count: 8))
    }
  }

  @Test func everySizeFromFiveUpHashesWithoutTrapping() {
    var rng = SplitMix64(seed: 5)
    var hasher = ImageHasher(options: HashOptions(dihedral: true))
    for (w, h) in [(5, 5), (5, 64), (64, 5), (63, 63), (64, 64), (65, 65), (31, 33), (513, 7), (7, 513)] {
      let pixels = (0..<w * h * 3).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      let hashes = hasher.hash(PixelImage(width: w, height: h, layout: .rgb, pixels: pixels))
      #expect(hashes.pdq != nil && hashes.phash != nil)
      #expect(hashes.width == w && hashes.height == h)
    }
  }

  @Test func dihedralOriginalIsThePlainHash() throws {
    var hasher = ImageHasher(options: HashOptions(dihedral: true))
    let url = TestData.fixtureVectors.appendingPathComponent("pdq/images/reg-test-input/labelme-subset/q0122.jpg")
    let result = try hasher.hash(TestData.bytes(url))
    let pdq = try #require(result.pdq)
    #expect(pdq.dihedral?[.original] == pdq.hash)
    // Rotating twice by 90° in the DCT domain equals rotating by 180° up to sign ties.
    #expect(pdq.dihedral!.hashes.allSatisfy { $0.nonzeroBitCount <= 128 })
  }

  @Test func grayRGBImageHashesLikeItsGrayVersion() throws {
    // An RGB image whose pixels are all gray hashes on the gray values (spec §2.3),
    // exactly like the same pixels delivered as a 1-channel image.
    var rng = SplitMix64(seed: 11)
    let (w, h) = (96, 80)
    let gray = (0..<w * h).map { i in UInt8(truncatingIfNeeded: (i % w) * 2 + Int(rng.next() % 20)) }
    let rgb = gray.flatMap { [$0, $0, $0] }
    var hasher = ImageHasher()
    let a = hasher.hash(PixelImage(width: w, height: h, layout: .gray, pixels: gray))
    let b = hasher.hash(PixelImage(width: w, height: h, layout: .rgb, pixels: rgb))
    #expect(a == b)
  }

  @Test func referenceCLISquashOnlyAboveFiveHundredTwelve() throws {
    var rng = SplitMix64(seed: 3)
    let (w, h) = (700, 300)
    let pixels = (0..<w * h * 3).map { _ in UInt8(truncatingIfNeeded: rng.next() % 64 + 100) }
    let image = PixelImage(width: w, height: h, layout: .rgb, pixels: pixels)
    var full = ImageHasher(options: HashOptions(pdqMode: .fullResolution, phash: false))
    var cli = ImageHasher(options: HashOptions(pdqMode: .referenceCLI, phash: false))
    // The squash: column x samples floor(x·W/512), row y samples floor(y·H/512).
    var squashed = [UInt8](repeating: 0, count: 512 * 512 * 3)
    for y in 0..<512 {
      let sy = Int(Double(y) * Double(h) / 512)
      for x in 0..<512 {
        let sx = Int(Double(x) * Double(w) / 512)
        for c in 0..<3 { squashed[(y * 512 + x) * 3 + c] = pixels[(sy * w + sx) * 3 + c] }
      }
    }
    let expected = full.hash(PixelImage(width: 512, height: 512, layout: .rgb, pixels: squashed))
    let actual = cli.hash(image)
    #expect(actual.pdq == expected.pdq)
    #expect(actual.pdqMode == .referenceCLI)
    #expect(actual.width == w && actual.height == h)
    // At or under 512 a side, both modes agree.
    let small = PixelImage(width: 512, height: 300, layout: .rgb, pixels: Array(pixels.prefix(512 * 300 * 3)))
    #expect(full.hash(small).pdq == cli.hash(small).pdq)
  }
}

@Suite struct FastModeTests {
  @Test func scaleKeepsTheShortSideAt384OrMore() {
    #expect(HashOptions.fastScaleDenominator(width: 4032, height: 3024) == 4)  // 756 px
    #expect(HashOptions.fastScaleDenominator(width: 10_000, height: 10_000) == 8)  // 1250 px
    #expect(HashOptions.fastScaleDenominator(width: 1024, height: 768) == 2)  // 384 px
    #expect(HashOptions.fastScaleDenominator(width: 1024, height: 767) == 2)  // ceil(767 / 2) = 384, as libjpeg sizes it
    #expect(HashOptions.fastScaleDenominator(width: 1024, height: 765) == 1)
    #expect(HashOptions.fastScaleDenominator(width: 300, height: 5000) == 1)
  }

  @Test func fastModeDecodesLargeJPEGsScaledAndReportsIt() throws {
    var rng = SplitMix64(seed: 21)
    let (w, h) = (1600, 1000)
    var pixels = [UInt8](repeating: 0, count: w * h * 3)
    for y in 0..<h {
      for x in 0..<w {
        let i = (y * w + x) * 3
        pixels[i] = UInt8((x / 7 + y / 11) & 0xFF)
        pixels[i + 1] = UInt8((x * y / 997) & 0xFF)
        pixels[i + 2] = UInt8(truncatingIfNeeded: rng.next() % 16 + UInt64(y / 8))
      }
    }
    let jpeg = try JPEGEncoder.encode(PixelImage(width: w, height: h, layout: .rgb, pixels: pixels), quality: 90)
    var exact = ImageHasher()
    var fast = ImageHasher(options: HashOptions(fastJPEG: true))
    let e = try exact.hash(jpeg)
    let f = try fast.hash(jpeg)
    #expect(e.scaleDenominator == 1)
    #expect(f.scaleDenominator == 2)  // short side 1000 -> 500
    #expect(f.width == w && f.height == h)
    let drift = try #require(f.pdq).hash.distance(to: try #require(e.pdq).hash)
    #expect(drift <= 40, "PDQ drift \(drift)")
  }
}

@Suite struct LowerMedianTests {
  /// Selection gives exactly `sorted()[127]`, ties and repeated values included.
  @Test func selectionEqualsSorting() {
    var rng = SplitMix64(seed: 4)
    for round in 0..<2_000 {
      let block: [Float] = (0..<256).map { _ in
        switch round % 4 {
        case 0: return Float(Int(rng.next() % 7))  // many ties
        case 1: return Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0x7f7f_ffff) * (rng.next() % 2 == 0 ? 1 : -1)
        case 2: return Float(round)  // all equal
        default: return Float(Int(rng.next() % 100_000)) / 7
        }
      }
      #expect(PDQHasher.lowerMedian(block) == block.sorted()[127])
    }
  }
}
