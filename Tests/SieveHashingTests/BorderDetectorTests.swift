import Foundation
import SieveCore
import SieveHashing
import SieveImaging
import SieveTestSupport
import Testing

@Suite struct BorderDetectorTests {
  /// A textured gray picture: seeded noise over a gradient, never flat.
  static func textured(width: Int, height: Int, seed: UInt64, base: Int = 60) -> [UInt8] {
    var rng = SplitMix64(seed: seed)
    return (0..<(width * height)).map { i in UInt8(clamping: base + (i % width) / 8 + (i / width) / 8 + Int(rng.next() % 40)) }
  }

  /// `content` of `w × h` on a canvas of `level`, with these margins.
  static func padded(_ content: [UInt8], _ w: Int, _ h: Int, top: Int, bottom: Int, left: Int, right: Int, level: UInt8)
    -> (pixels: [UInt8], width: Int, height: Int)
  {
    let (W, H) = (w + left + right, h + top + bottom)
    var out = [UInt8](repeating: level, count: W * H)
    for y in 0..<h { for x in 0..<w { out[(y + top) * W + x + left] = content[y * w + x] } }
    return (out, W, H)
  }

  static func rectangles(_ pixels: [UInt8], _ w: Int, _ h: Int) -> [BorderDetector.Rectangle] {
    let luma = pixels.map(Float.init)
    return luma.withUnsafeBufferPointer { BorderDetector().contentRectangles(luma: $0, width: w, height: h) }
  }

  @Test(arguments: [(0 as UInt8), 255, 128])
  func padsAreFoundExactly(level: UInt8) throws {
    let content = Self.textured(width: 200, height: 150, seed: UInt64(level))
    let padded = Self.padded(content, 200, 150, top: 15, bottom: 15, left: 20, right: 20, level: level)
    let found = Self.rectangles(padded.pixels, padded.width, padded.height)
    let first = try #require(found.first)
    #expect(first == (20, 15, 200, 150))
    // The trimmed picture's hash is the content's own PDQ hash, bit for bit.
    var options = HashOptions(pdq: true, phash: false)
    options.borders = true
    var hasher = ImageHasher(options: options)
    let trimmed = hasher.hash(PixelImage(width: padded.width, height: padded.height, layout: .gray, pixels: padded.pixels))
    var plain = ImageHasher(options: HashOptions(pdq: true, phash: false))
    let own = plain.hash(PixelImage(width: 200, height: 150, layout: .gray, pixels: content)).pdq?.hash
    #expect(trimmed.pdq?.variants(.trimmed).first?.hash == own)
  }

  @Test func texturedPicturesAreNotTrimmed() {
    #expect(Self.rectangles(Self.textured(width: 300, height: 200, seed: 5), 300, 200).isEmpty)
  }

  /// Dark content continuing a black bar past 40 % of the picture is not eaten: that side
  /// keeps its bar, and the even candidate trims the bars only.
  @Test func darkContentIsNotEaten() throws {
    let (w, h) = (200, 200)
    var content = Self.textured(width: w, height: h, seed: 9)
    // The top 45 % of the content is black sky.
    for y in 0..<(h * 45 / 100) { for x in 0..<w { content[y * w + x] = 0 } }
    let padded = Self.padded(content, w, h, top: 25, bottom: 25, left: 0, right: 0, level: 0)
    let found = Self.rectangles(padded.pixels, padded.width, padded.height)
    // The bottom bar is found; the top bar runs into the sky beyond the limit and is kept
    // in the picture rather than cut into the sky.
    #expect(found.contains { $0 == (0, 0, 200, 225) } || found.contains { $0 == (0, 25, 200, 200) }, "\(found)")
    #expect(!found.contains { $0.y > 25 }, "\(found)")
  }

  /// A letterboxed night sky: black sky continues both bars, so no pixel tells where the
  /// bars end; the trim that leaves the picture a common shape (here square) is a
  /// candidate, and only that one recovers the picture.
  @Test func barsContinuedByBlackSkyComeOffAtACommonShape() throws {
    let (w, h) = (200, 200)
    var content = Self.textured(width: w, height: h, seed: 21)
    for y in 0..<20 { for x in 0..<w { content[y * w + x] = 0; content[(h - 1 - y) * w + x] = 0 } }
    let boxed = Self.padded(content, w, h, top: 25, bottom: 25, left: 0, right: 0, level: 0)
    let found = Self.rectangles(boxed.pixels, boxed.width, boxed.height)
    #expect(found.contains { $0 == (0, 25, 200, 200) }, "\(found)")
    // Square is the one common shape the bands allow; without it, every candidate cuts
    // into the sky.
    #expect(BorderDetector.commonShapeTrims(along: 250, across: 200, upTo: 55) == [50, 45, 25])
    #expect(BorderDetector.commonShapeTrims(along: 250, across: 200, upTo: 45) == [45, 25])
    #expect(BorderDetector.commonShapeTrims(along: 250, across: 200, upTo: 24).isEmpty)
    var shapeless = BorderDetector()
    shapeless.maxShapeTrims = 0
    let guessed = boxed.pixels.map(Float.init).withUnsafeBufferPointer {
      shapeless.contentRectangles(luma: $0, width: boxed.width, height: boxed.height)
    }
    #expect(!guessed.isEmpty && guessed.allSatisfy { $0.y > 25 }, "\(guessed)")
  }

  /// A coloured pad saved as JPEG rings in its last lines before the picture's edge (4:2:0
  /// chroma blocks are 16 lines): the trim still ends at the edge, within a line, where
  /// the flat lines alone stop up to 7 lines short.
  @Test func jpegRingingBeforeTheEdgeIsCrossed() throws {
    let (w, h) = (200, 150)
    var rng = SplitMix64(seed: 4)
    var rgb: [UInt8] = []
    for y in 0..<h { for x in 0..<w { rgb += [UInt8(40 + x / 4), UInt8(60 + y / 4), UInt8(rng.next() % 120)] } }
    let (top, bottom, left, right) = (21, 19, 13, 27)
    let (W, H) = (w + left + right, h + top + bottom)
    var padded = [UInt8](repeating: 0, count: W * H * 3)
    for i in 0..<(W * H) { padded[3 * i] = 208; padded[3 * i + 1] = 40; padded[3 * i + 2] = 90 }
    for y in 0..<h { for x in 0..<w { for c in 0..<3 { padded[((y + top) * W + x + left) * 3 + c] = rgb[(y * w + x) * 3 + c] } } }
    let bytes = try JPEGEncoder.encode(PixelImage(width: W, height: H, layout: .rgb, pixels: padded), quality: 90)
    let decoded = try ImageDecoder().decodeImage(bytes)
    let luma = (0..<(W * H)).map { i -> Float in
      let p = decoded.pixels[(3 * i)..<(3 * i + 3)].map(Float.init)
      return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]
    }
    func near(_ r: BorderDetector.Rectangle) -> Bool {
      abs(r.x - left) <= 1 && abs(r.y - top) <= 1 && abs(r.width - w) <= 1 && abs(r.height - h) <= 1
    }
    let found = luma.withUnsafeBufferPointer { BorderDetector().contentRectangles(luma: $0, width: W, height: H) }
    #expect(found.first.map(near) == true, "\(found) \(decoded.layout)")
    var flatOnly = BorderDetector()
    flatOnly.maxRingingLines = 0
    let short = luma.withUnsafeBufferPointer { flatOnly.contentRectangles(luma: $0, width: W, height: H) }
    #expect(!short.contains(where: near), "\(short)")
  }

  /// A screenshot's nested frames come off in rounds: desktop margin, title bar, edge.
  @Test func nestedFramesComeOffInRounds() throws {
    let content = Self.textured(width: 160, height: 120, seed: 3)
    let edged = Self.padded(content, 160, 120, top: 1, bottom: 1, left: 1, right: 1, level: 160)
    let titled = Self.padded(edged.pixels, edged.width, edged.height, top: 10, bottom: 0, left: 0, right: 0, level: 48)
    let shot = Self.padded(titled.pixels, titled.width, titled.height, top: 12, bottom: 12, left: 12, right: 12, level: 236)
    let found = Self.rectangles(shot.pixels, shot.width, shot.height)
    // Candidates within 2 pixels of one another count as one (PDQ does not tell them apart).
    #expect(found.contains { abs($0.x - 13) <= 2 && abs($0.y - 23) <= 2 && abs($0.width - 160) <= 2 && abs($0.height - 120) <= 2 }, "\(found)")
  }
}

@Suite struct VariantHashTests {
  /// Each fixed variant's hash equals the PDQ of its rectangle cut by a plain loop.
  @Test func cropVariantsEqualThePDQOfTheCutPixels() throws {
    let (w, h) = (301, 217)
    let pixels = BorderDetectorTests.textured(width: w, height: h, seed: 77)
    var options = HashOptions(pdq: true, phash: false)
    options.variants = PDQVariant.centreCrops + PDQVariant.sideCrops
    var hasher = ImageHasher(options: options)
    let output = try #require(hasher.hash(PixelImage(width: w, height: h, layout: .gray, pixels: pixels)).pdq)
    #expect(output.variants.map(\.variant) == options.variants)
    var plain = ImageHasher(options: HashOptions(pdq: true, phash: false))
    for variant in output.variants {
      let r = try #require(variant.variant.cropRectangle(width: w, height: h))
      var cut: [UInt8] = []
      for y in r.y..<(r.y + r.height) { for x in r.x..<(r.x + r.width) { cut.append(pixels[y * w + x]) } }
      let own = plain.hash(PixelImage(width: r.width, height: r.height, layout: .gray, pixels: cut)).pdq
      #expect(variant.hash == own?.hash && variant.quality == own?.quality, "\(variant.variant)")
    }
    // The centre crops keep the area they are named after, to a pixel.
    let crop80 = try #require(PDQVariant.crop80.cropRectangle(width: 1000, height: 500))
    #expect(abs(Double(crop80.width * crop80.height) / 500_000 - 0.8) < 0.002)
  }
}

@Suite struct BorderDetectorLimitsTests {
  /// Planes too small, thin or odd never trap or read outside the plane.
  @Test func tinyAndThinPlanes() {
    for (w, h) in [(1, 1), (1, 400), (400, 1), (15, 15), (16, 16), (16, 17), (17, 16), (16, 400), (400, 16), (31, 31)] {
      for level: UInt8 in [0, 255] {
        var pixels = [UInt8](repeating: level, count: w * h)
        if w > 4 && h > 4 { pixels[(h / 2) * w + w / 2] = 255 &- level }
        _ = BorderDetectorTests.rectangles(pixels, w, h)
      }
    }
  }

  /// Many nested uneven frames give at most maxCandidates pictures to hash.
  @Test func candidatesAreCapped() {
    var image = BorderDetectorTests.textured(width: 300, height: 300, seed: 1)
    var (w, h) = (300, 300)
    for (i, level) in ([0, 60, 120, 180, 240] as [UInt8]).enumerated() {
      let padded = BorderDetectorTests.padded(image, w, h, top: 12 + i, bottom: 25, left: 12, right: 25 + 2 * i, level: level)
      (image, w, h) = (padded.pixels, padded.width, padded.height)
    }
    let found = BorderDetectorTests.rectangles(image, w, h)
    #expect(!found.isEmpty && found.count <= BorderDetector().maxCandidates, "\(found.count)")
  }
}

@Suite struct ExtensionHashTests {
  /// A 90 %-area centre crop, extended by reflection as if it were one, comes back nearer
  /// its original's hash than the crop's own hash (2 of the 3 fixtures; q1050 from 72 bits
  /// to 38). The extension is sampled from the crop's blurred plane: on these fixtures it
  /// lay 22–74 bits from the PDQ of the crop padded by reflection and hashed whole, an
  /// approximation chosen for its cost (README: crop normalisation).
  @Test func aCentreCropExtendedComesBackNearItsOriginal() throws {
    let folder = TestData.fixtureVectors.appendingPathComponent("pdq/images/reg-test-input/labelme-subset")
    var plain = ImageHasher(options: HashOptions(pdq: true, phash: false))
    var options = HashOptions(pdq: true, phash: false)
    options.extensions = true
    var extending = ImageHasher(options: options)
    var closer = 0
    for name in ["q0122.jpg", "q1050.jpg", "q2821.jpg"] {
      let image = try ImageDecoder().decodeImage(TestData.bytes(folder.appendingPathComponent(name)))
      let own = try #require(plain.hash(image).pdq?.hash)
      let r = try #require(PDQVariant.crop90.cropRectangle(width: image.width, height: image.height))
      let c = image.layout.channels
      var cut: [UInt8] = []
      for y in r.y..<(r.y + r.height) { cut += image.pixels[((y * image.width + r.x) * c)..<((y * image.width + r.x + r.width) * c)] }
      let crop = extending.hash(PixelImage(width: r.width, height: r.height, layout: image.layout, pixels: cut))
      let output = try #require(crop.pdq)
      // Every extension is computed, and the image's own hash is untouched by them.
      #expect(output.variants.map(\.variant) == PDQVariant.extensions.map(\.variant))
      #expect(output.hash == plain.hash(PixelImage(width: r.width, height: r.height, layout: image.layout, pixels: cut)).pdq?.hash)
      let extended = try #require(output.variants(.extended90).first)
      if extended.hash.distance(to: own) < output.hash.distance(to: own) { closer += 1 }
      if name == "q1050.jpg" { #expect(extended.hash.distance(to: own) <= 40 && output.hash.distance(to: own) > 60) }
    }
    #expect(closer >= 2)
  }
}
