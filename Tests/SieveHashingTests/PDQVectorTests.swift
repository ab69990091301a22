import Foundation
import SieveCore
import SieveImaging
import SieveTestSupport
import Testing

@testable import SieveHashing

/// Bit-exactness against the PDQ reference vectors (spec §10): the repo's fixture
/// subset always, and the full set in `../shared/vectors/pdq` when it is present.
@Suite struct PDQVectorTests {
  /// Vector roots to check: the fixtures, then ../shared if present.
  static var roots: [URL] {
    [TestData.fixtureVectors.appendingPathComponent("pdq")] + (TestData.pdqVectors.map { [$0] } ?? [])
  }

  static let dihedralColumns = ["rot90", "rot180", "rot270", "flipx", "flipy", "flip_plus1", "flip_minus1"]

  struct Mismatch: CustomStringConvertible {
    var file: String
    var what: String
    var distance: Int
    var description: String { "\(file): \(what) off by \(distance) bits" }
  }

  /// Hashes every row of `csv` (file column `fileColumn` under `imagesDir`) in `mode`
  /// and returns the mismatches, checking hash, quality and the 8 dihedral hashes.
  static func check(
    root: URL, csv: String, fileColumn: String, imagesDir: String, mode: PDQMode
  ) throws -> (checked: Int, mismatches: [Mismatch]) {
    let rows = try TestData.csv(root.appendingPathComponent(csv))
    var hasher = ImageHasher(options: HashOptions(pdqMode: mode, dihedral: true, phash: false))
    var mismatches: [Mismatch] = []
    for row in rows {
      let file = row[fileColumn]!
      let bytes = try TestData.bytes(root.appendingPathComponent(imagesDir).appendingPathComponent(file))
      let result = try hasher.hash(bytes)
      let pdq = try #require(result.pdq)
      let expected = try PDQHash(hex: row["pdq_hex"]!)
      if pdq.hash != expected {
        mismatches.append(Mismatch(file: file, what: "hash", distance: pdq.hash.distance(to: expected)))
      }
      if pdq.quality != Int(row["quality"]!) {
        mismatches.append(Mismatch(file: file, what: "quality \(pdq.quality) vs \(row["quality"]!)", distance: 0))
      }
      let dihedral = try #require(pdq.dihedral)
      for (index, column) in dihedralColumns.enumerated() {
        let want = try PDQHash(hex: row[column]!)
        let got = dihedral.hashes[index + 1]
        if got != want { mismatches.append(Mismatch(file: file, what: column, distance: got.distance(to: want))) }
      }
    }
    return (rows.count, mismatches)
  }

  @Test("decoded PNG vectors: hash, quality and 8 dihedral hashes bit-exact", arguments: roots)
  func decodedPixels(root: URL) throws {
    let result = try Self.check(
      root: root, csv: "expected_decoded_pixels.csv", fileColumn: "decoded_png", imagesDir: "decoded",
      mode: .referenceCLI)
    #expect(result.checked >= 3)
    #expect(result.mismatches.isEmpty, "\(result.mismatches)")
  }

  @Test("full-resolution vectors (python-threatexchange / HMA / Java) bit-exact", arguments: roots)
  func fullResolution(root: URL) throws {
    let result = try Self.check(
      root: root, csv: "expected_core_fullres_pillow.csv", fileColumn: "file", imagesDir: "images",
      mode: .fullResolution)
    #expect(result.checked >= 8)
    #expect(result.mismatches.isEmpty, "\(result.mismatches)")
  }

  @Test("reference-CLI vectors (512×512 squash) bit-exact", arguments: roots)
  func referenceCLI(root: URL) throws {
    let result = try Self.check(
      root: root, csv: "expected_reference_cli.csv", fileColumn: "file", imagesDir: "images",
      mode: .referenceCLI)
    #expect(result.checked >= 8)
    #expect(result.mismatches.isEmpty, "\(result.mismatches)")
  }

  /// Reads a float CSV dump (`%.9g`, which round-trips float32 exactly).
  static func floats(_ url: URL) throws -> [Float] {
    try String(contentsOf: url, encoding: .utf8)
      .split(whereSeparator: { $0 == "," || $0.isNewline })
      .compactMap { Float(String($0).trimmingCharacters(in: .whitespaces)) }
  }

  @Test("the shipped DCT matrix equals the reference dump bit for bit", arguments: roots)
  func dctMatrix(root: URL) throws {
    let rows = try TestData.csv(root.appendingPathComponent("intermediates/dct_matrix_16x64_float32.csv"))
    #expect(rows.count == 16 * 64)
    for row in rows {
      let i = Int(row["i"]!)!, j = Int(row["j"]!)!
      #expect(PDQDCTMatrix.bits[i * 64 + j] == UInt32(row["bits"]!, radix: 16)!, "D[\(i)][\(j)]")
    }
  }

  @Test("stage by stage: 64×64 buffer, 16×16 DCT and median equal the C++ core's", arguments: roots)
  func intermediates(root: URL) throws {
    let decoded = root.appendingPathComponent("decoded/q0122_rgb256.png")
    let image = try ImageDecoder().decodeImage(TestData.bytes(decoded))
    var luma = [Float](repeating: 0, count: image.width * image.height)
    for p in 0..<luma.count {
      let (r, g, b) = (Float(image.pixels[3 * p]), Float(image.pixels[3 * p + 1]), Float(image.pixels[3 * p + 2]))
      luma[p] = ((r * 0.299) + (g * 0.587)) + (b * 0.114)
    }
    let rows = (0..<64).map { r in Int((Double(r) + 0.5) * Double(image.height) / 64) }
    let columns = (0..<64).map { c in Int((Double(c) + 0.5) * Double(image.width) / 64) }
    var blurred = BlurredColumns()
    luma.withUnsafeMutableBufferPointer {
      blurred.blur($0.baseAddress!, width: image.width, height: image.height, columns: columns)
    }
    let expectedBuffer = try Self.floats(root.appendingPathComponent("intermediates/q0122_buffer64x64.csv"))
    #expect(expectedBuffer.count == 4096)
    var buffer = [Float](repeating: 0, count: 4096)
    blurred.sample(rows: rows, columns: columns, into: &buffer)
    let differing = zip(buffer, expectedBuffer).filter { $0.0.bitPattern != $0.1.bitPattern }.count
    #expect(differing == 0, "\(differing) of 4096 cells differ after blur and decimation")
    #expect(PDQHasher.quality(buffer) == 100)
  }
}
