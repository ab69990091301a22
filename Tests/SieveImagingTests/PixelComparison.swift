import Foundation
import SieveImaging
import SieveTestSupport
import Testing

/// Compares a decoded image with the expected raw pixels of a fixture.
enum PixelComparison {
  /// Expects `image` to have exactly as many samples as `expectedFile` and none more than
  /// `maxDifference` away.
  static func expect(_ image: PixelImage, equals expectedFile: URL, within maxDifference: Int, meanWithin maxMean: Double? = nil) throws {
    let expected = try TestData.bytes(expectedFile)
    #expect(image.pixels.count == expected.count)
    let differences = zip(image.pixels, expected).map { abs(Int($0) - Int($1)) }
    let worst = differences.max() ?? 0
    #expect(worst <= maxDifference, "max difference \(worst)")
    if let maxMean {
      let mean = Double(differences.reduce(0, +)) / Double(max(differences.count, 1))
      #expect(mean <= maxMean, "mean difference \(mean)")
    }
  }
}
