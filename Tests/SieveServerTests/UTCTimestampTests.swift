import Foundation
import Testing

@testable import SieveServer

@Suite struct UTCTimestampTests {
  /// The same text as Foundation's ISO 8601 style with fractional seconds, which the audit
  /// log used before: the epoch, a leap day, ends of months and years, this century's end.
  @Test func sameAsFoundationsStyle() {
    let style = Date.ISO8601FormatStyle().year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)
    let instants = [0, 59, 951_782_400, 951_868_799, 1_704_067_199, 1_709_164_800, 1_764_633_600, 1_798_761_599, 4_102_444_799]
    for seconds in instants {
      for milliseconds in [0, 250, 500, 750] {  // exact in binary, so Foundation's Date holds them as they are
        let date = Date(timeIntervalSince1970: Double(seconds) + Double(milliseconds) / 1000)
        #expect(UTCTimestamp.string(seconds: seconds, milliseconds: milliseconds) == date.formatted(style), "\(seconds).\(milliseconds)")
      }
    }
    #expect(UTCTimestamp.string(seconds: 1_764_660_325, milliseconds: 7) == "2025-12-02T07:25:25.007Z")
  }

  @Test func nowIsNow() throws {
    let text = UTCTimestamp.now()
    #expect(text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil, "\(text)")
    let parsed = try #require(try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)))
    #expect(abs(parsed.timeIntervalSinceNow) < 5)
  }
}
