import LibPQ
public import Logging
public import ServiceLifecycle

/// Tells listeners (projectors) that events were committed, after the commit,
/// from a connection of its own.
///
/// Why not `pg_notify` inside the append: PostgreSQL takes a database-wide
/// lock at NOTIFY and holds it until commit, so notifying transactions commit
/// (and fsync) one at a time. Here appends only call `signal()`, which never
/// blocks; a burst of signals is coalesced into one NOTIFY. A lost
/// notification (this process dies between commit and NOTIFY, or the
/// connection is down) only delays projectors until their polling fallback.
public final class CommitNotifier: Service, Sendable {
    /// The channel projectors LISTEN on: events were appended.
    public static let eventsChannel = "chronicle_events"
    /// The channel query services LISTEN on: a projection committed a batch.
    public static let projectionsChannel = "chronicle_projections"

    private let conninfo: String
    private let channel: String
    private let logger: Logger
    private let signals: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    public init(conninfo: String, channel: String = CommitNotifier.eventsChannel,
                logger: Logger = Logger(label: "chronicle.notifier")) {
        self.conninfo = conninfo
        self.channel = channel
        self.logger = logger
        // Holding at most one pending signal is what coalesces a burst.
        (signals, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Records that something was committed; returns at once.
    public func signal() { continuation.yield() }

    public func run() async throws {
        var connection: Connection?
        for await _ in signals.cancelOnGracefulShutdown() {
            do {
                if connection == nil { connection = try await Connection.connect(conninfo) }
                try await connection?.query(SQL(unsafeRaw: "NOTIFY \(quoteIdentifier(channel))"))
            } catch {
                logger.debug("could not notify; projectors will poll", metadata: ["error": "\(error)"])
                await connection?.close()
                connection = nil
            }
        }
        await connection?.close()
    }
}
