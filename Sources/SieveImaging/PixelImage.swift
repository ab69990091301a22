/// A whole decoded image: 8-bit gray or RGB samples, row-major, no padding.
public struct PixelImage: Sendable, Equatable {
  /// Width in pixels.
  public private(set) var width: Int
  /// Height in pixels.
  public private(set) var height: Int
  /// Gray (1 byte per pixel) or RGB (3 bytes per pixel).
  public private(set) var layout: PixelLayout
  /// `height` rows of `width × layout.channels` bytes.
  public private(set) var pixels: [UInt8]

  /// Creates an image; `pixels.count` must be `width × height × layout.channels`.
  public init(width: Int, height: Int, layout: PixelLayout, pixels: [UInt8]) {
    precondition(pixels.count == width * height * layout.channels, "pixel count does not match the size")
    self.width = width
    self.height = height
    self.layout = layout
    self.pixels = pixels
  }

  /// Bytes per row.
  public var rowBytes: Int { width * layout.channels }
}

extension PixelImage {
  /// A sink that collects every row into a ``PixelImage``.
  public struct Collector: PixelRowSink {
    public private(set) var image = PixelImage(width: 0, height: 0, layout: .gray, pixels: [])

    public init() {}

    public mutating func begin(width: Int, height: Int, layout: PixelLayout) throws {
      image = PixelImage(
        width: width, height: height, layout: layout,
        pixels: [UInt8](repeating: 0, count: width * height * layout.channels))
    }

    public mutating func consume(rows: UnsafePointer<UInt8>, stride: Int, firstRow: Int, count: Int) {
      let rowBytes = image.rowBytes
      image.pixels.withUnsafeMutableBufferPointer { out in
        for r in 0..<count {
          (out.baseAddress! + (firstRow + r) * rowBytes).update(from: rows + r * stride, count: rowBytes)
        }
      }
    }
  }
}
