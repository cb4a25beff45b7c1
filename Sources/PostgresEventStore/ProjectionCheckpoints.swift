public import EventSourcing
public import Foundation
public import LibPQ

/// A projection's row in `projection_checkpoints`.
public struct ProjectionCheckpoint: Sendable, Equatable {
    public enum State: String, Sendable { case running, failed }

    public var name: String
    public var position: LogPosition
    public var state: State
    public var lastError: String?
    public var updatedAt: Date
}

/// The checkpoint moved under us — a rebuild's swap set it, or another
/// projector advanced it (a lease overlap) — and nothing of ours was written.
public struct CheckpointMoved: Error, Sendable {
    public var name: String
    public init(name: String) { self.name = name }
}

/// The statements on `projection_checkpoints`. Advancing is a compare-and-set
/// on the previous position, run in the same transaction as the read-table
/// writes it covers, so a batch is applied once or not at all even if two
/// projectors ever overlap.
public enum ProjectionCheckpoints {
    /// Creates missing rows (at the start of the log).
    public static func ensure(_ names: [String], on connection: Connection) async throws {
        for name in names {
            try await connection.query(
                "INSERT INTO projection_checkpoints (name) VALUES (\(name)) ON CONFLICT (name) DO NOTHING")
        }
    }

    public static func load(_ name: String, on connection: Connection) async throws -> ProjectionCheckpoint? {
        try await connection.query("""
            SELECT name, transaction_id, global_position, state, last_error, updated_at
            FROM projection_checkpoints WHERE name = \(name)
            """).first.map(decode)
    }

    public static func loadAll(on connection: Connection) async throws -> [ProjectionCheckpoint] {
        try await connection.query("""
            SELECT name, transaction_id, global_position, state, last_error, updated_at
            FROM projection_checkpoints ORDER BY name
            """).map(decode)
    }

    /// Moves `name` from `old` to `new`; throws `CheckpointMoved` (0 rows)
    /// if it is no longer at `old`.
    public static func advance(_ name: String, from old: LogPosition, to new: LogPosition,
                               on connection: Connection) async throws {
        do {
            try await connection.query(advanceStatement(name, from: old, to: new))
        } catch let error as PostgresError {
            throw checkpointMoved(error, name: name) ?? error
        }
    }

    /// The compare-and-set of `advance` as one statement, for callers that
    /// pipeline it with their COMMIT: it raises (SQLSTATE `CP001`, see
    /// `checkpointMoved`) when `name` is no longer at `old`.
    public static func advanceStatement(_ name: String, from old: LogPosition, to new: LogPosition) -> SQL {
        """
        SELECT chronicle_advance_checkpoint(\(name), \(old.transactionID)::xid8, \(old.globalPosition)::bigint,
                                            \(new.transactionID)::xid8, \(new.globalPosition)::bigint)
        """
    }

    /// Runs one batch of `name` from `checkpoint` to `next` in one
    /// transaction with the checkpoint's move: `write` sends the batch's
    /// statements on `connection`. Two round trips in all: `BEGIN` and the
    /// compare-and-set (`advanceStatement`) go ahead of the batch's
    /// statements, and `COMMIT` follows them. Throws `CheckpointMoved` when
    /// the compare-and-set refused: nothing was written.
    ///
    /// The compare-and-set comes first, not last, because it also claims the
    /// row: its `UPDATE` locks the checkpoint row for the rest of the
    /// transaction. Everything that moves a checkpoint takes this row lock
    /// before it touches the projection's tables (a batch here, a rebuild's
    /// swap with `lockForSwap`), so they run one after the other, in the
    /// same lock order (no deadlock). Under READ COMMITTED an `UPDATE` that
    /// waited for a concurrent writer of the row re-checks its `WHERE` on the
    /// version that writer committed, so a batch that waited for a swap finds
    /// the checkpoint moved before it writes a single row. Were the writes
    /// first, they would run against the tables the swap put in place and
    /// fail on rows that already exist: an error that looks like a poison
    /// event instead of a moved checkpoint. Doing the claim and the move in
    /// one statement also writes the row once per batch instead of twice (a
    /// lock, then a new version).
    public static func inBatch(_ name: String, from checkpoint: LogPosition, to next: LogPosition,
                               on connection: Connection, _ write: (Connection) async throws -> Void) async throws {
        do {
            try connection.sendAhead("BEGIN")
            try planStatementsAfresh(on: connection)
            try connection.sendAhead(advanceStatement(name, from: checkpoint, to: next))
            try await write(connection)
            try await connection.query("COMMIT")
        } catch {
            try? await connection.rollback()
            if let error = error as? PostgresError, let moved = checkpointMoved(error, name: name) { throw moved }
            throw error
        }
    }

    /// Has every statement of the caller's open transaction planned for its
    /// own parameters, sent ahead of the next one (no round trip of its own).
    ///
    /// A batch's statements are prepared once per connection, and after
    /// five runs PostgreSQL may settle on one generic plan, replanned only
    /// when the tables' statistics change. Made while the read tables were
    /// nearly empty, that plan scans them whole (a hash join against the
    /// batch's rows), and goes on scanning them for every batch while they
    /// grow to millions of rows. Planning costs microseconds; a batch writes
    /// up to thousands of rows.
    public static func planStatementsAfresh(on connection: Connection) throws {
        try connection.sendAhead("SET LOCAL plan_cache_mode = force_custom_plan")
    }

    /// Locks `name`'s checkpoint row (creating it if missing) for the rest
    /// of the caller's transaction, waiting for a batch in flight to commit;
    /// batches that start later wait at their first statement (see `inBatch`).
    public static func lockForSwap(_ name: String, on connection: Connection) async throws {
        try await ensure([name], on: connection)
        try await connection.query("SELECT 1 FROM projection_checkpoints WHERE name = \(name) FOR UPDATE")
    }

    /// Sets `name` to `position`, running, with no error: the rebuild's swap,
    /// under `lockForSwap`.
    public static func reset(_ name: String, to position: LogPosition, on connection: Connection) async throws {
        try await connection.query("""
            UPDATE projection_checkpoints
            SET transaction_id = \(position.transactionID)::xid8, global_position = \(position.globalPosition),
                state = 'running', last_error = NULL, updated_at = now()
            WHERE name = \(name)
            """)
    }

    /// Removes `name`'s row (a finished rebuild's own checkpoint).
    public static func remove(_ name: String, on connection: Connection) async throws {
        try await connection.query("DELETE FROM projection_checkpoints WHERE name = \(name)")
    }

    /// `CheckpointMoved` for the error `advanceStatement` raises; nil for
    /// any other.
    public static func checkpointMoved(_ error: PostgresError, name: String) -> CheckpointMoved? {
        error.sqlState == "CP001" ? CheckpointMoved(name: name) : nil
    }

    /// Stops `name` at `position` with `error` shown to operators. Returns
    /// false, changing nothing, when the checkpoint is no longer at
    /// `position` (a rebuild's swap or another projector moved it): the
    /// caller must not park as if the failure had been recorded.
    @discardableResult
    public static func markFailed(_ name: String, at position: LogPosition, error: String,
                                  on connection: Connection) async throws -> Bool {
        try await connection.query("""
            UPDATE projection_checkpoints SET state = 'failed', last_error = \(error), updated_at = now()
            WHERE name = \(name) AND transaction_id = \(position.transactionID)::xid8
              AND global_position = \(position.globalPosition)
            """).affectedRows == 1
    }

    /// Clears a failure so the projection retries from where it stopped.
    public static func markRunning(_ name: String, on connection: Connection) async throws {
        try await connection.query("""
            UPDATE projection_checkpoints SET state = 'running', last_error = NULL, updated_at = now()
            WHERE name = \(name) AND state = 'failed'
            """)
    }

    static func decode(_ row: Row) throws -> ProjectionCheckpoint {
        ProjectionCheckpoint(
            name: try row.decode(String.self, at: 0),
            position: LogPosition(transactionID: try row.decode(UInt64.self, at: 1),
                                  globalPosition: try row.decode(Int64.self, at: 2)),
            state: ProjectionCheckpoint.State(rawValue: try row.decode(String.self, at: 3)) ?? .failed,
            lastError: try row.decode(String?.self, at: 4),
            updatedAt: try row.decode(Date.self, at: 5))
    }
}
