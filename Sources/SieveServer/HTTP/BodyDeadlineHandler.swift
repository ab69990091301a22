import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Gives every request body a deadline on the connection's event loop: when the body has
/// not arrived in full ``timeout`` after its head, the request's inbound stream ends with
/// ``Exceeded``, which ``UploadReader`` answers with 408 and a closed connection.
///
/// One timer per body still incomplete after the read that brought its head, cancelled at
/// its end, on the loop that reads the socket. Before, each read raced the body against `Task.sleep` in a task group: two
/// child tasks and a Dispatch timer (armed and cancelled through Dispatch's manager
/// thread) per request, about 5 % of the service's CPU on hash-only `/v1/match`.
///
/// The deadline counts from the head, whether or not a route reads the body: a body no
/// route reads is ended by ``UnreadBodyMiddleware`` first. Requests without a body (no
/// `Content-Length` over 0, no `Transfer-Encoding`) arm nothing.
///
/// Pipelined requests: a head read while earlier requests are still being answered starts
/// its clock only when their responses are written (the reads of its body wait for them
/// too), so a slow answer does not make the next request late.
///
/// Times are the event loop's (`EventLoop.now`), so that a test can drive the clock
/// (`BodyDeadlineHandlerTests`, on an embedded channel).
final class BodyDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPRequestPart
  typealias InboundOut = HTTPRequestPart
  typealias OutboundIn = HTTPResponsePart
  typealias OutboundOut = HTTPResponsePart

  /// The error a late body's stream ends with.
  struct Exceeded: Error, CustomStringConvertible {
    let timeout: Duration
    var description: String { "the request body did not arrive within \(UploadReader.seconds(timeout)) s" }
  }

  let timeout: Duration
  /// When the head of the body being read arrived; nil between bodies.
  private var bodyStarted: NIODeadline?
  private var pending: Scheduled<Void>?

  init(timeout: Duration) {
    self.timeout = timeout
  }

  /// Requests read whose responses are not written yet.
  private var unanswered = 0
  /// Whether the last head read has a body not read in full yet.
  private var bodyIncomplete = false

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let head):
      disarm()
      unanswered += 1
      bodyIncomplete = head.headerFields.announcesBody
      if bodyIncomplete, unanswered == 1 { bodyStarted = context.eventLoop.now }
    case .body:
      break
    case .end:
      bodyIncomplete = false
      disarm()
    }
    context.fireChannelRead(data)
  }

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    if case .end = unwrapOutboundIn(data) {
      unanswered = max(0, unanswered - 1)
      // The request whose body is still coming is now the one being answered.
      if unanswered == 1, bodyIncomplete, bodyStarted == nil {
        let started = context.eventLoop.now
        bodyStarted = started
        arm(context, deadline: started + TimeAmount(timeout))
      }
    }
    context.write(data, promise: promise)
  }

  /// The timer is armed here, at the end of a read from the socket, and only when a body
  /// is still incomplete: a small body comes in the same read as its head, and then costs
  /// no timer at all.
  func channelReadComplete(context: ChannelHandlerContext) {
    if let bodyStarted, pending == nil { arm(context, deadline: bodyStarted + TimeAmount(timeout)) }
    context.fireChannelReadComplete()
  }

  func channelInactive(context: ChannelHandlerContext) {
    disarm()
    context.fireChannelInactive()
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    disarm()
  }

  private func arm(_ context: ChannelHandlerContext, deadline: NIODeadline) {
    let timeout = timeout
    pending = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
      guard let self, self.pending != nil else { return }
      self.pending = nil
      self.bodyStarted = nil
      context.fireErrorCaught(Exceeded(timeout: timeout))
    }
  }

  private func disarm() {
    bodyStarted = nil
    pending?.cancel()
    pending = nil
  }
}
