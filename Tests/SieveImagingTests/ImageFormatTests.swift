import SieveImaging
import Testing

@Suite struct ImageFormatTests {
  @Test(arguments: [
    ([0xFF, 0xD8, 0xFF, 0xE0], ImageFormat.jpeg),
    ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], .png),
    (Array("GIF89a".utf8), .gif),
    (Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8), .webp),
    ([0x49, 0x49, 0x2A, 0x00], .tiff),
    ([0x4D, 0x4D, 0x00, 0x2A], .tiff),
    ([0, 0, 0, 0x18] + Array("ftypheic".utf8), .heif),
    ([0, 0, 0, 0x18] + Array("ftypavif".utf8), .heif),
    (Array("BM".utf8) + [UInt8](repeating: 0, count: 12) + [40, 0, 0, 0], .bmp),
  ] as [([UInt8], ImageFormat)])
  func recognisesSignatures(bytes: [UInt8], format: ImageFormat) {
    #expect(ImageFormat.detect(bytes) == format)
  }

  @Test func rejectsNonImages() {
    #expect(ImageFormat.detect([UInt8]()) == nil)
    #expect(ImageFormat.detect(Array("hello world".utf8)) == nil)
    #expect(ImageFormat.detect([0xFF, 0xD8]) == nil)  // too short to be sure
    #expect(ImageFormat.detect([0x89, 0x50, 0x4E, 0x47]) == nil)
    #expect(ImageFormat.detect(Array("BMW owners' manual, chapter 1".utf8)) == nil)
  }

  @Test func decodableFormats() {
    #expect(ImageFormat.allCases.filter(\.isDecodable) == [.jpeg, .png, .gif, .bmp, .webp, .tiff, .heif])
  }
}
