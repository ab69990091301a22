import SieveCore
import Testing

@Suite struct TerminalTextTests {
  @Test func controlAndBidiCharactersAreEscaped() {
    #expect(TerminalText.escape("plain/ü/名前.jpg") == "plain/ü/名前.jpg")
    #expect(TerminalText.escape("a\u{1B}[31mb") == "a\\x1b[31mb")
    #expect(TerminalText.escape("x\ny\r\tz\u{7F}") == "x\\x0ay\\x0d\\x09z\\x7f")
    #expect(TerminalText.escape("c1\u{9B}") == "c1\\u{9b}")
    #expect(TerminalText.escape("evil\u{202E}gpj.exe") == "evil\\u{202e}gpj.exe")
    #expect(TerminalText.escape("\u{2066}\u{200B}\u{FEFF}") == "\\u{2066}\\u{200b}\\u{feff}")
    // A combining mark or emoji joiner sequence is text, not a control (only format
    // characters that reorder or hide text are escaped).
    #expect(TerminalText.escape("e\u{301}") == "e\u{301}")
  }
}
