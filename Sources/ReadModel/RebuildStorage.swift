public import EventSourcing
public import LibPQ

/// The SQL of a zero-downtime rebuild (`chronicle-admin rebuild-projection`):
/// its lock, its schemas beside `public`, and the swap of the tables.
/// Schema and table names are identifiers, quoted here; values are bound.
public enum RebuildStorage {
    /// Takes the session lock that keeps two rebuilds of `projection` apart,
    /// waiting up to `patience` (a PostgreSQL interval such as `"5s"`) for a
    /// run interrupted a moment ago, whose session the server may not have
    /// ended yet. Returns false when another rebuild holds it.
    public static func lock(_ projection: String, patience: String, on connection: Connection) async throws -> Bool {
        try await connection.query("SELECT set_config('lock_timeout', \(patience), false)")
        let locked: Bool
        do {
            try await connection.query("SELECT pg_advisory_lock(hashtextextended(\(lockKey(projection)), 0))")
            locked = true
        } catch let error as PostgresError where error.sqlState == "55P03" {
            locked = false
        }
        try await connection.query("SELECT set_config('lock_timeout', '0', false)")
        return locked
    }

    public static func unlock(_ projection: String, on connection: Connection) async throws {
        _ = try await connection.query("SELECT pg_advisory_unlock(hashtextextended(\(lockKey(projection)), 0))")
    }

    private static func lockKey(_ projection: String) -> String { "chronicle.rebuild." + projection }

    /// How many events the log holds, and how many of them are at or before `position`.
    public static func eventCounts(upTo position: LogPosition, on connection: Connection) async throws
        -> (total: Int, done: Int) {
        let row = try await connection.query("""
            SELECT (SELECT count(*) FROM events),
                   (SELECT count(*) FROM events
                    WHERE (transaction_id, global_position) <= (\(position.transactionID)::xid8, \(position.globalPosition)::bigint))
            """)[0]
        return (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1))
    }

    public static func schemaExists(_ schema: String, on connection: Connection) async throws -> Bool {
        try await connection.query("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = \(schema))")[0]
            .decode(Bool.self, at: 0)
    }

    public static func dropSchema(_ schema: String, on connection: Connection) async throws {
        try await connection.execute(unsafeScript: "DROP SCHEMA IF EXISTS \(quoteIdentifier(schema)) CASCADE")
    }

    /// Locks the live `tables` against readers and writers until the
    /// caller's transaction ends (readers wait the few milliseconds left
    /// rather than see a table vanish), and makes that transaction's commit
    /// synchronous: the batches before it may commit lazily, not the swap
    /// the command reports done.
    public static func lockLiveTables(_ tables: [String], on transaction: Connection) async throws {
        try await transaction.execute(unsafeScript: "SET LOCAL synchronous_commit = on")
        let live = tables.map { "public." + quoteIdentifier($0) }.joined(separator: ", ")
        try await transaction.execute(unsafeScript: "LOCK TABLE \(live) IN ACCESS EXCLUSIVE MODE")
    }

    /// Moves the live `tables` into `retired` (made afresh) and those of
    /// `rebuilt` into `public`, inside the caller's transaction.
    public static func swapIn(_ tables: [String], from rebuilt: String, retiring retired: String,
                              on transaction: Connection) async throws {
        try await transaction.execute(unsafeScript: """
            DROP SCHEMA IF EXISTS \(quoteIdentifier(retired)) CASCADE;
            CREATE SCHEMA \(quoteIdentifier(retired));
            """)
        for table in tables {
            try await transaction.execute(unsafeScript: """
                ALTER TABLE public.\(quoteIdentifier(table)) SET SCHEMA \(quoteIdentifier(retired));
                ALTER TABLE \(quoteIdentifier(rebuilt)).\(quoteIdentifier(table)) SET SCHEMA public;
                """)
        }
    }
}
