/// Which picture a PDQ hash was taken of: the image as stored, or a variant of it cut
/// from the same decoded pixels — the picture inside its uniform borders (the query side
/// and augmented sets), or a crop stored in an augmented set so that cropped copies of a
/// known image still match.
///
/// Raw values are stored in `.sieveset` files (format version 2): never renumber.
public enum PDQVariant: UInt8, Sendable, Codable, CaseIterable, CustomStringConvertible {
  /// The image as stored.
  case original = 0
  /// The picture inside its uniform borders (pads, letterbox, pillarbox, frames).
  case trimmed = 1
  /// The centre 90 % of the area (each side 94.9 %).
  case crop90 = 2
  /// The centre 80 % of the area.
  case crop80 = 3
  /// The centre 70 % of the area.
  case crop70 = 4
  /// The top 10 % cut away.
  case cropTop = 5
  /// The bottom 10 % cut away.
  case cropBottom = 6
  /// The left 10 % cut away.
  case cropLeft = 7
  /// The right 10 % cut away.
  case cropRight = 8
  /// The centre 85 % of the area.
  case crop85 = 9
  /// The centre 75 % of the area.
  case crop75 = 10
  /// Query side: the picture extended by reflecting its edges outwards to the size it
  /// would have if it were the centre 90 % of the area of a larger one, so that a centre
  /// crop of a known image is matched against that image's own hash.
  case extended90 = 11
  /// The same, as if it were the centre 80 % of the area.
  case extended80 = 12
  /// The same, as if it were the centre 85 %, 75 % or 70 % of the area.
  case extended85 = 13, extended75 = 14, extended70 = 15
  /// Query side: extended by reflection at one side as if 10 % of the picture's height
  /// (top, bottom) or width (left, right) had been cut there.
  case extendedTop = 16, extendedBottom = 17, extendedLeft = 18, extendedRight = 19

  /// The name used in outputs and options: `original`, `trimmed`, `crop90`, `crop80`,
  /// `crop70`, `crop-top`, `crop-bottom`, `crop-left`, `crop-right`, `crop85`, `crop75`.
  public var name: String {
    switch self {
    case .original: return "original"
    case .trimmed: return "trimmed"
    case .crop90: return "crop90"
    case .crop80: return "crop80"
    case .crop70: return "crop70"
    case .cropTop: return "crop-top"
    case .cropBottom: return "crop-bottom"
    case .cropLeft: return "crop-left"
    case .cropRight: return "crop-right"
    case .crop85: return "crop85"
    case .crop75: return "crop75"
    case .extended90: return "extended90"
    case .extended80: return "extended80"
    case .extended85: return "extended85"
    case .extended75: return "extended75"
    case .extended70: return "extended70"
    case .extendedTop: return "extended-top"
    case .extendedBottom: return "extended-bottom"
    case .extendedLeft: return "extended-left"
    case .extendedRight: return "extended-right"
    }
  }

  /// Looks a variant up by ``name``.
  public init?(name: String) {
    guard let match = Self.allCases.first(where: { $0.name == name }) else { return nil }
    self = match
  }

  public var description: String { name }

  /// The centre crops, largest first, 5 % of the area apart: PDQ finds a crop within about
  /// 2.5 % of the area of a stored one, so a coarser grid leaves gaps (with 90/80/70 only,
  /// `sieve eval` found 60 % of 75 %-area crops).
  public static let centreCrops: [PDQVariant] = [.crop90, .crop85, .crop80, .crop75, .crop70]
  /// The query-side extensions: for each, the share of the extended picture's width and
  /// height taken to be missing at each side (left, top, right, bottom).
  public static let extensions: [(variant: PDQVariant, margins: (left: Double, top: Double, right: Double, bottom: Double))] = {
    func centre(_ area: Double) -> (Double, Double, Double, Double) {
      let m = (1 - area.squareRoot()) / 2
      return (m, m, m, m)
    }
    return [
      (.extended90, centre(0.9)), (.extended85, centre(0.85)), (.extended80, centre(0.8)), (.extended75, centre(0.75)),
      (.extended70, centre(0.7)), (.extendedTop, (0, 0.1, 0, 0)), (.extendedBottom, (0, 0, 0, 0.1)),
      (.extendedLeft, (0.1, 0, 0, 0)), (.extendedRight, (0, 0, 0.1, 0)),
    ]
  }()
  /// Whether the variant is made only on the query side (never stored in a set).
  public var isQueryOnly: Bool { rawValue >= PDQVariant.extended90.rawValue }
  /// The crops that cut one side.
  public static let sideCrops: [PDQVariant] = [.cropTop, .cropBottom, .cropLeft, .cropRight]

  /// The rectangle this fixed crop keeps of a `width × height` picture, as
  /// `(x, y, width, height)`; nil for ``original`` and ``trimmed`` (whose rectangle
  /// depends on the pixels).
  public func cropRectangle(width: Int, height: Int) -> (x: Int, y: Int, width: Int, height: Int)? {
    func centre(_ area: Double) -> (Int, Int, Int, Int) {
      let side = area.squareRoot()
      let w = max(1, Int((Double(width) * side).rounded()))
      let h = max(1, Int((Double(height) * side).rounded()))
      return ((width - w) / 2, (height - h) / 2, w, h)
    }
    let cutX = Int((Double(width) * 0.1).rounded()), cutY = Int((Double(height) * 0.1).rounded())
    switch self {
    case .original, .trimmed: return nil
    case .extended90, .extended85, .extended80, .extended75, .extended70: return nil
    case .extendedTop, .extendedBottom, .extendedLeft, .extendedRight: return nil
    case .crop90: return centre(0.9)
    case .crop80: return centre(0.8)
    case .crop70: return centre(0.7)
    case .crop85: return centre(0.85)
    case .crop75: return centre(0.75)
    case .cropTop: return (0, cutY, width, height - cutY)
    case .cropBottom: return (0, 0, width, height - cutY)
    case .cropLeft: return (cutX, 0, width - cutX, height)
    case .cropRight: return (0, 0, width - cutX, height)
    }
  }
}
