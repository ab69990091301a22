import SieveCore
import Testing

@Suite struct HTMLTextTests {
  @Test func markupIsEscaped() {
    #expect(HTMLText.escape("<a href='x'>&\"</a>") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;")
    // A combining mark after `<` does not hide it (scalars, not characters).
    #expect(HTMLText.escape("<\u{301}script>") == "&lt;\u{301}script&gt;")
  }

  /// Controls, C0 and C1 alike, are replaced only when asked; tab and line breaks never.
  @Test func controlsReplacedOnlyWhenAsked() {
    let s = "a\u{1}b\u{1B}c\u{85}d\u{9F}e\t\n\r"
    #expect(HTMLText.escape(s) == s)
    #expect(HTMLText.escape(s, replacingControls: true) == "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e\t\n\r")
  }
}
