import Benchmark
import SieveHashing
import SieveImaging

/// Decode and hash, measured separately, for 0.3, 1 and 12 MP JPEGs.
///
/// The images are synthesised (smooth gradients, shapes and noise, so they compress
/// like photographs) and encoded at quality 90 with libjpeg once, before measuring.
let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
    warmupIterations: 2,
    scalingFactor: .one,
    maxDuration: .seconds(3),
    maxIterations: 200
  )

  let sizes: [(label: String, width: Int, height: Int)] = [
    ("0.3MP", 640, 480), ("1MP", 1152, 864), ("12MP", 4000, 3000),
  ]
  for size in sizes {
    let image = SyntheticPhoto.make(width: size.width, height: size.height, seed: 42)
    let jpeg = try! JPEGEncoder.encode(image, quality: 90)
    let decoder = ImageDecoder()

    Benchmark("decode JPEG \(size.label)") { benchmark in
      var sink = DiscardingSink()
      for _ in benchmark.scaledIterations {
        _ = try jpeg.withUnsafeBytes { try decoder.decode($0, into: &sink) }
        blackHole(sink.checksum)
      }
    }

    Benchmark("hash PDQ+pHash \(size.label)") { benchmark in
      var hasher = ImageHasher()
      for _ in benchmark.scaledIterations {
        blackHole(hasher.hash(image))
      }
    }

    Benchmark("hash PDQ \(size.label)") { benchmark in
      var hasher = ImageHasher(options: HashOptions(phash: false))
      for _ in benchmark.scaledIterations {
        blackHole(hasher.hash(image))
      }
    }

    Benchmark("decode+hash JPEG \(size.label)") { benchmark in
      var hasher = ImageHasher()
      for _ in benchmark.scaledIterations {
        blackHole(try hasher.hash(jpeg))
      }
    }
  }
}

/// A sink that only touches each row, so decoding is measured alone.
struct DiscardingSink: PixelRowSink {
  var checksum = 0

  mutating func begin(width: Int, height: Int, layout: PixelLayout) throws {}

  mutating func consume(rows: UnsafePointer<UInt8>, stride: Int, firstRow: Int, count: Int) {
    checksum &+= Int(rows[0]) &+ count
  }
}

/// Deterministic photograph-like RGB images.
enum SyntheticPhoto {
  static func make(width: Int, height: Int, seed: UInt64) -> PixelImage {
    var state = seed
    func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    let circles = (0..<12).map { _ in
      (x: Int(next() % UInt64(width)), y: Int(next() % UInt64(height)), r: Int(next() % UInt64(max(width, height) / 4 + 1)),
       color: (Int(next() % 256), Int(next() % 256), Int(next() % 256)))
    }
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height {
      for x in 0..<width {
        var r = x * 255 / max(width - 1, 1), g = y * 255 / max(height - 1, 1), b = (x + y) * 127 / max(width + height, 1)
        for c in circles {
          let dx = x - c.x, dy = y - c.y
          if dx * dx + dy * dy < c.r * c.r {
            r = (r + c.color.0) / 2
            g = (g + c.color.1) / 2
            b = (b + c.color.2) / 2
          }
        }
        let noise = Int(next() % 9) - 4
        let i = (y * width + x) * 3
        pixels[i] = UInt8(clamping: r + noise)
        pixels[i + 1] = UInt8(clamping: g + noise)
        pixels[i + 2] = UInt8(clamping: b + noise)
      }
    }
    return PixelImage(width: width, height: height, layout: .rgb, pixels: pixels)
  }
}
