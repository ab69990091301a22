import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import SieveServer

/// The body deadline on an embedded channel, whose clock only moves when told: when a
/// deadline starts, when it is cancelled, and pipelined requests whose bodies wait for
/// the answers before them.
@Suite struct BodyDeadlineHandlerTests {
  let timeout = Duration.seconds(2)

  func channel() throws -> EmbeddedChannel {
    let channel = EmbeddedChannel()
    try channel.pipeline.syncOperations.addHandler(BodyDeadlineHandler(timeout: timeout))
    return channel
  }

  /// A request head announcing `body` bytes (none: no `Content-Length`).
  func head(body: Int? = nil) -> HTTPRequestPart {
    var request = HTTPRequest(method: body == nil ? .get : .post, scheme: nil, authority: "localhost", path: "/v1/match")
    if let body { request.headerFields[.contentLength] = String(body) }
    return .head(request)
  }

  func bytes(_ count: Int) -> HTTPRequestPart { .body(ByteBuffer(repeating: 0x41, count: count)) }

  /// `parts` as one read from the socket.
  func read(_ channel: EmbeddedChannel, _ parts: HTTPRequestPart...) throws {
    for part in parts { channel.pipeline.fireChannelRead(part) }
    channel.pipeline.fireChannelReadComplete()
    try channel.throwIfErrorCaught()
  }

  /// A whole response written.
  func answer(_ channel: EmbeddedChannel) throws {
    try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
    try channel.writeOutbound(HTTPResponsePart.end(nil))
  }

  /// Moves the clock by `seconds`; true when the deadline fired meanwhile.
  func expired(_ channel: EmbeddedChannel, after seconds: Double) -> Bool {
    channel.embeddedEventLoop.advanceTime(by: .milliseconds(Int64(seconds * 1000)))
    do {
      try channel.throwIfErrorCaught()
      return false
    } catch is BodyDeadlineHandler.Exceeded {
      return true
    } catch {
      Issue.record("unexpected error \(error)")
      return false
    }
  }

  @Test func aBodyThatStopsComingIsLate() throws {
    let channel = try channel()
    try read(channel, head(body: 100), bytes(10))
    #expect(!expired(channel, after: 1.9))
    try read(channel, bytes(10))
    // Counted from the head, not from the last piece.
    #expect(expired(channel, after: 0.2))
  }

  @Test func aBodyInPiecesWithinItsDeadlineIsNotLate() throws {
    let channel = try channel()
    try read(channel, head(body: 20), bytes(10))
    #expect(!expired(channel, after: 1.5))
    try read(channel, bytes(10), .end(nil))
    try answer(channel)
    // The timer ended with the body: the connection stays quiet long after it.
    #expect(!expired(channel, after: 10))
    try read(channel, head(body: 5), bytes(5), .end(nil))
    #expect(!expired(channel, after: 10))
  }

  @Test func requestsWithoutBodiesHaveNoDeadline() throws {
    let channel = try channel()
    try read(channel, head())
    #expect(!expired(channel, after: 10))
    try read(channel, .end(nil))
    #expect(!expired(channel, after: 10))
  }

  /// The second request's head and part of its body arrive while the first is still
  /// being answered (slowly: longer than the deadline). Its clock starts when the
  /// first's answer is written.
  @Test func aPipelinedBodyWaitsForTheAnswersBeforeIt() throws {
    let channel = try channel()
    try read(channel, head(body: 5), bytes(5), .end(nil), head(body: 20), bytes(10))
    #expect(!expired(channel, after: 5))
    try answer(channel)
    #expect(!expired(channel, after: 1.5))
    try read(channel, bytes(10), .end(nil))
    try answer(channel)
    #expect(!expired(channel, after: 10))
  }

  /// The same, but the second body never comes: late a deadline after the first answer.
  @Test func aPipelinedBodyThatNeverComesIsLateAfterTheAnswersBeforeIt() throws {
    let channel = try channel()
    try read(channel, head(body: 5), bytes(5), .end(nil), head(), .end(nil), head(body: 20), bytes(10))
    #expect(!expired(channel, after: 5))
    try answer(channel)
    // One answer is still owed before the incomplete body's.
    #expect(!expired(channel, after: 5))
    try answer(channel)
    #expect(!expired(channel, after: 1.9))
    #expect(expired(channel, after: 0.2))
  }

  @Test func aClosedConnectionCancelsTheDeadline() throws {
    let channel = try channel()
    try read(channel, head(body: 100), bytes(10))
    channel.pipeline.fireChannelInactive()
    #expect(!expired(channel, after: 10))
  }
}
