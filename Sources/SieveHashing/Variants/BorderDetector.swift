/// Finds the uniform borders around a picture — pads, letterbox and pillarbox bars,
/// the flat frames of screenshots — so that the picture inside can be hashed as well.
///
/// Works on the luma plane (0…255), side by side, line by line from the edge inwards.
/// A line belongs to a border band when it is flat: nearly every sample within
/// ``tolerance`` of the band's level and the mean deviation at most
/// ``maxMeanDeviation``. A side may carry up to ``maxBands`` bands of different levels
/// (a window's title bar, then the desktop around it).
///
/// Dark content continues a black bar seamlessly (a night sky, a dark stage), so a band
/// that runs on past ``maxSideShare`` of the picture is taken for content and not trimmed
/// at all; the image's own hash is always matched too, so a trim never loses a match the
/// untrimmed picture would have given.
public struct BorderDetector: Sendable, Equatable {
  /// How far (in luma levels) a border sample may be from its band's level.
  public var tolerance: Float = 12
  /// The share of a border line's samples that may lie outside the tolerance (JPEG
  /// ringing, a speck of dust, a watermark's corner).
  public var maxOutlierShare: Float = 0.01
  /// The largest mean absolute deviation from the band's level of a border line: bars
  /// are flat, textured content is not.
  public var maxMeanDeviation: Float = 1.0
  /// How far (in luma levels) a sample may be from its band's level for the line to count
  /// as exactly flat, as a drawn bar is (a JPEG copy's bar stays within a level or two).
  public var exactTolerance: Float = 3
  /// The largest mean absolute deviation of an exactly flat line.
  public var exactMeanDeviation: Float = 0.25
  /// The most lines past a band's flat lines that may be JPEG's ringing before an edge
  /// (a block of 4:2:0 chroma is 16 lines).
  public var maxRingingLines = 16
  /// The largest mean absolute deviation from the band's level of a ringing line.
  public var maxRingingDeviation: Float = 4
  /// A band reaching further into the picture than this share of its side is content.
  public var maxSideShare: Double = 0.4
  /// Borders thinner than this share of their side (or 2 pixels) are left in place.
  public var minimumShare: Double = 0.01
  /// The most bands of different levels on one side in one round.
  public var maxBands = 3
  /// The most lines (as a share of the side) a band may be interrupted by text, when it
  /// resumes at the same level beyond (a caption bar).
  public var maxGapShare: Double = 0.08
  /// The least share of an interrupting line's samples still at the band's level.
  public var minTextLineShare: Float = 0.4
  /// The most candidate pictures returned: each is hashed (in 8 orientations under the
  /// default strategy), so this bounds what a crafted picture of many nested frames costs.
  public var maxCandidates = 6
  /// The most common-shape trims tried on each axis.
  public var maxShapeTrims = 3
  /// The most rounds of peeling (nested frames).
  public var maxRounds = 4

  public init() {}

  /// A rectangle of the plane.
  public typealias Rectangle = (x: Int, y: Int, width: Int, height: Int)

  /// The candidate pictures inside the borders (at most ``maxCandidates``, differing by
  /// more than ``minimumShare`` of a side): the even trim of top and bottom (or left and
  /// right) within the exactly flat bands that leaves the picture a common shape (1:1,
  /// 5:4, 4:3, 3:2, 16:10, 16:9, 2:1, 21:9, either way round), each round's trim, the
  /// caption-crossing trim, and, when opposite sides were trimmed unequally, the trims kept
  /// even on each axis (the thinner of the two).
  ///
  /// Content with flat edges (a night sky, a studio backdrop) looks like one more border to
  /// a later round or to one side, so the candidates stop at each place a border may end:
  /// pads and letterbox bars are even and come off in one round; a screenshot's frames
  /// take several. A black bar continued by black sky cannot be told from it by pixels:
  /// there the common shape is the guess.
  public func contentRectangles(luma: UnsafeBufferPointer<Float>, width: Int, height: Int) -> [Rectangle] {
    guard width >= 16, height >= 16, luma.count >= width * height else { return [] }
    let base = luma.baseAddress!
    let limitY = Int(Double(height) * maxSideShare), limitX = Int(Double(width) * maxSideShare)
    var (t, b, l, r) = (0, 0, 0, 0)
    var rounds: [(Int, Int, Int, Int)] = []
    // Where the first round's first band on each side stops being exactly flat: a bar is
    // drawn in one colour, dark content continuing it (a night sky) is only nearly flat or
    // holds a star, so the bar ends there or before.
    var exact: (Int, Int, Int, Int)?
    for _ in 0..<maxRounds {
      let w = width - l - r, h = height - t - b
      guard w >= 16, h >= 16 else { break }
      let top = bands(base, start: t * width + l, sampleStep: 1, length: w, lineStep: width, lines: h, limit: limitY - t)
      let bottom = bands(
        base, start: (height - 1 - b) * width + l, sampleStep: 1, length: w, lineStep: -width, lines: h, limit: limitY - b)
      let left = bands(base, start: t * width + l, sampleStep: width, length: h, lineStep: 1, lines: w, limit: limitX - l)
      let right = bands(
        base, start: t * width + width - 1 - r, sampleStep: width, length: h, lineStep: -1, lines: w, limit: limitX - r)
      let depths = (top.last?.end ?? 0, bottom.last?.end ?? 0, left.last?.end ?? 0, right.last?.end ?? 0)
      guard depths.0 + depths.1 + depths.2 + depths.3 > 0 else { break }
      if rounds.isEmpty {
        exact = (top.first?.exactEnd ?? 0, bottom.first?.exactEnd ?? 0, left.first?.exactEnd ?? 0, right.first?.exactEnd ?? 0)
      }
      (t, b, l, r) = (t + depths.0, b + depths.1, l + depths.2, r + depths.3)
      rounds.append((t, b, l, r))
    }
    let slackY = max(2, Int(Double(height) * minimumShare)), slackX = max(2, Int(Double(width) * minimumShare))
    var out: [Rectangle] = []
    func add(_ t: Int, _ b: Int, _ l: Int, _ r: Int, slack: Int? = nil) {
      guard out.count < maxCandidates else { return }
      let (t, b) = (t >= slackY ? t : 0, b >= slackY ? b : 0)
      let (l, r) = (l >= slackX ? l : 0, r >= slackX ? r : 0)
      guard t + b + l + r > 0, height - t - b >= 8, width - l - r >= 8 else { return }
      let candidate = (x: l, y: t, width: width - l - r, height: height - t - b)
      let (sx, sy) = (slack ?? slackX, slack ?? slackY)
      let known = out.contains {
        abs($0.x - candidate.x) <= sx && abs($0.width - candidate.width) <= sx
          && abs($0.y - candidate.y) <= sy && abs($0.height - candidate.height) <= sy
      }
      if !known { out.append(candidate) }
    }
    // One more candidate with caption bars crossed (one round): text on a flat bar breaks
    // its lines, so the rounds stop inside the bar. Kept apart, as crossing also walks
    // through sparse detail on flat content (stars on a night sky).
    var crossing: (Int, Int, Int, Int)?
    if !rounds.isEmpty {
      let top = bands(base, start: 0, sampleStep: 1, length: width, lineStep: width, lines: height, limit: limitY, crossText: true)
      let bottom = bands(
        base, start: (height - 1) * width, sampleStep: 1, length: width, lineStep: -width, lines: height, limit: limitY,
        crossText: true)
      let left = bands(base, start: 0, sampleStep: width, length: height, lineStep: 1, lines: width, limit: limitX, crossText: true)
      let right = bands(
        base, start: width - 1, sampleStep: width, length: height, lineStep: -1, lines: width, limit: limitX, crossText: true)
      crossing = (top.last?.end ?? 0, bottom.last?.end ?? 0, left.last?.end ?? 0, right.last?.end ?? 0)
    }
    // In the order most worth hashing, up to maxCandidates: the first round, the
    // common-shape trims, the second round and the last (nested frames), the caption
    // crossing, then the even trims.
    func even(_ r: (Int, Int, Int, Int)) -> (Int, Int, Int, Int) { (min(r.0, r.1), min(r.0, r.1), min(r.2, r.3), min(r.2, r.3)) }
    if let (t, b, l, r) = rounds.first { add(t, b, l, r) }
    if let exact {
      // Where a bar and dark content make one exact band, the bar is most likely the part
      // that leaves the picture a common shape. A bar is on one axis, while the other
      // axis's bands may be the content's own dark margins (a fisheye sky's corners), so
      // each axis is trimmed alone. Kept even when near the first round: a few lines of
      // black sky cut off stretch the picture enough to lose it.
      let snapsY = Self.commonShapeTrims(along: height, across: width, upTo: min(exact.0, exact.1))
      let snapsX = Self.commonShapeTrims(along: width, across: height, upTo: min(exact.2, exact.3))
      for trim in snapsY.prefix(maxShapeTrims) { add(trim, trim, 0, 0, slack: 1) }
      for trim in snapsX.prefix(maxShapeTrims) { add(0, 0, trim, trim, slack: 1) }
    }
    var ordered = Array(rounds.dropFirst().prefix(1)) + (rounds.count > 2 ? [rounds.last!] : [])
    ordered += crossing.map { [$0] } ?? []
    ordered += [rounds.first, rounds.last, rounds.count > 1 ? rounds[1] : nil].compactMap { $0.map(even) }
    ordered += rounds.dropFirst(2).dropLast() + rounds.dropFirst(2).dropLast().map(even)
    for (t, b, l, r) in ordered { add(t, b, l, r) }
    return out
  }

  /// The shapes pictures are usually made in (width to height, either way round).
  public static let commonShapes: [Double] = [1, 5.0 / 4, 4.0 / 3, 3.0 / 2, 16.0 / 10, 16.0 / 9, 2, 21.0 / 9]

  /// The even trims of `along` (at most `limit` a side, at least 2 lines) that leave the
  /// picture a common shape, within a line: the largest first (the one taking the least
  /// of the band for content).
  public static func commonShapeTrims(along: Int, across: Int, upTo limit: Int) -> [Int] {
    guard limit >= 2 else { return [] }
    var trims: Set<Int> = []
    for shape in commonShapes {
      for ratio in shape == 1 ? [1.0] : [shape, 1 / shape] {
        let target = Double(across) / ratio
        let trim = Int(((Double(along) - target) / 2).rounded())
        if trim >= 2, trim <= limit { trims.insert(trim) }
      }
    }
    return trims.sorted(by: >)
  }

  /// One band of a side: where it ends (lines from its side's edge) and where its exactly
  /// flat lines end.
  private struct Band {
    var end: Int
    var exactEnd: Int
  }

  /// The border bands of one side, from the edge inwards, ending at most at `limit`.
  private func bands(
    _ plane: UnsafePointer<Float>, start: Int, sampleStep: Int, length: Int, lineStep: Int, lines: Int, limit: Int,
    crossText: Bool = false
  ) -> [Band] {
    var found: [Band] = []
    var depth = 0
    while found.count < maxBands, depth < limit {
      let first = plane + start + depth * lineStep
      var sum: Float = 0
      for i in 0..<length { sum += first[i * sampleStep] }
      let level = sum / Float(length)
      func flat(_ i: Int, exact: Bool = false) -> Bool {
        isFlat(plane + start + i * lineStep, sampleStep: sampleStep, length: length, level: level, exact: exact)
      }
      var end = depth
      while end < lines, flat(end) { end += 1 }
      // JPEG rings the last lines of a bar before a sharp edge (the edge's 8- or 16-line
      // block): samples still within the tolerance but no longer flat. Crossed when, within
      // ``maxRingingLines``, they end at a sharp edge (a line whose mean deviation from the
      // band's level is past the tolerance); otherwise they are content shading off (a
      // sky's dark noise), and the band stops where it was flat.
      if end > depth, end < lines {
        var ringing = end
        let ringingLimit = min(lines, end + maxRingingLines)
        while ringing < ringingLimit, isRinging(plane + start + ringing * lineStep, sampleStep: sampleStep, length: length, level: level) {
          ringing += 1
        }
        if ringing > end, ringing < ringingLimit,
          meanDeviation(plane + start + ringing * lineStep, sampleStep: sampleStep, length: length, level: level) > tolerance
        {
          end = ringing
        }
      }
      // Not a band, or one that runs on into the picture: stop before it.
      guard end > depth, end < limit else { break }
      var exactEnd = depth
      while exactEnd < end, flat(exactEnd, exact: true) { exactEnd += 1 }
      // A caption bar: text interrupts the band for a few lines, each still mostly at the
      // band's level, and the band resumes beyond. Crossed only when it ends in time.
      var crossed = end
      while crossText, crossed < limit {
        var next = crossed
        let gapLimit = min(limit, crossed + max(2, Int(Double(lines) * maxGapShare)))
        while next < gapLimit, !flat(next),
          share(plane + start + next * lineStep, sampleStep: sampleStep, length: length, level: level) >= minTextLineShare
        {
          next += 1
        }
        guard next < gapLimit, next > crossed, flat(next) else { break }
        while next < lines, flat(next) { next += 1 }
        guard next < limit else { break }
        crossed = next
      }
      found.append(Band(end: crossed, exactEnd: crossed > end ? crossed : exactEnd))
      depth = crossed
    }
    return found
  }

  /// The share of a line's samples within the tolerance of `level`.
  private func share(_ line: UnsafePointer<Float>, sampleStep: Int, length: Int, level: Float) -> Float {
    var near = 0
    for i in 0..<length where abs(line[i * sampleStep] - level) <= tolerance { near += 1 }
    return Float(near) / Float(length)
  }

  /// The mean absolute deviation of a line's samples from `level`.
  private func meanDeviation(_ line: UnsafePointer<Float>, sampleStep: Int, length: Int, level: Float) -> Float {
    var deviation: Float = 0
    for i in 0..<length { deviation += abs(line[i * sampleStep] - level) }
    return deviation / Float(length)
  }

  /// Whether one line is within ``tolerance`` of `level` (but for ``maxOutlierShare``) with
  /// a mean deviation of at most ``maxRingingDeviation``: a bar's line ringing by JPEG.
  private func isRinging(_ line: UnsafePointer<Float>, sampleStep: Int, length: Int, level: Float) -> Bool {
    isNear(
      line, sampleStep: sampleStep, length: length, level: level, tolerance: tolerance,
      outliers: Int(Float(length) * maxOutlierShare), meanDeviation: maxRingingDeviation)
  }

  /// Whether one line is flat at `level` (with `exact`, flat as a bar drawn in one colour:
  /// within ``exactTolerance``, no outliers, mean deviation at most ``exactMeanDeviation``).
  private func isFlat(_ line: UnsafePointer<Float>, sampleStep: Int, length: Int, level: Float, exact: Bool = false) -> Bool {
    isNear(
      line, sampleStep: sampleStep, length: length, level: level, tolerance: exact ? exactTolerance : tolerance,
      outliers: exact ? 0 : Int(Float(length) * maxOutlierShare), meanDeviation: exact ? exactMeanDeviation : maxMeanDeviation)
  }

  /// Whether at most `outliers` of a line's samples are further than `tolerance` from
  /// `level` and their mean absolute deviation from it is at most `meanDeviation`.
  private func isNear(
    _ line: UnsafePointer<Float>, sampleStep: Int, length: Int, level: Float, tolerance: Float, outliers allowed: Int,
    meanDeviation: Float
  ) -> Bool {
    var outliers = 0
    var deviation: Float = 0
    for i in 0..<length {
      let d = abs(line[i * sampleStep] - level)
      deviation += d
      if d > tolerance {
        outliers += 1
        if outliers > allowed { return false }
      }
    }
    return deviation <= meanDeviation * Float(length)
  }
}
