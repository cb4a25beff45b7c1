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
///    (Ctrl-C, a crash) loses nothing and the next run resumes where it
///    stopped. Meanwhile the live projector and the query service go on with
///    the live tables.
/// 2. **Swap.** Once the new tables are near the head of the log, one
///    transaction locks the live tables (waiting for the live projector's
///    batch in flight, and holding back readers for the few milliseconds
///    left), applies the last events to the new tables, moves the live
///    tables out and the new ones in (`ALTER TABLE … SET SCHEMA`), and sets
///    the live checkpoint to the new tables' position. The live projector's
///    next batch, if it raced us, fails its checkpoint compare-and-set and is
///    rolled back; it then reloads the checkpoint and carries on against the
///    new tables. So no event is applied twice and none is skipped, readers
///    never see a missing or older view, and no lease changes hands.
/// 3. The old tables are dropped after the swap.
///
/// A session advisory lock per projection stops two rebuilds of it at once
/// (the second waits up to `lockPatience` for it, then refuses).
struct ProjectionRebuild {
    let projection: String
    let connection: Connection
    let batchSize: Int
    let report: (RebuildProgress) -> Void

    /// How long a rebuild waits for another one's lock before refusing.
    static let lockPatience = "5s"

    var rebuildSchema: String { "rebuild_\(projection)" }
    var retiredSchema: String { "retired_\(projection)" }
    var checkpointName: String { "\(projection)@rebuild" }

    func run() async throws {
        // A run interrupted a moment ago still holds the lock until the
        // server notices its connection is gone, so wait a little for it
        // before calling it a concurrent rebuild.
        try await connection.query("SELECT set_config('lock_timeout', \(Self.lockPatience), false)")
        do {
            try await connection.query(
                "SELECT pg_advisory_lock(hashtextextended(\("chronicle.rebuild." + projection), 0))")
        } catch let error as PostgresError where error.sqlState == "55P03" {
            throw AdminFailure("a rebuild of '\(projection)' is already running")
        }
        try await connection.query("SELECT set_config('lock_timeout', '0', false)")
        var position = try await prepare()
        let total = try await connection.query("SELECT count(*) FROM events")[0].decode(Int.self, at: 0)
        var done = try await connection.query(
            "SELECT count(*) FROM events WHERE (transaction_id, global_position) <= (\(position.transactionID)::xid8, \(position.globalPosition)::bigint)")[0]
            .decode(Int.self, at: 0)
        var progress = RebuildProgress(projection: projection, done: done, total: max(total, done), resumed: done > 0)
        report(progress)
        while true {
            let (applied, next) = try await applyBatch(after: position, on: connection, inTransaction: false)
            position = next
            done += applied
            progress.update(done: done, total: max(progress.total, done))
            report(progress)
            // A short batch means the head of the log: the swap takes the rest.
            if applied < batchSize { break }
        }
        done += try await swap(from: position)
        progress.update(done: done, total: max(progress.total, done))
        progress.swapped = true
        report(progress)
        try await connection.execute(unsafeScript: "DROP SCHEMA IF EXISTS \(quoteIdentifier(retiredSchema)) CASCADE")
        try await connection.execute(unsafeScript: "DROP SCHEMA IF EXISTS \(quoteIdentifier(rebuildSchema)) CASCADE")
        _ = try await connection.query(
            "SELECT pg_advisory_unlock(hashtextextended(\("chronicle.rebuild." + projection), 0))")
    }

    /// Creates the rebuild tables and checkpoint, or finds the ones an
    /// interrupted run left; returns the position to continue after.
    private func prepare() async throws -> LogPosition {
        if let existing = try await ProjectionCheckpoints.load(checkpointName, on: connection),
           try await schemaExists(rebuildSchema) {
            return existing.position
        }
        try await connection.withTransaction { tx in
            try await tx.execute(unsafeScript: "DROP SCHEMA IF EXISTS \(quoteIdentifier(rebuildSchema)) CASCADE")
            try await ShopProjections.createTables(forProjection: projection, in: rebuildSchema, on: tx)
            try await tx.query("DELETE FROM projection_checkpoints WHERE name = \(checkpointName)")
            try await ProjectionCheckpoints.ensure([checkpointName], on: tx)
        }
        return .start
    }

    private func schemaExists(_ schema: String) async throws -> Bool {
        try await connection.query("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = \(schema))")[0]
            .decode(Bool.self, at: 0)
    }

    /// Applies the next batch to the rebuild tables and moves the rebuild
    /// checkpoint, in one transaction (or in the caller's).
    private func applyBatch(after position: LogPosition, on connection: Connection,
                            inTransaction: Bool) async throws -> (Int, LogPosition) {
        let events = try await EventLog.read(after: position, limit: batchSize, on: connection)
        guard let last = events.last?.position else { return (0, position) }
        let target = ShopProjections.projection(named: projection, schema: rebuildSchema)!
        let apply: (Connection) async throws -> Void = { tx in
            try await target.apply(events, on: tx)
            try await ProjectionCheckpoints.advance(checkpointName, from: position, to: last, on: tx)
        }
        if inTransaction { try await apply(connection) } else { try await connection.withTransaction(apply) }
        return (events.count, last)
    }

    /// Returns how many events it applied while the live tables were locked.
    private func swap(from start: LogPosition) async throws -> Int {
        let tables = ShopProjections.projection(named: projection)!.tables
        return try await connection.withTransaction { tx in
            // Tables first, then the checkpoint row: the live projector takes
            // them in the same order, so neither can wait for the other in a cycle.
            let live = tables.map { "public." + quoteIdentifier($0) }.joined(separator: ", ")
            // The batches may commit lazily (ProjectionSessions), not the swap
            // that the command reports done.
            try await tx.execute(unsafeScript: "SET LOCAL synchronous_commit = on; LOCK TABLE \(live) IN ACCESS EXCLUSIVE MODE")
            try await ProjectionCheckpoints.ensure([projection], on: tx)
            _ = try await tx.query("SELECT 1 FROM projection_checkpoints WHERE name = \(projection) FOR UPDATE")
            var position = start
            var appliedWhileLocked = 0
            while true {
                let (applied, next) = try await applyBatch(after: position, on: tx, inTransaction: true)
                position = next
                appliedWhileLocked += applied
                if applied == 0 { break }
            }
            try await tx.execute(unsafeScript: """
                DROP SCHEMA IF EXISTS \(quoteIdentifier(retiredSchema)) CASCADE;
                CREATE SCHEMA \(quoteIdentifier(retiredSchema));
                """)
            for table in tables {
                try await tx.execute(unsafeScript: """
                    ALTER TABLE public.\(quoteIdentifier(table)) SET SCHEMA \(quoteIdentifier(retiredSchema));
                    ALTER TABLE \(quoteIdentifier(rebuildSchema)).\(quoteIdentifier(table)) SET SCHEMA public;
                    """)
            }
            try await tx.query("""
                UPDATE projection_checkpoints
                SET transaction_id = \(position.transactionID)::xid8, global_position = \(position.globalPosition),
                    state = 'running', last_error = NULL, updated_at = now()
                WHERE name = \(projection)
                """)
            try await tx.query("DELETE FROM projection_checkpoints WHERE name = \(checkpointName)")
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
