public import Logging

/// LISTENs on a dedicated connection and delivers notifications as an
/// `AsyncSequence`. When the connection drops (PostgreSQL restarted, network)
/// it reconnects with backoff, LISTENs again and yields `.reconnected`:
/// notifications sent while it was away are lost, so a consumer must re-check
/// whatever it waits for.
public struct Listener: AsyncSequence, Sendable {
    public enum Event: Sendable, Equatable {
        case notification(PostgresNotification)
        /// The connection was (re)established; anything may have happened
        /// meanwhile. Also the first element, once LISTEN is in place.
        case reconnected
    }

    public typealias Element = Event

    let conninfo: String
    let channels: [String]
    let logger: Logger
    let pollInterval: Duration

    /// `channels` are identifiers we choose (not user input); they are quoted
    /// as identifiers all the same.
    public init(conninfo: String, channels: [String], logger: Logger = Logger(label: "chronicle.listener"),
                pollInterval: Duration = .milliseconds(250)) {
        self.conninfo = conninfo
        self.channels = channels
        self.logger = logger
        self.pollInterval = pollInterval
    }

    public func makeAsyncIterator() -> AsyncStream<Event>.Iterator {
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        let task = Task { [self] in await pump(into: continuation) }
        continuation.onTermination = { _ in task.cancel() }
        return stream.makeAsyncIterator()
    }

    private func pump(into continuation: AsyncStream<Event>.Continuation) async {
        var backoff = Duration.milliseconds(50)
        while !Task.isCancelled {
            var connection: Connection?
            do {
                let opened = try await Connection.connect(conninfo)
                connection = opened
                for channel in channels {
                    try await opened.execute(unsafeScript: "LISTEN \(quoteIdentifier(channel))")
                }
                backoff = .milliseconds(50)
                continuation.yield(.reconnected)
                while !Task.isCancelled {
                    for notification in try await opened.awaitNotifications(timeout: pollInterval) {
                        continuation.yield(.notification(notification))
                    }
                }
            } catch {
                logger.warning("listener connection lost, reconnecting",
                               metadata: ["error": "\(error)", "retry_in": "\(backoff)"])
            }
            await connection?.close()
            try? await Task.sleep(for: backoff)
            backoff = Swift.min(backoff * 2, .seconds(2))
        }
        continuation.finish()
    }
}

/// Quotes an identifier for splicing into SQL text (LISTEN takes no parameters).
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
