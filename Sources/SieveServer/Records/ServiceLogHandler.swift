import Logging

/// The service's log handler: swift-log's standard-error stream, with metadata kept as
/// given and formatted only when a line is written.
///
/// Hummingbird adds a request id to the logger of every request; the stream handler
/// formats all of its metadata into text each time metadata is set, whether or not
/// anything is logged. At the service's `warning` level nothing is logged for a request
/// that goes well, and that formatting was 1–2 % of the CPU of hash-only `/v1/match`.
struct ServiceLogHandler: LogHandler {
  let label: String
  var logLevel: Logger.Level
  var metadata: Logger.Metadata = [:]
  var metadataProvider: Logger.MetadataProvider?

  init(label: String, logLevel: Logger.Level) {
    self.label = label
    self.logLevel = logLevel
  }

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    var stream = StreamLogHandler.standardError(label: label, metadataProvider: metadataProvider)
    stream.logLevel = logLevel
    stream.metadata = metadata
    stream.log(event: event)
  }
}
