import Foundation
import SieveImaging

/// One edit of the robustness suite: what it does to a picture and how the copy is saved.
/// Unless its description says otherwise, the edited picture is saved as a baseline JPEG
/// of quality 90 (libjpeg, 4:2:0), as most copies in circulation are.
public struct Attack: Sendable {
  /// Short name (`jpeg70`, `rot90`, `pad10`…).
  public let name: String
  /// The group it belongs to: `encoding`, `scaling`, `cropping`, `borders`, `turning`,
  /// `filtering`, `colour` or `overlay`.
  public let group: String
  /// What it does, precisely enough to reproduce.
  public let description: String
  /// Makes the attacked copy's file bytes from the original's pixels (RGB).
  public let apply: @Sendable (PixelImage, inout SeededGenerator) throws -> [UInt8]

  public init(
    name: String, group: String, description: String,
    apply: @escaping @Sendable (PixelImage, inout SeededGenerator) throws -> [UInt8]
  ) {
    self.name = name
    self.group = group
    self.description = description
    self.apply = apply
  }

  /// The attack's entry in a result.
  public var info: EvalResult.AttackInfo { EvalResult.AttackInfo(name: name, description: description, group: group) }

  /// JPEG of quality 90, the default saving of an edited copy.
  static func jpeg(_ image: PixelImage, quality: Int = 90) throws -> [UInt8] {
    try JPEGEncoder.encode(image, quality: quality)
  }

  /// An edit saved as JPEG 90.
  static func edit(
    _ name: String, _ group: String, _ description: String, _ edit: @escaping @Sendable (PixelImage, inout SeededGenerator) -> PixelImage
  ) -> Attack {
    Attack(name: name, group: group, description: description + "; saved as JPEG 90.") { image, generator in
      try jpeg(edit(image, &generator))
    }
  }

  /// A colour drawn for pads and banners: black, white, mid gray, or a random colour.
  static func padColour(_ generator: inout SeededGenerator) -> (UInt8, UInt8, UInt8) {
    switch generator.next() % 4 {
    case 0: return (0, 0, 0)
    case 1: return (255, 255, 255)
    case 2: return (128, 128, 128)
    default: return (UInt8(generator.next() & 255), UInt8(generator.next() & 255), UInt8(generator.next() & 255))
    }
  }

  /// The suite, in the order applied and reported.
  public static let suite: [Attack] = {
    var suite: [Attack] = []
    for quality in [90, 70, 50, 30] {
      suite.append(Attack(name: "jpeg\(quality)", group: "encoding", description: "Saved as JPEG of quality \(quality).") { image, _ in
        try jpeg(image, quality: quality)
      })
    }
    suite += [
      edit("down50", "scaling", "Scaled to half width and height (triangle filter widened to the reduction, as Pillow's BILINEAR)") { image, _ in
        image.resized(width: max(1, image.width / 2), height: max(1, image.height / 2))
      },
      edit("down25", "scaling", "Scaled to a quarter of width and height (the same filter)") { image, _ in
        image.resized(width: max(1, image.width / 4), height: max(1, image.height / 4))
      },
      edit("up200", "scaling", "Scaled to twice width and height (bilinear)") { image, _ in
        image.resized(width: image.width * 2, height: image.height * 2)
      },
      edit("stretch", "scaling", "Stretched to 130 % width, height unchanged (aspect changed)") { image, _ in
        image.resized(width: image.width * 13 / 10, height: image.height)
      },
      edit("crop90", "cropping", "Centre crop keeping 90 % of the area (each side × 0.949)") { image, _ in image.centreCrop(area: 0.9) },
      edit("crop75", "cropping", "Centre crop keeping 75 % of the area (each side × 0.866)") { image, _ in image.centreCrop(area: 0.75) },
      edit("cropany", "cropping", "Centre crop keeping a share of the area drawn uniformly from 65–95 % by the seed (off any stored grid)") { image, generator in
        image.centreCrop(area: 0.65 + 0.3 * generator.unit())
      },
      edit("cropside", "cropping", "10 % of the width or height cut from one side, the side drawn from the seed") { image, generator in
        let (w, h) = (image.width, image.height)
        let (cw, ch) = (w / 10, h / 10)
        switch generator.next() % 4 {
        case 0: return image.cropped(x: 0, y: ch, width: w, height: h - ch)
        case 1: return image.cropped(x: 0, y: 0, width: w, height: h - ch)
        case 2: return image.cropped(x: cw, y: 0, width: w - cw, height: h)
        default: return image.cropped(x: 0, y: 0, width: w - cw, height: h)
        }
      },
      edit("pad10", "borders", "A uniform border of 10 % of the width (left, right) and height (top, bottom) on every side; colour black, white, gray 128 or random, drawn from the seed") { image, generator in
        let colour = padColour(&generator)
        let (px, py) = (image.width / 10, image.height / 10)
        return image.padded(top: py, bottom: py, left: px, right: px, colour: colour)
      },
      edit("letterbox", "borders", "Black bars above and below, each 12.5 % of the height") { image, _ in
        let bar = image.height / 8
        return image.padded(top: bar, bottom: bar, left: 0, right: 0, colour: (0, 0, 0))
      },
      edit("pillarbox", "borders", "Black bars left and right, each 12.5 % of the width") { image, _ in
        let bar = image.width / 8
        return image.padded(top: 0, bottom: 0, left: bar, right: bar, colour: (0, 0, 0))
      },
      Attack(name: "screenshot", group: "borders", description: "Shown at 80 % size in a window and captured: a 1-pixel gray (160) window border, a dark (48) title bar 6 % of the height tall above it, a light (236) desktop margin of 5 % around the window; saved as JPEG 95 (a screenshot tool's setting).") { image, _ in
        let shown = image.resized(width: max(1, image.width * 4 / 5), height: max(1, image.height * 4 / 5))
        let bar = max(4, shown.height * 6 / 100)
        let window = shown.padded(top: 1, bottom: 1, left: 1, right: 1, colour: (160, 160, 160))
          .padded(top: bar, bottom: 0, left: 0, right: 0, colour: (48, 48, 48))
        let margin = max(2, window.width / 20)
        return try jpeg(window.padded(top: margin, bottom: margin, left: margin, right: margin, colour: (236, 236, 236)), quality: 95)
      },
      edit("rot90", "turning", "Turned 90° counter-clockwise") { image, _ in image.rotatedCounterClockwise() },
      edit("rot180", "turning", "Turned 180°") { image, _ in image.rotatedHalf() },
      edit("rot270", "turning", "Turned 90° clockwise") { image, _ in image.rotatedClockwise() },
      edit("mirror", "turning", "Mirrored left to right") { image, _ in image.mirrored() },
      edit("flip", "turning", "Flipped top to bottom") { image, _ in image.flipped() },
      edit("rot5", "turning", "Turned 5° (direction drawn from the seed) with bilinear sampling, then cropped to the largest rectangle of the same aspect inside") { image, generator in
        image.rotated(degrees: generator.next() % 2 == 0 ? 5 : -5)
      },
      edit("blur", "filtering", "Blurred: three passes of a 5-pixel box filter on each axis (about a Gaussian of σ 2.4)") { image, _ in image.blurred(radius: 2) },
      edit("noise", "filtering", "Gaussian noise of σ 10 added to every channel of every pixel") { image, generator in
        image.noised(sigma: 10, using: &generator)
      },
      edit("brighter", "colour", "Brightness +40 on every channel") { image, _ in image.mapped { $0 + 40 } },
      edit("darker", "colour", "Brightness −40 on every channel") { image, _ in image.mapped { $0 - 40 } },
      edit("contrast", "colour", "Contrast × 0.6 about 128") { image, _ in image.mapped { 128 + ($0 - 128) * 0.6 } },
      edit("gamma", "colour", "Gamma 0.6 (255 × (v / 255)^0.6)") { image, _ in image.mapped { 255 * pow($0 / 255, 0.6) } },
      edit("grayscale", "colour", "Converted to gray (Rec. 601 luma)") { image, _ in image.grayscale() },
      edit("banner", "overlay", "A caption banner over the bottom 12 % of the height: a solid colour (drawn as for pad10) with rows of text-like blocks in its opposite colour") { image, generator in
        let colour = padColour(&generator)
        let ink = (255 - colour.0, 255 - colour.1, 255 - colour.2)
        let top = image.height - max(1, image.height * 12 / 100)
        let glyph = max(2, (image.height - top) / 3)
        let seed = generator.next()
        return image.painted { x, y in
          guard y >= top else { return nil }
          // Text-like: glyph cells on a middle line, about 60 % inked, from the seed.
          let row = (y - top) / glyph, column = x / glyph
          let cell = (seed ^ UInt64(column) &* 0x9E37_79B9_7F4A_7C15) >> 61
          let inLine = row == 1 && x >= glyph && x < image.width - glyph && (x % glyph) < glyph * 3 / 4
          return inLine && cell < 5 ? ink : colour
        }
      },
    ]
    return suite
  }()
}
