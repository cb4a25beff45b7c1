import EventSourcing
import Foundation
import HTTPCommon
import LibPQ
import Logging
import PostgresEventStore
import ReadModel
import ServiceLifecycle
import Synchronization

/// Runs one projection: holds its lease, tails the event log from its
/// checkpoint in batches, and applies each batch and the checkpoint's
/// compare-and-set in one transaction.
///
/// **Never skipping an event.** The log is read through `EventLog.read`,
/// which returns only events whose writing transaction is older than every
/// transaction still running, ordered by `(transaction_id, global_position)`;
/// the checkpoint is that pair. A transaction that took position 41 but
/// commits after the one that took 42 has the older transaction id, so it
/// holds the watermark back until it commits and is then read first: nothing
/// below a checkpoint can appear later. The price: any long-open transaction
/// on the server holds every projection back (lag rises in the metrics and in
/// `GET /projections`), though nothing is ever skipped or repeated.
///
/// **Never applying an event twice.** The read-table writes and the
/// checkpoint update commit together, and the update is a compare-and-set on
/// the previous position: a crash before commit applies nothing, and a second
/// projector that somehow overlaps gets `CheckpointMoved` instead of
/// re-applying.
///
/// **One active copy.** Each projection has a lease: a session advisory lock
/// (keyed by the projection's name) held on a dedicated connection. Other
/// copies retry every `leaseRetry`; when the holder dies — even by kill -9 —
/// PostgreSQL drops its session and the lock, and a waiting copy takes over.
///
/// **A moved checkpoint is never a poison event.** A batch's first statement
/// is the checkpoint's compare-and-set (`ProjectionCheckpoints.inBatch`): it
/// locks the row and raises if the checkpoint is no longer where the batch
/// read from, before a single read row is written. A rebuild's swap takes the
/// same row lock before it moves its tables in, so a batch either commits
/// before the swap starts or finds the checkpoint moved after it; the runner
/// then reloads the checkpoint and goes on from there, keeping its lease.
///
/// **Poison events.** A batch that fails is retried event by event with
/// backoff; an event that still fails stops this projection at that event in
/// state `failed`, with the error recorded. Other projections go on; a
/// restart of the projector retries from the failed event. Nothing stops
/// silently: the failure is recorded only if the checkpoint is still at the
/// event (otherwise the runner resumes from where it is now); if it cannot
/// be recorded the runner retries rather than parks; and a parked runner
/// keeps watching its row, resuming when a rebuild or an operator moves it.
final class ProjectionRunner: Sendable {
    struct Settings: Sendable {
        var batchSize = 1000
        var pollInterval: Duration = .milliseconds(500)
        var leaseRetry: Duration = .milliseconds(250)
        var leaseCheckInterval: Duration = .seconds(1)
        /// Attempts for one event before it is declared poison.
        var attemptsPerEvent = 4
        var firstBackoff: Duration = .milliseconds(100)
        /// How often a projection stopped at a poison event re-reads its
        /// checkpoint row, to resume if a rebuild or an operator moved it.
        var parkedCheck: Duration = .seconds(2)
        /// Events waiting and the checkpoint unmoved this long, while this
        /// copy holds the lease: stalled (`StallWatch`).
        var stallAfter: Duration = .seconds(30)
        /// Events applied before the first `ANALYZE` of the projection's
        /// tables (`AnalyzeSchedule`).
        var firstAnalyzeAfter = 1000
        /// How long a projection whose last batch held nothing for it (and
        /// was not full) waits before it reads again, so that it moves its
        /// checkpoint over several of the others' commits at once.
        var idlePause: Duration = .milliseconds(25)
        /// How long a projection waits after writing a batch that was not
        /// full before it reads again, so that the commits of that moment
        /// gather into its next batch. Under a steady stream of commands each
        /// wake-up would otherwise carry a handful of events, and every batch
        /// costs a transaction, its statements and a commit wherever it is
        /// small: fewer, larger batches spend less of the server and of this
        /// process per event. The price is at most this much more lag.
        var gatherPause: Duration = .milliseconds(5)
    }

    enum Phase: String, Sendable {
        case waitingForLease = "waiting_for_lease", running, failed, stopped
    }

    let projection: any ReadModelProjection
    /// The events `projection` writes anything for (the others only move
    /// its checkpoint); kept, as a declarative projection gathers it from
    /// its handlers.
    let relevant: EventFilter
    let pool: ConnectionPool
    let conninfo: String
    let settings: Settings
    let doorbell: Doorbell
    let reader: SharedLogReader
    let metrics: ProjectionMetrics
    let logger: Logger
    let onBatchCommitted: @Sendable () -> Void
    private let phaseBox = Mutex(Phase.waitingForLease)
    private let stall: Mutex<(watch: StallWatch, verdict: StallWatch.Verdict)>

    init(projection: any ReadModelProjection, pool: ConnectionPool, conninfo: String, settings: Settings,
         doorbell: Doorbell = Doorbell(), reader: SharedLogReader, metrics: ProjectionMetrics, logger: Logger,
         onBatchCommitted: @escaping @Sendable () -> Void) {
        self.projection = projection
        self.relevant = projection.eventFilter
        self.doorbell = doorbell
        self.reader = reader
        self.pool = pool
        self.conninfo = conninfo
        self.settings = settings
        self.metrics = metrics
        var logger = logger
        logger[metadataKey: "projection"] = .string(projection.name)
        self.logger = logger
        self.onBatchCommitted = onBatchCommitted
        stall = Mutex((StallWatch(threshold: settings.stallAfter), .init(stalled: false, secondsWithoutProgress: 0)))
    }

    /// Judges progress from the checkpoint row and lag just read (see `StallWatch`).
    func observeProgress(position: LogPosition, lagEvents: Int) {
        let holdsLease = holdsLease
        let verdict = stall.withLock { state in
            state.verdict = state.watch.observe(position: position, lagEvents: lagEvents, holdsLease: holdsLease)
            return state.verdict
        }
        metrics.progress(verdict)
        if verdict.stalled {
            logger.warning("projection stalled: events wait and the checkpoint does not move", metadata: [
                "lag_events": "\(lagEvents)", "checkpoint": "\(position.globalPosition)",
                "seconds": "\(Int(verdict.secondsWithoutProgress))", "phase": "\(phase.rawValue)"])
        }
    }

    var progress: StallWatch.Verdict { stall.withLock { $0.verdict } }

    var phase: Phase { phaseBox.withLock { $0 } }
    private func set(_ phase: Phase) {
        phaseBox.withLock { $0 = phase }
        metrics.phase(phase == .failed)
    }

    /// True while this runner holds the projection's lease (running, or
    /// stopped at a poison event): the copy that must make progress.
    var holdsLease: Bool { [.running, .failed].contains(phase) }

    private struct LeaseLost: Error {}
    private struct Stopped: Error {}

    /// Runs until graceful shutdown (or cancellation).
    func run() async {
        defer { set(.stopped) }
        var backoff = Duration.milliseconds(100)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            set(.waitingForLease)
            guard let lease = await acquireLease() else { return }
            logger.info("lease acquired")
            do {
                try await processWhileLeased(lease)
                backoff = .milliseconds(100)
            } catch is Stopped {
                await lease.close()
                return
            } catch {
                logger.warning("projection interrupted; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(2))
            }
            await lease.close()
        }
    }

    // MARK: Lease

    private func acquireLease() async -> Connection? {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                // Named, so operators (and `chronicle-admin projections`) see who holds the lease.
                let connection = try await Connection.connect(
                    ConnectionString.overriding(conninfo, with: ["application_name": ProjectionLease.holderName]))
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    if try await ProjectionLease.tryAcquire(projection.name, on: connection) { return connection }
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.settings.leaseRetry) }
                }
                await connection.close()
            } catch {
                logger.debug("cannot reach the database for the lease", metadata: ["error": "\(error)"])
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            }
        }
        return nil
    }

    // MARK: Tailing

    private func processWhileLeased(_ lease: Connection) async throws {
        var checkpoint = try await pool.withConnection { connection -> LogPosition in
            try await ProjectionCheckpoints.ensure([projection.name], on: connection)
            // A restart retries a projection that had stopped on a poison event.
            try await ProjectionCheckpoints.markRunning(projection.name, on: connection)
            return try await loadCheckpoint(on: connection).position
        }
        set(.running)
        metrics.checkpoint(checkpoint)
        var leaseCheckedAt = ContinuousClock.now
        var idle = false
        var statistics = AnalyzeSchedule(first: settings.firstAnalyzeAfter,
                                          alreadyApplied: Int(checkpoint.globalPosition))
        while true {
            if Task.isShuttingDownGracefully || Task.isCancelled { throw Stopped() }
            if ContinuousClock.now - leaseCheckedAt > settings.leaseCheckInterval {
                try await checkLease(lease)
                leaseCheckedAt = .now
                // Idle at the head, this runner would meet a checkpoint that
                // someone else moved (an operator's reset to re-project, a
                // swap) only at its next batch's compare-and-set, which waits
                // for the next event: look at the row with the lease instead.
                if idle {
                    let row = try await loadCheckpointRow()
                    if row != checkpoint { checkpoint = resume(at: row, from: checkpoint) }
                }
            }
            let events = try await reader.read(after: checkpoint, limit: settings.batchSize)
            idle = events.isEmpty
            if idle {
                await cancelWhenGracefulShutdown { await self.doorbell.wait(timeout: self.settings.pollInterval) }
                continue
            }
            do {
                let writes = relevant.matchesAny(events)
                checkpoint = try await applyBatch(events, from: checkpoint, lease: lease, writes: writes)
                if writes, statistics.record(events.count) { await analyzeTables() }
                // A full batch (a catch-up) goes on at once. After a smaller
                // one a projection that wrote waits `gatherPause`, so the
                // commits of that moment make one batch. One that wrote
                // nothing (another context's events, a few per commit) waits
                // `idlePause`: woken by each commit, it would move its
                // checkpoint as often as the busy ones write, and wake them
                // in turn (a read and a statement each time, for nothing to
                // write); a consistency-token wait on its views may last
                // that much longer.
                let pause = writes ? settings.gatherPause : settings.idlePause
                if events.count < settings.batchSize, pause != .zero {
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
                }
            } catch is CheckpointMoved {
                // A rebuild swapped new tables in (or, against the lease's
                // promise, another copy wrote): our batch was rolled back
                // before it wrote anything; go on from where the row is now.
                checkpoint = resume(at: try await loadCheckpointRow(), from: checkpoint)
            }
        }
    }

    /// The position in this projection's checkpoint row.
    private func loadCheckpointRow() async throws -> LogPosition {
        try await pool.withConnection { try await self.loadCheckpoint(on: $0) }.position
    }

    /// Goes on from `row`, where the checkpoint was moved to under us;
    /// returns it.
    private func resume(at row: LogPosition, from checkpoint: LogPosition) -> LogPosition {
        logger.info("checkpoint moved under the projector; resuming from it",
                    metadata: ["from": "\(checkpoint)", "to": "\(row)"])
        set(.running)
        metrics.checkpoint(row)
        return row
    }

    /// Fresh planner statistics for the projection's tables, outside any
    /// batch. A failure only costs plans: it is logged, and tailing goes on.
    private func analyzeTables() async {
        do {
            try await pool.withConnection { try await projection.analyzeTables(on: $0) }
        } catch {
            logger.warning("could not refresh the statistics of the projection's tables",
                           metadata: ["error": "\(error)"])
        }
    }

    /// If our lease connection died, another copy may hold the lease now.
    private func checkLease(_ lease: Connection) async throws {
        do { try await ProjectionLease.check(lease) } catch { throw LeaseLost() }
    }

    private struct CheckpointMissing: Error, CustomStringConvertible {
        let name: String
        var description: String { "the checkpoint row of \(name) is missing" }
    }

    private func loadCheckpoint(on connection: Connection) async throws -> ProjectionCheckpoint {
        guard let row = try await ProjectionCheckpoints.load(projection.name, on: connection) else {
            throw CheckpointMissing(name: projection.name)
        }
        return row
    }

    /// Applies a batch; on failure, event by event, to find and stop at a
    /// poison event. Returns the new checkpoint.
    private func applyBatch(_ events: [RecordedEvent], from checkpoint: LogPosition,
                            lease: Connection, writes: Bool) async throws -> LogPosition {
        do {
            return try await commit(events, from: checkpoint, writes: writes)
        } catch let error as PostgresError where error.isConnectionFailure {
            throw error
        } catch let moved as CheckpointMoved {
            throw moved
        } catch {
            guard events.count > 1 || settings.attemptsPerEvent > 1 else {
                try await stopAtPoison(events[0], at: checkpoint, error: error, lease: lease)
            }
            metrics.batchRetried()
            logger.warning("batch failed; applying its events one by one", metadata: ["error": "\(error)"])
        }
        var position = checkpoint
        for event in events {
            var backoff = settings.firstBackoff
            var attempt = 1
            while true {
                do {
                    position = try await commit([event], from: position, writes: relevant.matchesAny([event]))
                    break
                } catch let error as PostgresError where error.isConnectionFailure {
                    throw error
                } catch let moved as CheckpointMoved {
                    throw moved
                } catch {
                    guard attempt < settings.attemptsPerEvent else {
                        try await stopAtPoison(event, at: position, error: error, lease: lease)
                    }
                    logger.warning("event failed; retrying", metadata: [
                        "position": "\(event.position)", "attempt": "\(attempt)", "error": "\(error)"])
                    try await Task.sleep(for: backoff)
                    backoff *= 4
                    attempt += 1
                }
            }
        }
        return position
    }

    /// `writes`: whether any of `events` is one `projection` writes for.
    private func commit(_ events: [RecordedEvent], from checkpoint: LogPosition,
                        writes: Bool) async throws -> LogPosition {
        let next = events[events.count - 1].position
        try await pool.withConnection { connection in
            guard writes else {
                // Nothing to write (events of other contexts, or of types
                // this projection ignores): the checkpoint still moves, for
                // consistency tokens and lag, but by its compare-and-set
                // alone, one statement instead of a five-statement batch
                // transaction. It needs no claim: with no table to write it
                // cannot meet a rebuild's swap there, and a swap that holds
                // or has moved the row makes the compare-and-set wait and
                // then raise `CheckpointMoved`.
                try await ProjectionCheckpoints.advance(projection.name, from: checkpoint, to: next, on: connection)
                return
            }
            try await ProjectionCheckpoints.inBatch(projection.name, from: checkpoint, to: next, on: connection) {
                try await projection.apply(events, on: $0)
            }
        }
        metrics.applied(events.count, checkpoint: next)
        onBatchCommitted()
        return next
    }

    /// Records the failure and parks this projection: nothing after the
    /// poison event is applied, and nothing is skipped. It ends only by
    /// throwing: `CheckpointMoved` when the checkpoint moved (before the
    /// failure was recorded, or while parked), so the caller goes on from the
    /// new position; `Stopped` at shutdown; any other error when the failure
    /// cannot be recorded, so `run` retries instead of parking unrecorded.
    private func stopAtPoison(_ event: RecordedEvent, at checkpoint: LogPosition, error: any Error,
                              lease: Connection) async throws -> Never {
        let message = "event \(event.position.globalPosition) (\(event.event.type), stream \(event.stream)) "
            + "could not be applied: \(error)"
        // Re-read before declaring anything: a swap may have moved the
        // checkpoint while our retries ran, and then the "poison" was only
        // rows the new tables already had.
        let movedTo = try await pool.withConnection { connection -> ProjectionCheckpoint? in
            let current = try await loadCheckpoint(on: connection)
            guard current.position == checkpoint else { return current }
            if try await ProjectionCheckpoints.markFailed(projection.name, at: checkpoint, error: message,
                                                          on: connection) {
                return nil
            }
            // It moved between our read and the update.
            return try await loadCheckpoint(on: connection)
        }
        if let moved = movedTo {
            logger.info("checkpoint moved while an event was failing; resuming from it",
                        metadata: ["from": "\(checkpoint)", "to": "\(moved.position)", "error": "\(error)"])
            throw CheckpointMoved(name: projection.name)
        }
        // The row says failed now: every other surface follows at once.
        metrics.failed()
        set(.failed)
        onBatchCommitted()
        logger.error("projection stopped on a poison event", metadata: ["error": "\(message)"])
        // Parked, but watching: a rebuild's swap or an operator's reset moves
        // the row (or clears its state); we then resume instead of sitting
        // on a projection every surface would call running.
        while true {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.settings.parkedCheck) }
            if Task.isShuttingDownGracefully || Task.isCancelled { throw Stopped() }
            try await checkLease(lease)
            let current = try await pool.withConnection { try await self.loadCheckpoint(on: $0) }
            if current.position != checkpoint || current.state != .failed {
                logger.info("a stopped projection's checkpoint was reset; resuming",
                            metadata: ["to": "\(current.position)"])
                throw CheckpointMoved(name: projection.name)
            }
        }
    }
}
