public import EventFeed
public import EventSourcing
import HTTPCommon
public import LibPQ
public import Logging
public import NIOCore
import PostgresEventStore
public import ServiceLifecycle
import Synchronization

/// Lets requests wait until the projections they read have reached a
/// `Consistency-Token`'s position, without polling per request.
///
/// One LISTEN connection per process (on `CommitNotifier.projectionsChannel`,
/// which the projector NOTIFYs after each committed batch) feeds one refresh
/// loop: on a notification it reads the checkpoints once and resumes every
/// waiter whose condition now holds. A `.reconnected` event (notifications
/// may have been lost meanwhile) triggers a read too. Bursts coalesce: a
/// notification that arrives during a read causes at most one more read.
///
/// Checkpoints are read from `pool`, the server queries read from. With a
/// replica that is not the server NOTIFY comes from: a replica replays
/// checkpoints and view rows together, so its own checkpoint is the one that
/// says what its views contain, but it may replay a batch after the
/// primary's notification. So while anyone waits, the loop also re-reads
/// every `recheckInterval` (short with a replica). Without a replica a
/// longer interval is only a safety net for a lost notification (the
/// projector's notifier connection was down).
///
/// The same connection is the process's one listener for the event feed:
/// it also LISTENs on `CommitNotifier.eventsChannel` and rings `commits`,
/// which wakes every open stream, on each notification of either channel
/// (a projector's batch commit matters too: its transaction held the log's
/// watermark back, so events committed meanwhile become readable only now)
/// and on each reconnect. With a replica it rings again a little later
/// (`replayEchoes`), once the replica has likely replayed the commit.
public final class CheckpointWatcher: Service, Sendable {
    public static let replicaRecheckInterval = Duration.milliseconds(50)
    public static let primaryRecheckInterval = Duration.seconds(1)

    let listenConninfo: String
    let pool: ConnectionPool
    let recheckInterval: Duration
    let logger: Logger
    /// Rung when events may have committed: the feed's streams wait on it.
    public let commits = FeedSignal()
    /// After each notification, `commits` rings again after each of these
    /// (a replica replays a commit after the primary's notification).
    let replayEchoes: [Duration]
    private let state = Mutex(State())
    private let refreshBell = Doorbell()
    private let echo = Mutex<Task<Void, Never>?>(nil)

    /// The echoes for a replica: soon, then later for a replica that lags.
    public static let replicaReplayEchoes: [Duration] = [.milliseconds(20), .milliseconds(100), .milliseconds(500)]

    private struct State {
        /// The checkpoints as last read.
        var known: [String: LogPosition] = [:]
        var waiters: [Int: Registration] = [:]
        var nextID = 0
    }

    private struct Registration {
        let names: [String]
        let position: LogPosition
        let waiter: Waiter
    }

    /// - Parameters:
    ///   - conninfo: the server the projector NOTIFYs on (the primary).
    ///   - pool: where checkpoints are read: the server queries read from.
    ///   - recheckInterval: how often to re-read while requests wait, besides
    ///     notifications.
    public init(listeningOn conninfo: String, checkpointsFrom pool: ConnectionPool,
                recheckInterval: Duration = CheckpointWatcher.primaryRecheckInterval,
                replayEchoes: [Duration] = [],
                logger: Logger = Logger(label: "chronicle.checkpoints")) {
        listenConninfo = conninfo
        self.pool = pool
        self.recheckInterval = recheckInterval
        self.replayEchoes = replayEchoes
        self.logger = logger
    }

    /// Listens and refreshes until graceful shutdown or cancellation. It
    /// runs before the HTTP server in the service group, so it still serves
    /// waiting requests while the server drains.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.listen() }
            group.addTask { await self.refreshWhenSignalled() }
        }
    }

    /// Returns true once every projection in `names` has a checkpoint at or
    /// past `position`; false when `timeout` passes first, the task is
    /// cancelled, the future `clientGone` gives completes (the client went
    /// away) or the process shuts down. Throws
    /// only when the checkpoints cannot be read at all (the database is down).
    public func wait(for names: [String], toReach position: LogPosition, timeout: Duration,
                     endingWhen clientGone: @Sendable () async -> EventLoopFuture<Void>? = { nil }) async throws -> Bool {
        if Self.reached(names, position, in: state.withLock { $0.known }) { return true }
        let waiter = Waiter()
        // Registered before the first read: a batch committed between that
        // read and a later registration would otherwise go unnoticed.
        let id = state.withLock { state in
            state.nextID += 1
            state.waiters[state.nextID] = Registration(names: names, position: position, waiter: waiter)
            return state.nextID
        }
        defer { _ = state.withLock { $0.waiters.removeValue(forKey: id) } }
        // Operators (and tests of the drain) can see a request start to wait.
        logger.debug("request waits for projections", metadata: [
            "projections": "\(names.joined(separator: ","))", "position": "\(position.globalPosition)",
            "timeout": "\(timeout)"])
        try await refresh()
        let timer = Task {
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            waiter.resolve(false)
        }
        defer { timer.cancel() }
        // Nobody is left to answer once the client has gone away. Looked up
        // only here: a token already reached, the common case, needs no
        // trip to the connection's event loop.
        await clientGone()?.whenComplete { _ in waiter.resolve(false) }
        // On SIGTERM, answer waiting requests now (stale) rather than let
        // them hold the drain for up to 30 s.
        return await withGracefulShutdownHandler {
            await waiter.outcome()
        } onGracefulShutdown: {
            waiter.resolve(false)
        }
    }

    /// Waiting requests (for tests and metrics).
    public var waiting: Int { state.withLock { $0.waiters.count } }

    /// Reads the checkpoints once and resumes the waiters they satisfy.
    func refresh() async throws {
        let checkpoints = try await pool.withConnection { try await ProjectionCheckpoints.loadAll(on: $0) }
        var positions: [String: LogPosition] = [:]
        for checkpoint in checkpoints { positions[checkpoint.name] = checkpoint.position }
        let satisfied = state.withLock { state -> [Waiter] in
            state.known = positions
            var satisfied: [Waiter] = []
            for (id, registration) in state.waiters
            where Self.reached(registration.names, registration.position, in: positions) {
                satisfied.append(registration.waiter)
                state.waiters[id] = nil
            }
            return satisfied
        }
        for waiter in satisfied { waiter.resolve(true) }
    }

    /// A projection without a checkpoint row has applied nothing.
    static func reached(_ names: [String], _ position: LogPosition, in checkpoints: [String: LogPosition]) -> Bool {
        names.allSatisfy { (checkpoints[$0] ?? .start) >= position }
    }

    private func listen() async {
        let listener = Listener(conninfo: listenConninfo,
                                channels: [CommitNotifier.eventsChannel, CommitNotifier.projectionsChannel], logger: logger)
        // A notification, or a reconnect after which anything may have happened.
        for await event in listener.cancelOnGracefulShutdown() {
            // Checkpoints move only with a batch (or after a reconnect), and
            // matter only to waiting requests, which read them once
            // themselves as they start to wait: with nobody waiting, a
            // notification wakes nothing but this loop.
            var eventsOnly = false
            if case .notification(let notification) = event { eventsOnly = notification.channel == CommitNotifier.eventsChannel }
            if !eventsOnly, waiting > 0 { refreshBell.ring() }
            commits.ring()
            echoCommits()
        }
        echo.withLock { $0?.cancel() }
    }

    /// Rings `commits` again after each of `replayEchoes`, starting over
    /// at each notification.
    private func echoCommits() {
        guard !replayEchoes.isEmpty else { return }
        let echoes = replayEchoes, commits = commits
        echo.withLock { task in
            task?.cancel()
            task = Task {
                var waited = Duration.zero
                for delay in echoes {
                    guard (try? await Task.sleep(for: delay - waited)) != nil else { return }
                    waited = delay
                    commits.ring()
                }
            }
        }
    }

    private func refreshWhenSignalled() async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await cancelWhenGracefulShutdown { await self.refreshBell.wait(timeout: self.recheckInterval) }
            guard waiting > 0 else { continue }
            do {
                try await refresh()
            } catch {
                logger.debug("checkpoints not re-read", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// One waiting request's outcome: set once (by a refresh, the timer or
/// cancellation), whichever comes first.
private final class Waiter: Sendable {
    private struct State {
        var outcome: Bool?
        var continuation: CheckedContinuation<Bool, Never>?
    }

    private let state = Mutex(State())

    func resolve(_ outcome: Bool) {
        let continuation = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: outcome)
    }

    func outcome() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let known = state.withLock { state -> Bool? in
                    if let outcome = state.outcome { return outcome }
                    state.continuation = continuation
                    return nil
                }
                if let known { continuation.resume(returning: known) }
            }
        } onCancel: {
            resolve(false)
        }
    }
}
