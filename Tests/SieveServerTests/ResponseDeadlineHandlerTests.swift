import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import SieveServer

/// The response deadline on an embedded channel whose clock only moves when told, behind
/// a stand-in for a socket whose client does not read: writes it holds stay unfinished
/// until the test lets them through.
@Suite struct ResponseDeadlineHandlerTests {
  let timeout = Duration.seconds(2)

  /// Holds every write (the socket's buffers are full) until ``drain()``.
  final class StuckSocket: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    var held: [EventLoopPromise<Void>?] = []
    var stuck = true

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
      if stuck { held.append(promise) } else { context.write(data, promise: promise) }
    }

    /// The client reads: what was held is written.
    func drain() {
      for promise in held { promise?.succeed() }
      held = []
    }
  }

  func channel(stuck: Bool = true) throws -> (EmbeddedChannel, StuckSocket) {
    let channel = EmbeddedChannel()
    let socket = StuckSocket()
    socket.stuck = stuck
    try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 80)).wait()
    try channel.pipeline.syncOperations.addHandler(socket)
    try channel.pipeline.syncOperations.addHandler(ResponseDeadlineHandler(timeout: timeout))
    return (channel, socket)
  }

  /// A whole response written and flushed.
  func answer(_ channel: EmbeddedChannel) {
    channel.write(HTTPResponsePart.head(HTTPResponse(status: .ok)), promise: nil)
    channel.write(HTTPResponsePart.body(ByteBuffer(repeating: 0x41, count: 1000)), promise: nil)
    channel.writeAndFlush(HTTPResponsePart.end(nil), promise: nil)
  }

  func advance(_ channel: EmbeddedChannel, _ seconds: Double) {
    channel.embeddedEventLoop.advanceTime(by: .milliseconds(Int64(seconds * 1000)))
  }

  @Test func aResponseNobodyTakesClosesTheConnection() throws {
    let (channel, _) = try channel()
    answer(channel)
    advance(channel, 1.9)
    #expect(channel.isActive)
    advance(channel, 0.2)
    #expect(!channel.isActive)
  }

  @Test func aResponseTakenInTimeLeavesTheConnectionOpen() throws {
    let (channel, socket) = try channel()
    answer(channel)
    advance(channel, 1.5)
    socket.drain()
    advance(channel, 10)
    #expect(channel.isActive)
    // The next response has a deadline of its own, from its own flush.
    answer(channel)
    advance(channel, 1.9)
    #expect(channel.isActive)
    advance(channel, 0.2)
    #expect(!channel.isActive)
    _ = try? channel.finish()
  }

  /// A client that reads, slowly, makes the channel writable again: the deadline starts over.
  @Test func progressStartsTheDeadlineOver() throws {
    let (channel, _) = try channel()
    answer(channel)
    advance(channel, 1.5)
    channel.pipeline.fireChannelWritabilityChanged()  // writable: the socket took some
    advance(channel, 1.0)
    #expect(channel.isActive)
    advance(channel, 1.1)
    #expect(channel.isActive, "the progress counted for one more period")
    advance(channel, 2.0)
    #expect(!channel.isActive, "no progress in the next")
  }

  /// One large answer read slowly: the bytes waiting in the channel go down between
  /// deadlines, and that is progress; once they stop going down, the connection is closed.
  @Test func aSlowReaderOfOneLargeAnswerIsNotCut() throws {
    let channel = EmbeddedChannel()
    try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 80)).wait()
    let socket = StuckSocket()
    let handler = ResponseDeadlineHandler(timeout: timeout)
    var waiting = 10_000_000
    handler.bufferedBytes = { _ in waiting }
    try channel.pipeline.syncOperations.addHandler(socket)
    try channel.pipeline.syncOperations.addHandler(handler)
    answer(channel)
    for _ in 0..<5 {
      waiting -= 100_000  // the client took some
      advance(channel, 2.1)
      #expect(channel.isActive)
    }
    advance(channel, 2.1)
    #expect(!channel.isActive, "nothing taken in the last period")
  }

  /// Pipelined answers: one finished is progress for those still waiting.
  @Test func aFinishedAnswerIsProgressForTheNext() throws {
    let (channel, socket) = try channel()
    answer(channel)
    answer(channel)
    advance(channel, 1.5)
    // The client takes the first answer (its three parts), not the second.
    for promise in socket.held.prefix(3) { promise?.succeed() }
    advance(channel, 1.0)
    #expect(channel.isActive)
    advance(channel, 1.1)
    #expect(channel.isActive)
    advance(channel, 2.0)
    #expect(!channel.isActive)
  }

  /// Writes the socket takes at once arm nothing (no timer on the fast path).
  @Test func responsesWrittenAtOnceArmNothing() throws {
    let (channel, _) = try channel(stuck: false)
    for _ in 0..<3 { answer(channel) }
    advance(channel, 60)
    #expect(channel.isActive)
    var parts = 0
    while try channel.readOutbound(as: HTTPResponsePart.self) != nil { parts += 1 }
    #expect(parts == 9)
    _ = try? channel.finish()
  }
}
