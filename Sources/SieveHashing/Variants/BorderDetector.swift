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
  public var maxCandidates = 5
  /// The most rounds of peeling (nested frames).
  public var maxRounds = 4

  public init() {}

  /// A rectangle of the plane.
  public typealias Rectangle = (x: Int, y: Int, width: Int, height: Int)

  /// The candidate pictures inside the borders (at most ``maxCandidates``, differing by
  /// more than ``minimumShare`` of a side): each round's trim, the caption-crossing trim,
  /// and, when opposite sides were trimmed unequally, the trims kept even on each axis
  /// (the thinner of the two).
  ///
  /// Content with flat edges (a night sky, a studio backdrop) looks like one more border to
  /// a later round or to one side, so the candidates stop at each place a border may end:
  /// pads and letterbox bars are even and come off in one round; a screenshot's frames
  /// take several.
  public func contentRectangles(luma: UnsafeBufferPointer<Float>, width: Int, height: Int) -> [Rectangle] {
    guard width >= 16, height >= 16, luma.count >= width * height else { return [] }
    let base = luma.baseAddress!
    let limitY = Int(Double(height) * maxSideShare), limitX = Int(Double(width) * maxSideShare)
    var (t, b, l, r) = (0, 0, 0, 0)
    var rounds: [(Int, Int, Int, Int)] = []
    for _ in 0..<maxRounds {
      let w = width - l - r, h = height - t - b
      guard w >= 16, h >= 16 else { break }
      let top = depth(base, start: t * width + l, sampleStep: 1, length: w, lineStep: width, lines: h, limit: limitY - t)
      let bottom = depth(
        base, start: (height - 1 - b) * width + l, sampleStep: 1, length: w, lineStep: -width, lines: h, limit: limitY - b)
      let left = depth(base, start: t * width + l, sampleStep: width, length: h, lineStep: 1, lines: w, limit: limitX - l)
      let right = depth(
        base, start: t * width + width - 1 - r, sampleStep: width, length: h, lineStep: -1, lines: w, limit: limitX - r)
      guard top + bottom + left + right > 0 else { break }
      (t, b, l, r) = (t + top, b + bottom, l + left, r + right)
      rounds.append((t, b, l, r))
    }
    let slackY = max(2, Int(Double(height) * minimumShare)), slackX = max(2, Int(Double(width) * minimumShare))
    var out: [Rectangle] = []
    func add(_ t: Int, _ b: Int, _ l: Int, _ r: Int) {
      let (t, b) = (t >= slackY ? t : 0, b >= slackY ? b : 0)
      let (l, r) = (l >= slackX ? l : 0, r >= slackX ? r : 0)
      guard t + b + l + r > 0, height - t - b >= 8, width - l - r >= 8 else { return }
      let candidate = (x: l, y: t, width: width - l - r, height: height - t - b)
      let known = out.contains {
        abs($0.x - candidate.x) <= slackX && abs($0.width - candidate.width) <= slackX
          && abs($0.y - candidate.y) <= slackY && abs($0.height - candidate.height) <= slackY
      }
      if !known { out.append(candidate) }
    }
    // One more candidate with caption bars crossed (one round): text on a flat bar breaks
    // its lines, so the rounds stop inside the bar. Kept apart, as crossing also walks
    // through sparse detail on flat content (stars on a night sky).
    var crossing: (Int, Int, Int, Int)?
    if !rounds.isEmpty {
      let top = depth(base, start: 0, sampleStep: 1, length: width, lineStep: width, lines: height, limit: limitY, crossText: true)
      let bottom = depth(
        base, start: (height - 1) * width, sampleStep: 1, length: width, lineStep: -width, lines: height, limit: limitY,
        crossText: true)
      let left = depth(base, start: 0, sampleStep: width, length: height, lineStep: 1, lines: width, limit: limitX, crossText: true)
      let right = depth(
        base, start: width - 1, sampleStep: width, length: height, lineStep: -1, lines: width, limit: limitX, crossText: true)
      crossing = (top, bottom, left, right)
    }
    // In the order most worth hashing, up to maxCandidates: the first two rounds and the
    // last (nested frames), the caption crossing, then the even trims.
    func even(_ r: (Int, Int, Int, Int)) -> (Int, Int, Int, Int) { (min(r.0, r.1), min(r.0, r.1), min(r.2, r.3), min(r.2, r.3)) }
    var ordered: [(Int, Int, Int, Int)] = Array(rounds.prefix(2)) + (rounds.count > 2 ? [rounds.last!] : [])
    ordered += crossing.map { [$0] } ?? []
    ordered += [rounds.first, rounds.last, rounds.count > 1 ? rounds[1] : nil].compactMap { $0.map(even) }
    ordered += rounds.dropFirst(2).dropLast() + rounds.dropFirst(2).dropLast().map(even)
    for (t, b, l, r) in ordered where out.count < maxCandidates { add(t, b, l, r) }
    return out
  }

  /// How many lines of one side are border, at most `limit`.
  private func depth(
    _ plane: UnsafePointer<Float>, start: Int, sampleStep: Int, length: Int, lineStep: Int, lines: Int, limit: Int,
    crossText: Bool = false
  ) -> Int {
    var depth = 0
    var bands = 0
    while bands < maxBands, depth < limit {
      let first = plane + start + depth * lineStep
      var sum: Float = 0
      for i in 0..<length { sum += first[i * sampleStep] }
      let level = sum / Float(length)
      func flat(_ i: Int) -> Bool { isFlat(plane + start + i * lineStep, sampleStep: sampleStep, length: length, level: level) }
      var end = depth
      while end < lines, flat(end) { end += 1 }
      // Not a band, or one that runs on into the picture: stop before it.
      guard end > depth, end < limit else { break }
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
      depth = crossed
      bands += 1
    }
    return depth
  }

  /// The share of a line's samples within the tolerance of `level`.
  private func share(_ line: UnsafePointer<Float>, sampleStep: Int, length: Int, level: Float) -> Float {
    var near = 0
    for i in 0..<length where abs(line[i * sampleStep] - level) <= tolerance { near += 1 }
    return Float(near) / Float(length)
  }

  /// Whether one line is flat at `level`.
  private func isFlat(_ line: UnsafePointer<Float>, sampleStep: Int, length: Int, level: Float) -> Bool {
    let allowedOutliers = Int(Float(length) * maxOutlierShare)
    let allowedDeviation = maxMeanDeviation * Float(length)
    var outliers = 0
    var deviation: Float = 0
    for i in 0..<length {
      let d = abs(line[i * sampleStep] - level)
      deviation += d
      if d > tolerance {
        outliers += 1
        if outliers > allowedOutliers { return false }
      }
    }
    return deviation <= allowedDeviation
  }
}
