import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1 connection handling, with each connection's task run on the event
/// loop that owns its socket.
///
/// By default a connection's task runs on Swift's global executor, so every request crosses
/// threads twice: the event loop reads it and wakes a pool thread (an `eventfd` write and a
/// futex), which runs the handler and hands the response back to the loop the same way. With
/// the loop as the task's preferred executor, reading, routing, the handler and the write
/// happen on one thread with no wake-ups between them. Hash-only `/v1/match` on two cores
/// answered 8–20 % more requests a second (`Benchmarks/README.md`, service load).
///
/// What must not hold a loop runs elsewhere: uploads, batches and long JSON bodies on Swift's
/// global executor (``SieveService/runsOffTheLoop(_:_:)``), image decoding and batch
/// matching on ``HashingPool``'s threads, set reloads on the registry's queue (which also
/// frees replaced sets). A single hash-only query (a fraction of a millisecond through the
/// index at 1M entries) runs on the loop.
struct EventLoopHTTP1Channel: ServerChildChannel {
  typealias Value = HTTP1Channel.Value

  let base: HTTP1Channel

  func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
    base.setup(channel: channel, logger: logger)
  }

  func handle(value: Value, logger: Logger) async {
    await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
      await base.handle(value: value, logger: logger)
    }
  }
}

extension HTTPServerBuilder {
  /// HTTP/1 whose connections' tasks run on their own event loops (``EventLoopHTTP1Channel``).
  static func http1OnEventLoops(configuration: HTTP1Channel.Configuration) -> HTTPServerBuilder {
    HTTPServerBuilder { responder in
      EventLoopHTTP1Channel(base: HTTP1Channel(responder: responder, configuration: configuration))
    }
  }
}

/// A task executor that runs jobs on one NIO event loop.
final class EventLoopTaskExecutor: TaskExecutor {
  let loop: any EventLoop

  init(_ loop: any EventLoop) { self.loop = loop }

  /// Runs the job on the loop, queued even when called from it (no re-entrancy). The loops
  /// are NIO's process-wide group, which lives as long as the process: a job is never
  /// handed to a loop that has shut down (which would drop it and leave its task waiting).
  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
  }
}
