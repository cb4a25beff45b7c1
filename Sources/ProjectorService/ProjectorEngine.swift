import EventSourcing
import Foundation
public import HTTPCommon
public import LibPQ
public import Logging
import PostgresEventStore
public import Prometheus
public import ReadModel
public import ServiceLifecycle

/// Runs every registered projection (one `ProjectionRunner` each), wakes
/// them on the write side's notifications with a polling fallback, tells the
/// query side after each committed batch, and keeps the lag metrics fresh.
public final class ProjectorEngine: Service, Sendable {
    let runners: [ProjectionRunner]
    let pool: ConnectionPool
    let conninfo: String
    let logger: Logger
    let batchNotifier: CommitNotifier
    let sharedReader: SharedLogReader

    public init(projections: [any ReadModelProjection], pool: ConnectionPool, conninfo: String,
                registry: PrometheusCollectorRegistry, logger: Logger, batchSize: Int = 1000,
                stallAfter: Duration = .seconds(30)) {
        self.pool = pool
        self.conninfo = conninfo
        self.logger = logger
        let notifier = CommitNotifier(conninfo: conninfo, channel: CommitNotifier.projectionsChannel, logger: logger)
        batchNotifier = notifier
        var settings = ProjectionRunner.Settings()
        settings.batchSize = batchSize
        settings.stallAfter = stallAfter
        let doorbells = projections.map { _ in Doorbell() }
        let reader = SharedLogReader(pool: pool)
        sharedReader = reader
        runners = zip(projections, doorbells).map { projection, doorbell in
            ProjectionRunner(projection: projection, pool: pool, conninfo: conninfo, settings: settings,
                             doorbell: doorbell, reader: reader,
                             metrics: ProjectionMetrics(projection: projection.name, registry: registry),
                             logger: logger, onBatchCommitted: {
                                 notifier.signal()
                                 // Our batch transaction held the log's watermark back for the
                                 // others: a read they made meanwhile may have come back empty.
                                 reader.signal()
                                 for other in doorbells where other !== doorbell { other.ring() }
                             })
        }
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await self.batchNotifier.run() }
            group.addTask { await self.wakeOnAppends() }
            group.addTask { await self.refreshLagMetrics() }
            for runner in runners {
                group.addTask { await runner.run() }
            }
            // Runners return on graceful shutdown, after finishing their batch.
            for _ in runners { await group.next() }
            group.cancelAll()
        }
    }

    /// Ready while every projection holds or waits for its lease and none
    /// has stalled (events waiting, checkpoint unmoved for the stall
    /// threshold while this copy holds the lease: see `StallWatch`). A
    /// failed projection with nothing after its poison event stays ready;
    /// with events waiting behind it, it stalls like any other.
    public func readiness() -> ReadinessReport {
        var checks: [String: String] = [:]
        var ready = true
        for runner in runners {
            let progress = runner.progress
            var check = runner.phase.rawValue
            if progress.stalled {
                check += ", stalled: no progress for \(Int(progress.secondsWithoutProgress)) s with events waiting"
                ready = false
            }
            if runner.phase == .stopped { ready = false }
            checks["projection \(runner.projection.name)"] = check
        }
        return ReadinessReport(ready: ready, checks: checks)
    }

    private func wakeOnAppends() async {
        let listener = Listener(conninfo: conninfo, channels: [CommitNotifier.eventsChannel], logger: logger)
        for await _ in listener.cancelOnGracefulShutdown() {
            // A notification, or a reconnect after which anything may have happened.
            sharedReader.signal()
            for runner in runners { runner.doorbell.ring() }
        }
    }

    private func refreshLagMetrics() async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await pool.withConnection { connection in
                    let checkpoints = try await ProjectionCheckpoints.loadAll(on: connection)
                    let lags = try await EventLog.lags(after: checkpoints.map(\.position), on: connection)
                    for (checkpoint, lag) in zip(checkpoints, lags) {
                        guard let runner = runners.first(where: { $0.projection.name == checkpoint.name }) else { continue }
                        runner.metrics.checkpoint(checkpoint.position)
                        runner.metrics.lag(events: lag.events, seconds: lag.seconds)
                        runner.observeProgress(position: checkpoint.position, lagEvents: lag.events)
                    }
                }
            } catch {
                logger.debug("lag metrics not refreshed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }
}
