import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client stops taking its response: when a response's end is
/// still not on the socket ``timeout`` after it was flushed, and the socket took nothing
/// more meanwhile, the connection is closed.
///
/// A client that sends a request and never reads the answer fills the socket's buffers;
/// the response is then never finished, Hummingbird's idle timeout does not run while a
/// response is in progress, and the connection (its task, its buffers, a slot of the
/// service's) is held for as long as the client likes. A few such clients would hold a
/// service without sending a byte more.
///
/// Costs nothing while clients read: the timer is armed only when a response's end was not
/// written by the flush that sent it. Progress counts as life, and the deadline starts over
/// after it: fewer bytes waiting in the channel than when the timer was armed, a response
/// finished (of several pipelined), or the channel writable again. A large answer read
/// slowly over a slow link is not cut; one that is not read at all is.
///
/// Times are the event loop's (`EventLoop.now`), so that a test can drive the clock
/// (`ResponseDeadlineHandlerTests`, on an embedded channel).
final class ResponseDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPRequestPart
  typealias InboundOut = HTTPRequestPart
  typealias OutboundIn = HTTPResponsePart
  typealias OutboundOut = HTTPResponsePart

  let timeout: Duration
  /// Responses whose end was written to the channel but is not on the socket yet.
  private var unfinished = 0
  private var pending: Scheduled<Void>?
  /// Whether a response was finished, or the channel became writable again, since the
  /// timer was armed.
  private var progressed = false
  /// The bytes waiting in the channel when the timer was armed.
  private var bufferedWhenArmed: Int?
  /// The bytes the channel holds that the socket has not taken yet, or nil where the
  /// channel cannot say (a test stands in for the socket with this).
  var bufferedBytes: (ChannelHandlerContext) -> Int? = { context in
    try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)
  }

  init(timeout: Duration) {
    self.timeout = timeout
  }

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    guard case .end = unwrapOutboundIn(data) else {
      context.write(data, promise: promise)
      return
    }
    let written = promise ?? context.eventLoop.makePromise(of: Void.self)
    unfinished += 1
    written.futureResult.assumeIsolated().whenComplete { [weak self] _ in
      guard let self else { return }
      self.unfinished -= 1
      if self.unfinished == 0 { self.disarm() } else { self.progressed = true }
    }
    context.write(data, promise: written)
  }

  func flush(context: ChannelHandlerContext) {
    context.flush()
    if unfinished > 0, pending == nil { arm(context) }
  }

  func channelWritabilityChanged(context: ChannelHandlerContext) {
    if context.channel.isWritable { progressed = true }
    context.fireChannelWritabilityChanged()
  }

  func channelInactive(context: ChannelHandlerContext) {
    disarm()
    context.fireChannelInactive()
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    disarm()
  }

  private func arm(_ context: ChannelHandlerContext) {
    progressed = false
    bufferedWhenArmed = bufferedBytes(context)
    pending = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [weak self] in
      guard let self, self.pending != nil else { return }
      self.pending = nil
      guard self.unfinished > 0 else { return }
      if self.progressed || self.bufferedBytes(context).map({ $0 < (self.bufferedWhenArmed ?? 0) }) == true {
        self.arm(context)
      } else {
        context.close(promise: nil)
      }
    }
  }

  private func disarm() {
    pending?.cancel()
    pending = nil
  }
}
