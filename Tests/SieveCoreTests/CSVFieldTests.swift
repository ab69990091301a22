import SieveCore
import Testing

@Suite struct CSVFieldTests {
  @Test func quotesWhatWouldBreakARow() {
    #expect(CSVField.quote("plain/path.jpg") == "plain/path.jpg")
    #expect(CSVField.quote("a,b") == "\"a,b\"")
    #expect(CSVField.quote("say \"hi\"") == "\"say \"\"hi\"\"\"")
    #expect(CSVField.quote("x\nnew") == "\"x\nnew\"")
    // "\r\n" is one Character in Swift; it must still be quoted.
    #expect(CSVField.quote("x\r\nev2.jpg") == "\"x\r\nev2.jpg\"")
  }

  /// A quote fused with a combining mark or joiner is one Character that is not `"`: it
  /// must still be doubled, or the field ends early and the rest of the name becomes cells.
  @Test func quotesFusedWithMarksAreStillDoubled() {
    for mark in ["\u{0301}", "\u{200D}", "\u{FE0F}"] {
      let field = "a\"\(mark),=1"
      #expect(CSVField.quote(field) == "\"a\"\"\(mark),=1\"")
    }
  }

  @Test func spreadsheetFormulasAreDefused() {
    for dangerous in ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
      #expect(CSVField.spreadsheetSafe(dangerous) == "'" + dangerous)
    }
    for harmless in ["", "photo.jpg", "/evidence/=x.jpg", "a-b", "1=1", "'quoted"] {
      #expect(CSVField.spreadsheetSafe(harmless) == harmless)
    }
    // Defused, then quoted: the quote marks still wrap the whole field.
    #expect(CSVField.quote(CSVField.spreadsheetSafe("=1,2")) == "\"'=1,2\"")
  }
}
