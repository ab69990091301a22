import Foundation
import SieveCore
@testable import SieveEval
import SieveHashing
import SieveImaging
import SieveTestSupport
import Testing

@Suite struct AttackTests {
  /// A benign synthetic picture: smooth gradients and a few discs, seeded.
  static func picture(width: Int, height: Int, seed: UInt64) -> PixelImage {
    var generator = SeededGenerator(seed: seed)
    let discs = (0..<5).map { _ in (generator.unit() * Double(width), generator.unit() * Double(height), 5 + generator.unit() * Double(width) / 4, UInt8(generator.next() & 255)) }
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height {
      for x in 0..<width {
        var v = (UInt8(x * 255 / width), UInt8(y * 255 / height), UInt8((x + y) * 127 / (width + height)))
        for (cx, cy, r, c) in discs where (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy) < r * r {
          v = (c, 255 - c, c / 2)
        }
        let i = (y * width + x) * 3
        (pixels[i], pixels[i + 1], pixels[i + 2]) = v
      }
    }
    return PixelImage(width: width, height: height, layout: .rgb, pixels: pixels)
  }

  @Test func theSuiteHasEveryAttackOfTheIssueWithUniqueNames() {
    let names = Attack.suite.map(\.name)
    #expect(Set(names).count == names.count)
    for required in ["jpeg90", "jpeg70", "jpeg50", "jpeg30", "down50", "up200", "crop90", "cropside", "pad10", "letterbox",
      "rot90", "rot180", "rot270", "mirror", "flip", "rot5", "blur", "noise", "brighter", "contrast", "gamma", "grayscale",
      "banner", "screenshot", "stretch"]
    {
      #expect(names.contains(required), "missing \(required)")
    }
  }

  @Test func attacksAreReproducibleFromTheSeed() throws {
    let image = Self.picture(width: 120, height: 90, seed: 3)
    for (a, attack) in Attack.suite.enumerated() {
      var g1 = SeededGenerator(seed: 42, image: 0, attack: a)
      var g2 = SeededGenerator(seed: 42, image: 0, attack: a)
      #expect(try attack.apply(image, &g1) == attack.apply(image, &g2), "\(attack.name)")
    }
    // The noise differs with the seed.
    let noise = Attack.suite.firstIndex { $0.name == "noise" }!
    var g1 = SeededGenerator(seed: 1, image: 0, attack: noise)
    var g2 = SeededGenerator(seed: 2, image: 0, attack: noise)
    #expect(try Attack.suite[noise].apply(image, &g1) != Attack.suite[noise].apply(image, &g2))
  }

  /// The suite's turned copies (plain pixel loops) hash exactly as the hasher's turned
  /// pictures of the original: two independent computations of the same thing.
  @Test(arguments: [(64, 48), (300, 200), (333, 517)])
  func turnedCopiesMatchTheHashersOrientations(width: Int, height: Int) throws {
    let image = Self.picture(width: width, height: height, seed: UInt64(width))
    var options = HashOptions(pdq: true, phash: false)
    options.orientations = true
    options.orientationMethod = .turnedPlane(side: nil)
    var hasher = ImageHasher(options: options)
    let turned = try #require(hasher.hash(image).pdq?.orientations)
    var plain = ImageHasher(options: HashOptions(pdq: true, phash: false))
    let edits: [(String, PDQOrientation, PixelImage)] = [
      ("rot90", .rotate90, image.rotatedCounterClockwise()), ("rot180", .rotate180, image.rotatedHalf()),
      ("rot270", .rotate270, image.rotatedClockwise()), ("flip", .flipX, image.flipped()), ("mirror", .flipY, image.mirrored()),
    ]
    for (name, orientation, edit) in edits {
      // The suite's edit is the plain loop's picture…
      #expect(edit == Self.edited(image, name), "\(name)")
      // …and the hasher's turned picture hashes as it does.
      #expect(plain.hash(edit).pdq?.hash == turned[orientation], "\(name) at \(width)x\(height)")
    }
  }

  /// The turning edits, written again as the plainest loops over pixels.
  static func edited(_ image: PixelImage, _ name: String) -> PixelImage? {
    let (w, h) = (image.width, image.height)
    func at(_ x: Int, _ y: Int) -> [UInt8] { Array(image.pixels[((y * w + x) * 3)..<((y * w + x) * 3 + 3)]) }
    var out: [UInt8] = []
    switch name {
    case "rot90": for y in 0..<w { for x in 0..<h { out += at(w - 1 - y, x) } }; return PixelImage(width: h, height: w, layout: .rgb, pixels: out)
    case "rot270": for y in 0..<w { for x in 0..<h { out += at(y, h - 1 - x) } }; return PixelImage(width: h, height: w, layout: .rgb, pixels: out)
    case "rot180": for y in 0..<h { for x in 0..<w { out += at(w - 1 - x, h - 1 - y) } }
    case "flip": for y in 0..<h { for x in 0..<w { out += at(x, h - 1 - y) } }
    case "mirror": for y in 0..<h { for x in 0..<w { out += at(w - 1 - x, y) } }
    default: return nil
    }
    return PixelImage(width: w, height: h, layout: .rgb, pixels: out)
  }
}

@Suite struct EvaluationTests {
  /// The same images and seed give the same figures (costs aside); the figures are sane.
  @Test func evaluationIsReproducibleFromItsSeed() throws {
    let folder = TestData.fixtureVectors.appendingPathComponent("pdq/images")
    let images = try ["reg-test-input/labelme-subset/q0122.jpg", "reg-test-input/labelme-subset/q1050.jpg",
      "reg-test-input/labelme-subset/q2821.jpg", "bridge-mods/square-256x256.jpg"].map { name in
      (name, try TestData.bytes(folder.appendingPathComponent(name)))
    }
    var configuration = Evaluation.Configuration(seed: 5)
    configuration.attacks = ["jpeg70", "rot90", "pad10", "crop90"]
    configuration.strategies = [EvalStrategy(name: "plain")!, EvalStrategy(name: "full")!, EvalStrategy(name: "combined")!]
    let first = Evaluation(configuration: configuration).run(images: images)
    let second = Evaluation(configuration: configuration).run(images: images)
    func figures(_ r: EvalResult) -> [[Double]] {
      r.strategies.map { s in s.perAttack.map(\.trueMatchRate) + s.roc.map(\.falseMatchRate) + [Double(s.falsePairs)] }
    }
    #expect(figures(first) == figures(second))
    #expect(first.images == 4 && first.attacks.map(\.name) == ["jpeg70", "crop90", "pad10", "rot90"])
    #expect(first.strategies[0].pairs == 4 * 4 * 3)
    let plain = first.strategies[0], full = first.strategies[1]
    // Re-encoding is found by every strategy; a turned copy by full only.
    #expect(plain.perAttack[0].trueMatchRate == 1 && full.perAttack[0].trueMatchRate == 1)
    #expect(plain.perAttack[3].trueMatchRate < 1 && full.perAttack[3].trueMatchRate == 1)
    #expect(first.strategies[2].perAttack[1].trueMatchRate == 1)  // crop90 with an augmented set
    // The HTML page and the table hold every strategy.
    let page = EvalReportPage.html(first)
    #expect(page.hasPrefix("<!DOCTYPE html>") && page.contains("<svg") && page.contains("combined"))
    #expect(first.tableLines.contains { $0.hasPrefix("mean") })
  }
}
