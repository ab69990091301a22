import Foundation
import SieveCore
import Testing

@Suite struct PacingTests {
  /// Steps pause only inside `Pacing.run`, and a paced copy copies every byte.
  @Test func pausesOnlyWherePacingIsSet() {
    let clock = ContinuousClock()
    let unpaced = clock.measure { for _ in 0..<10 { Pacing.step() } }
    #expect(unpaced < .milliseconds(20))
    // A zero slice pauses at every step: ten steps take at least ten pauses.
    let paced = clock.measure {
      Pacing.run(Pacing(slice: .zero, pause: .milliseconds(3))) { for _ in 0..<10 { Pacing.step() } }
    }
    #expect(paced >= .milliseconds(30))
    // A nil run inside a paced one does not pause (one pause alone would take 300 ms);
    // the outer pacing is back after it.
    Pacing.run(Pacing(slice: .zero, pause: .milliseconds(300))) {
      #expect(clock.measure { Pacing.run(nil) { for _ in 0..<10 { Pacing.step() } } } < .milliseconds(300))
      #expect(clock.measure { Pacing.step() } >= .milliseconds(300))
    }
    // After the outermost run, steps no longer pause.
    #expect(clock.measure { Pacing.step() } < .milliseconds(20))

    let source = (0..<(3 * Pacing.chunkBytes + 123)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    var copy = [UInt8](repeating: 0, count: source.count)
    Pacing.run(Pacing(slice: .zero, pause: .microseconds(10))) {
      copy.withUnsafeMutableBytes { out in
        source.withUnsafeBytes { out.baseAddress!.pacedCopyMemory(from: $0.baseAddress!, byteCount: $0.count) }
      }
    }
    #expect(copy == source)
  }
}
