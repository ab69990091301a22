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
}
