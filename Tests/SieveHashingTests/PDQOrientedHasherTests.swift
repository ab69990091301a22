import Foundation
import SieveCore
@testable import SieveHashing
import SieveImaging
import SieveTestSupport
import Testing

/// The turned pictures' PDQ hashes against an independent computation: the pixels turned
/// by a plain loop here, then hashed as any picture is.
@Suite struct PDQOrientedHasherTests {
  static let photos = [
    "vectors/pdq/images/reg-test-input/labelme-subset/q0122.jpg", "vectors/pdq/images/reg-test-input/labelme-subset/q1050.jpg",
    "vectors/pdq/images/bridge-mods/shrink-a-lot.jpg", "decoding/graya16.png",
    "vectors/pdq/images/bridge-mods/shrink-a-little.jpg",  // 1152 × 723: over the small-plane size
  ].map { TestData.repoRoot.appendingPathComponent("Tests/Fixtures/" + $0) }

  /// `image` transformed as `orientation` names, pixel by pixel.
  static func turned(_ image: PixelImage, _ orientation: PDQOrientation) -> PixelImage {
    let (w, h, c) = (image.width, image.height, image.layout.channels)
    let quarter = [.rotate90, .rotate270, .flipPlus1, .flipMinus1].contains(orientation)
    let (ow, oh) = quarter ? (h, w) : (w, h)
    var out = [UInt8](repeating: 0, count: ow * oh * c)
    for y in 0..<oh {
      for x in 0..<ow {
        // Where (x, y) of the result comes from, written out per case.
        let source: (x: Int, y: Int) =
          switch orientation {
          case .original: (x, y)
          case .rotate90: (w - 1 - y, x)  // counter-clockwise: the top-right corner comes to the top left
          case .rotate180: (w - 1 - x, h - 1 - y)
          case .rotate270: (y, h - 1 - x)  // clockwise: the top-left corner goes to the top right
          case .flipX: (x, h - 1 - y)
          case .flipY: (w - 1 - x, y)
          case .flipPlus1: (y, x)
          case .flipMinus1: (w - 1 - y, h - 1 - x)
          }
        for k in 0..<c { out[(y * ow + x) * c + k] = image.pixels[(source.y * w + source.x) * c + k] }
      }
    }
    return PixelImage(width: ow, height: oh, layout: image.layout, pixels: out)
  }

  /// At full resolution, each orientation's hash is bit-exact the PDQ of the picture turned
  /// by the loop above; and it is the one of the DCT-domain variants of the same name that
  /// it is nearest (so the names mean the same in both).
  @Test(arguments: photos)
  func fullResolutionTurnsEqualTheTurnedPictures(_ url: URL) throws {
    let image = try ImageDecoder().decodeImage(TestData.bytes(url))
    var options = HashOptions(dihedral: true, phash: false)
    options.orientations = true
    options.orientationMethod = .turnedPlane(side: nil)
    var hasher = ImageHasher(options: options)
    let pdq = try #require(hasher.hash(image).pdq)
    let orientations = try #require(pdq.orientations)
    let dihedral = try #require(pdq.dihedral)
    var plain = ImageHasher(options: HashOptions(phash: false))
    for orientation in PDQOrientation.allCases {
      let expected = try #require(plain.hash(Self.turned(image, orientation)).pdq?.hash)
      #expect(orientations[orientation] == expected, "\(url.lastPathComponent) \(orientation)")
      let nearest = PDQOrientation.allCases.min { dihedral[$0].distance(to: expected) < dihedral[$1].distance(to: expected) }
      #expect(dihedral[orientation].distance(to: expected) == dihedral[nearest!].distance(to: expected), "\(orientation)")
    }
    #expect(orientations[.original] == pdq.hash)
  }

  /// From a plane reduced to 128 pixels on its long side: each turned hash stays near the
  /// full-resolution one, and the original's stays bit-exact.
  @Test func reducedPlaneTurnsStayNear() throws {
    for url in Self.photos {
      let image = try ImageDecoder().decodeImage(TestData.bytes(url))
      var options = HashOptions(phash: false)
      options.orientations = true
      options.orientationMethod = .turnedPlane(side: nil)
      var full = ImageHasher(options: options)
      options.orientationMethod = .turnedPlane(side: 128)
      var reduced = ImageHasher(options: options)
      let exact = try #require(full.hash(image).pdq)
      let near = try #require(reduced.hash(image).pdq)
      #expect(near.hash == exact.hash)
      for orientation in PDQOrientation.allCases.dropFirst() {
        let distance = near.orientations![orientation].distance(to: exact.orientations![orientation])
        #expect(distance <= 40, "\(url.lastPathComponent) \(orientation): \(distance) bits")
      }
    }
  }

  /// From the one blurred plane (the default; planes up to 256 × 256 are turned whole, so
  /// only the 1152 × 723 photo takes the blurred path): each turned hash within a few bits
  /// of the exact one, and much nearer than the DCT-domain variant of the same name.
  @Test func blurredPlaneTurnsStayNearTheExactOnes() throws {
    var total = 0
    var totalDihedral = 0
    for url in Self.photos {
      let image = try ImageDecoder().decodeImage(TestData.bytes(url))
      var options = HashOptions(dihedral: true, phash: false)
      options.orientations = true
      options.orientationMethod = .turnedPlane(side: nil)
      var exactHasher = ImageHasher(options: options)
      options.orientationMethod = .blurredPlane
      var blurredHasher = ImageHasher(options: options)
      let exact = try #require(exactHasher.hash(image).pdq)
      let blurred = try #require(blurredHasher.hash(image).pdq)
      #expect(blurred.hash == exact.hash)
      for orientation in PDQOrientation.allCases {
        let distance = blurred.orientations![orientation].distance(to: exact.orientations![orientation])
        #expect(distance <= 16, "\(url.lastPathComponent) \(orientation): \(distance) bits")
        total += distance
        totalDihedral += exact.dihedral![orientation].distance(to: exact.orientations![orientation])
      }
    }
    #expect(total * 4 < totalDihedral, "\(total) bits off in all, against \(totalDihedral) for the DCT-domain variants")
  }

  /// The plane is reduced by whole factors, block means.
  @Test func reductionAveragesBlocks() {
    let plane: [Float] = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22]  // 4 × 3
    var out = [Float](repeating: -1, count: 2)
    plane.withUnsafeBufferPointer { source in
      out.withUnsafeMutableBufferPointer { PDQOrientedHasher.reduce(source, width: 4, factor: 2, into: $0, width: 2, height: 1) }
    }
    let expected: [Float] = [5, 9]  // (0 + 2 + 8 + 10) / 4, (4 + 6 + 12 + 14) / 4
    #expect(out == expected)
  }
}
