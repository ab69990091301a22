import SieveImaging
import Testing

/// Images written by our encoders (libjpeg; a stored-zlib PNG writer) decode back.
@Suite struct RoundTripTests {
  @Test(arguments: [PixelLayout.gray, .rgb])
  func pngIsLossless(layout: PixelLayout) throws {
    let image = HostileInputTests.synthetic(width: 37, height: 23, layout: layout)
    let decoded = try ImageDecoder().decodeImage(PNGBuilder.png(image))
    #expect(decoded == image)
  }

  @Test(arguments: [(false, 0), (true, 0), (false, 1), (true, 2)])
  func jpegVariantsDecodeToTheSamePixels(progressive: Bool, restartRows: Int) throws {
    let image = HostileInputTests.synthetic(width: 61, height: 45)
    let baseline = try ImageDecoder().decodeImage(JPEGEncoder.encode(image, quality: 92))
    let jpeg = try JPEGEncoder.encode(image, quality: 92, progressive: progressive, restartRows: restartRows)
    let header = try ImageDecoder().header(of: jpeg)
    #expect(header.isProgressive == progressive)
    #expect(header.format == .jpeg && header.width == 61 && header.height == 45 && header.layout == .rgb)
    let decoded = try ImageDecoder().decodeImage(jpeg)
    #expect(decoded.width == 61 && decoded.height == 45 && decoded.layout == .rgb)
    // Same quantisation, so close to the baseline decode; and close to the source.
    let worst = zip(decoded.pixels, image.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
    #expect(worst < 40)
    if !progressive { #expect(decoded == baseline) }
  }

  @Test func grayJPEGDecodesToGray() throws {
    let image = HostileInputTests.synthetic(width: 40, height: 30, layout: .gray)
    let jpeg = try JPEGEncoder.encode(image)
    let header = try ImageDecoder().header(of: jpeg)
    #expect(header.colorModel == "gray" && header.layout == .gray)
    let decoded = try ImageDecoder().decodeImage(jpeg)
    #expect(decoded.layout == .gray && decoded.pixels.count == 40 * 30)
  }

  @Test func versionsAreReported() {
    #expect(ImageDecoder.codecVersions.count == 6)
    #expect(ImageDecoder.codecVersions.contains { $0.hasPrefix("libtiff 4.") })
    #expect(ImageDecoder.codecVersions[0].hasPrefix("libjpeg"))
    #expect(ImageDecoder.codecVersions[1].hasPrefix("libpng 1.6"))
  }
}
