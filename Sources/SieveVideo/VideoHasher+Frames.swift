import SieveImaging

extension VideoHasher {
  /// The frames numbered `numbers` of the video in `bytes`, as RGB pictures: numbered as
  /// vPDQ numbers them (every frame decoded in order, from 0), decoded in one pass only as
  /// far as the last asked for, within ``limits``. A number past the end, or a frame that
  /// does not decode, is missing from the result. For reports: a matched frame's thumbnail.
  public func frames(_ numbers: Set<Int>, of bytes: [UInt8]) throws(VideoError) -> [Int: PixelImage] {
    guard let last = numbers.max(), last >= 0 else { return [:] }
    do {
      return try bytes.withUnsafeBytes { data throws(VideoError) in
        if AnimatedWebP.isAnimated(data) { return try webpFrames(numbers, last: last, of: data) }
        let reader = try VideoReader(bytes: data, limits: limits, threads: decoderThreads, deadline: nil)
        var found: [Int: PixelImage] = [:]
        var number = 0
        while number <= last, number < limits.maxDecodedFrames,
          let frame = try? reader.next(convert: numbers.contains(number))
        {
          if let rgb = frame.rgb { found[number] = PixelImage(width: frame.width, height: frame.height, layout: .rgb, pixels: rgb) }
          number += 1
        }
        return found
      }
    } catch let error as VideoError {
      throw error
    } catch {
      throw .decoding("\(error)")
    }
  }

  private func webpFrames(_ numbers: Set<Int>, last: Int, of data: UnsafeRawBufferPointer) throws(VideoError) -> [Int: PixelImage] {
    let animation = try WebPAnimation(data, header: WebPAnimation.header(of: data, limits: limits))
    var found: [Int: PixelImage] = [:]
    var number = 0
    while number <= last, animation.hasMoreFrames, animation.advance() {
      if numbers.contains(number) { found[number] = animation.current() }
      number += 1
    }
    return found
  }
}
