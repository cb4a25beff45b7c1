import EventSourcing
import Foundation
import LibPQ
import PostgresEventStore
import ReadModel

/// Rebuilds one projection with zero downtime.
///
/// 1. **Beside the live tables.** The projection's tables are created in a
///    schema of their own (`rebuild_<name>`) and filled from the first event,
///    with their own checkpoint row (`<name>@rebuild`), batch by batch, each
///    batch and its checkpoint in one transaction — so an interrupted rebuild
///    (Ctrl-C, a killed process) loses nothing and the next run resumes where
///    it stopped. Meanwhile the live projector and the query service go on
///    with the live tables. What nobody reads yet is built cheaply: the
///    tables are unlogged until just before the swap (a server crash empties
///    them, and the next run sees it and starts afresh), and only the
///    projection's own event types are read from the log.
/// 2. **Swap.** Once the new tables are near the head of the log, one
///    transaction locks the live checkpoint row (waiting for the live
///    projector's batch in flight) and then the live tables (holding back
///    readers for the few milliseconds left), applies the last events to
///    the new tables, moves the live tables out and the new ones in
///    (`ALTER TABLE … SET SCHEMA`), and sets the live checkpoint to the new
///    tables' position. The live projector's next batch, if it raced us,
///    finds its checkpoint moved at its first statement (see `swap`) and is
///    rolled back; it then reloads the checkpoint and carries on against the
///    new tables. So no event is applied twice and none is skipped, readers
///    never see a missing or older view, and no lease changes hands.
/// 3. The old tables are dropped after the swap.
///
/// A session advisory lock per projection stops two rebuilds of it at once
/// (the second waits up to `lockPatience` for it, then refuses).
struct ProjectionRebuild {
    let projection: String
    /// Where `projection` is found (the contexts the executable lists).
    let projections: ProjectionRegistry
    let connection: Connection
    let batchSize: Int
    let report: (RebuildProgress) -> Void

    /// How long a rebuild waits for another one's lock before refusing.
    static let lockPatience = "5s"
    /// Catch-up passes before the swap takes whatever is left.
    static let maxPasses = 8

    var rebuildSchema: String { "rebuild_\(projection)" }
    var retiredSchema: String { "retired_\(projection)" }
    var checkpointName: String { "\(projection)@rebuild" }

    func run() async throws {
        // A run interrupted a moment ago still holds the lock until the
        // server notices its connection is gone, so wait a little for it
        // before calling it a concurrent rebuild.
        guard try await RebuildStorage.lock(projection, patience: Self.lockPatience, on: connection) else {
            throw AdminFailure("a rebuild of '\(projection)' is already running")
        }
        var position = try await prepare()
        let counts = try await RebuildStorage.eventCounts(upTo: position, ofTypes: rebuiltProjection.eventTypes,
                                                          on: connection)
        var done = counts.done
        let total = counts.total
        var progress = RebuildProgress(projection: projection, done: done, total: max(total, done), resumed: done > 0)
        report(progress)
        // Catch up in passes, each to the head of the log as it stood when
        // the pass began. Under writes that never pause the log has no end
        // to reach, so instead of waiting for a short batch we swap once a
        // pass leaves little behind (the swap applies that rest under its
        // lock), or after `maxPasses` when writers keep pace with us.
        var passes = 0
        var statistics = AnalyzeSchedule()
        while let target = try await EventLog.head(on: connection), target > position {
            position = try await applyBatches(after: position, upTo: target, on: connection, inTransaction: false) {
                done += $0
                progress.update(done: done, total: max(progress.total, done))
                report(progress)
                return statistics.record($0)
            }
            passes += 1
            let behind = try await EventLog.lag(after: position, cap: batchSize, on: connection).events
            if behind <= batchSize || passes >= Self.maxPasses { break }
        }
        // Into the WAL once, before they go live (`buildUnlogged`); and with
        // statistics of their own, not a planner's guess for tables it has
        // never looked at.
        try await RebuildStorage.makeDurable(liveTables, in: rebuildSchema, on: connection)
        try await rebuiltProjection.analyzeTables(on: connection)
        done += try await swap(from: position)
        progress.update(done: done, total: max(progress.total, done))
        progress.swapped = true
        report(progress)
        try await RebuildStorage.dropSchema(retiredSchema, on: connection)
        try await RebuildStorage.dropSchema(rebuildSchema, on: connection)
        try await RebuildStorage.unlock(projection, on: connection)
    }

    /// Creates the rebuild tables and checkpoint, or finds the ones an
    /// interrupted run left; returns the position to continue after.
    private func prepare() async throws -> LogPosition {
        if let existing = try await ProjectionCheckpoints.load(checkpointName, on: connection),
           try await RebuildStorage.isIntact(rebuildSchema, on: connection) {
            return existing.position
        }
        try await connection.withTransaction { tx in
            try await RebuildStorage.dropSchema(rebuildSchema, on: tx)
            try await projections.createTables(forProjection: projection, in: rebuildSchema, on: tx)
            try await RebuildStorage.buildUnlogged(liveTables, in: rebuildSchema, on: tx)
            try await ProjectionCheckpoints.remove(checkpointName, on: tx)
            try await ProjectionCheckpoints.ensure([checkpointName], on: tx)
        }
        return .start
    }

    /// Applies batches until `target`, telling `applied` each batch's count
    /// of events applied (it answers whether the rebuild tables are due for
    /// `ANALYZE`, between two batches); returns the position reached.
    private func applyBatches(after start: LogPosition, upTo target: LogPosition, on connection: Connection,
                              inTransaction: Bool, applied: (Int) -> Bool) async throws -> LogPosition {
        var position = start
        var window = batchSize
        while position < target {
            let batch = try await applyBatch(after: position, upTo: target, window: window, on: connection,
                                             inTransaction: inTransaction)
            guard batch.reached > position else { break }
            position = batch.reached
            // Few of the rows scanned were this projection's: look further
            // ahead next time (a projection of another context passes over
            // a million events in a few dozen batches).
            window = batch.applied < batchSize / 2 ? min(window * 2, batchSize * Self.maxWindowFactor) : batchSize
            if applied(batch.applied), !inTransaction { try await rebuiltProjection.analyzeTables(on: connection) }
        }
        return position
    }

    /// How far past `batchSize` rows a batch looks for its projection's
    /// events (`EventLog.scan`'s window).
    static let maxWindowFactor = 64

    /// The projection's tables, unqualified (the same in both schemas).
    private var liveTables: [String] { projections.projection(named: projection)!.tables }

    private var rebuiltProjection: any ReadModelProjection {
        projections.projection(named: projection, schema: rebuildSchema)!
    }

    /// Applies the next batch, up to `target`, to the rebuild tables and
    /// moves the rebuild checkpoint, in one transaction (or in the caller's).
    /// Only the projection's event types are read (the engine would pass
    /// the others by): at most `batchSize` of them among the next `window`
    /// rows of the log.
    private func applyBatch(after position: LogPosition, upTo target: LogPosition, window: Int, on connection: Connection,
                            inTransaction: Bool) async throws -> (applied: Int, reached: LogPosition) {
        let rebuilt = rebuiltProjection
        let scan = try await EventLog.scan(after: position, limit: batchSize, matching: rebuilt.eventFilter,
                                           window: window, on: connection)
        guard let end = scan.end else { return (0, position) }
        let events = Array(scan.events.prefix { $0.position <= target })
        // Past every row scanned; or, when the scan found events of ours
        // beyond `target` (left for later), to `target`: the scan reads in
        // log order, so every row up to it was seen.
        let reached = events.count < scan.events.count ? target : end
        let apply: (Connection) async throws -> Void = { tx in
            if !events.isEmpty {
                try ProjectionCheckpoints.planStatementsAfresh(on: tx)
                try await rebuilt.apply(events, on: tx)
            }
            try await ProjectionCheckpoints.advance(checkpointName, from: position, to: reached, on: tx)
        }
        if inTransaction { try await apply(connection) } else { try await connection.withTransaction(apply) }
        return (events.count, reached)
    }

    /// Returns how many events it applied while the live tables were locked.
    private func swap(from start: LogPosition) async throws -> Int {
        let tables = liveTables
        return try await connection.withTransaction { tx in
            // The checkpoint row first, then the tables. A live batch moves
            // the same row as its first statement (`inBatch`: a
            // compare-and-set) before it writes a table, so:
            // - a batch in flight holds the row: we wait here until it
            //   commits, and then apply from a table that includes it;
            // - a batch that starts after this lock waits at its move; when
            //   we commit, its move re-reads the row, finds the checkpoint
            //   moved and raises CP001 before writing anything, and the
            //   runner reloads the checkpoint and carries on against the new
            //   tables. Nothing is applied twice, nothing skipped, and the
            //   error is never mistaken for a poison event;
            // - both take the row before the tables, so neither can wait for
            //   the other in a cycle.
            try await ProjectionCheckpoints.lockForSwap(projection, on: tx)
            try await RebuildStorage.lockLiveTables(tables, on: tx)
            // Up to the head as it is now, not "until empty": writers go on
            // appending, and the live projector takes what comes after.
            var position = start
            var appliedWhileLocked = 0
            if let target = try await EventLog.head(on: tx) {
                position = try await applyBatches(after: start, upTo: target, on: tx, inTransaction: true) {
                    appliedWhileLocked += $0
                    return false
                }
            }
            try await RebuildStorage.swapIn(tables, from: rebuildSchema, retiring: retiredSchema, on: tx)
            try await ProjectionCheckpoints.reset(projection, to: position, on: tx)
            try await ProjectionCheckpoints.remove(checkpointName, on: tx)
            return appliedWhileLocked
        }
    }
}

/// What a rebuild has done so far, for the progress display.
struct RebuildProgress {
    let projection: String
    var done: Int
    var total: Int
    let resumed: Bool
    var swapped = false
    let started = ContinuousClock.now
    let startDone: Int

    init(projection: String, done: Int, total: Int, resumed: Bool) {
        self.projection = projection
        self.done = done
        self.total = total
        self.resumed = resumed
        self.startDone = done
    }

    mutating func update(done: Int, total: Int) {
        self.done = done
        self.total = total
    }

    var eventsPerSecond: Double {
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? Double(done - startDone) / seconds : 0
    }

    var eta: String {
        let rate = eventsPerSecond
        guard rate > 0, total > done else { return "-" }
        let seconds = Int(Double(total - done) / rate)
        return seconds >= 60 ? "\(seconds / 60)m\(seconds % 60)s" : "\(seconds)s"
    }

    var fraction: Double { total == 0 ? 1 : Double(done) / Double(total) }
}
