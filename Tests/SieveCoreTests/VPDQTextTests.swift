import SieveCore
import Testing

@Suite struct VPDQTextTests {
  static let hash = try! PDQHash(hex: "e271017f2bc42d8b3e4a9a7e2c2ee21dd4d5eb9f4e1c9e1b5f3b0a2df4a8055c")

  /// vPDQ's C++ line form round trips, 3 decimals as vPDQ writes them.
  @Test func linesRoundTrip() throws {
    let features = [
      VPDQFeature(frameNumber: 0, hash: Self.hash, quality: 100, timestamp: 0),
      VPDQFeature(frameNumber: 29, hash: Self.hash, quality: 49, timestamp: VPDQFeature.timestamp(frameNumber: 29, frameRate: 30000.0 / 1001)),
      VPDQFeature(frameNumber: 600, hash: Self.hash, quality: 7, timestamp: 20),
    ]
    let text = VPDQText.lines(features)
    #expect(text.split(separator: "\n")[1] == "29,49,\(Self.hash.hexString),0.968")
    #expect(text.split(separator: "\n")[2].hasSuffix(",20.000"))
    let back = try VPDQText.parse("# comment\r\n" + text + "\n")
    #expect(back.map(\.frameNumber) == [0, 29, 600] && back.map(\.quality) == [100, 49, 7] && back.allSatisfy { $0.hash == Self.hash })
    #expect(back.map { VPDQText.line($0) } == text.split(separator: "\n").map(String.init))
  }

  /// Bad lines are refused with their number and why.
  @Test func badLinesAreNamed() {
    let h = Self.hash.hexString
    for (text, reason) in [
      ("0,100,\(h)", "expected 4 fields"), ("x,100,\(h),0.0", "bad frame number"), ("0,101,\(h),0.0", "bad quality"),
      ("0,100,zz,0.0", "bad PDQ hash"), ("0,100,\(h),-1", "bad timestamp"), ("0,100,\(h),nan", "bad timestamp"),
      ("5,100,\(h),0.0\n4,100,\(h),0.0", "comes after"),
    ] {
      #expect(throws: VPDQText.ParseError.self) { try VPDQText.parse(text) }
      do { _ = try VPDQText.parse(text) } catch { #expect(error.description.contains(reason), "\(error)") }
    }
  }

  /// python-threatexchange's items: its timestamps printed as Python's `f"{t:.3}"` does
  /// (values checked with CPython 3.11).
  @Test func signalItemsAsPythonWritesThem() throws {
    let python: [(Double, String)] = [
      (0, "0.0"), (1 / 29.97, "0.0334"), (100, "1e+02"), (123.4, "1.23e+02"), (1, "1.0"), (12.3, "12.3"), (99.9, "99.9"),
      (99.96, "1e+02"), (0.5, "0.5"), (2, "2.0"), (1000, "1e+03"), (0.00001, "1e-05"), (10, "10.0"), (3599, "3.6e+03"),
      (29 / 29.97, "0.968"), (999.6, "1e+03"),
    ]
    for (value, expected) in python {
      let item = VPDQText.signalItems([VPDQFeature(frameNumber: 0, hash: Self.hash, quality: 90, timestamp: value)])[0]
      #expect(item == "\(Self.hash.hexString),90,\(expected)", "\(value)")
    }
    let parsed = try VPDQText.parseSignal(["\(Self.hash.hexString),100,0.0", "\(Self.hash.hexString),50,1e+02"])
    #expect(parsed.map(\.timestamp) == [0, 100] && parsed.map(\.frameNumber) == [0, 1])
    #expect(throws: VPDQText.ParseError.self) { try VPDQText.parseSignal(["\(Self.hash.hexString),100"]) }
  }

  /// A name holding a line separator cannot forge a frame line.
  @Test func onlyLineEndsEndLines() throws {
    let h = Self.hash.hexString
    let text = "0,100,\(h),0.000\u{2028}1,100,\(h),0.033\n"
    #expect(throws: VPDQText.ParseError.self) { try VPDQText.parse(text) }
    #expect(try VPDQText.parse("0,100,\(h),0.000\r1,100,\(h),0.033\r\n").count == 2)
  }
}
