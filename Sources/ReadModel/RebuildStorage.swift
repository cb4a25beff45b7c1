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

    /// How many events of `eventTypes` (nil: of any type) the log holds, and
    /// how many of them are at or before `position`.
    public static func eventCounts(upTo position: LogPosition, ofTypes eventTypes: [String]? = nil,
                                   on connection: Connection) async throws -> (total: Int, done: Int) {
        let types = eventTypes.map(TextArray.init)
        let row = try await connection.query("""
            SELECT count(*),
                   count(*) FILTER (WHERE (transaction_id, global_position)
                                          <= (\(position.transactionID)::xid8, \(position.globalPosition)::bigint))
            FROM events WHERE \(types)::text[] IS NULL OR event_type = ANY(\(types)::text[])
            """)[0]
        return (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1))
    }

    public static func dropSchema(_ schema: String, on connection: Connection) async throws {
        try await connection.execute(unsafeScript: "DROP SCHEMA IF EXISTS \(quoteIdentifier(schema)) CASCADE")
    }

    /// Has `tables` of `schema` written without WAL while a rebuild fills
    /// them: nobody reads them yet, and the batches' WAL (every row version,
    /// and a full page image after each checkpoint) was most of a rebuild's
    /// writing. A crash of the server empties unlogged tables, so a marker
    /// row, unlogged too, is emptied with them: `isIntact` then tells the
    /// next run to start afresh instead of resuming from a checkpoint whose
    /// rows are gone.
    public static func buildUnlogged(_ tables: [String], in schema: String, on connection: Connection) async throws {
        let marker = ReadModelSchema.qualified(intactMarker, in: schema)
        try await connection.execute(unsafeScript: alterEach(tables, in: schema, "SET UNLOGGED") + """
            CREATE UNLOGGED TABLE \(marker) ();
            INSERT INTO \(marker) DEFAULT VALUES;
            """)
    }

    /// Whether the rebuild tables of `schema` hold what their checkpoint
    /// says: false when the schema or its marker is missing, or after a
    /// server crash emptied them (`buildUnlogged`).
    public static func isIntact(_ schema: String, on connection: Connection) async throws -> Bool {
        let marker = ReadModelSchema.qualified(intactMarker, in: schema)
        guard try await connection.query("SELECT to_regclass(\(marker)) IS NOT NULL")[0].decode(Bool.self, at: 0) else {
            return false
        }
        return try await connection.query(SQL(unsafeRaw: "SELECT EXISTS (SELECT FROM \(marker))"))[0].decode(Bool.self, at: 0)
    }

    /// Writes the built `tables` of `schema` to the WAL, once, so that they
    /// survive a crash and reach replicas, before they are swapped in.
    public static func makeDurable(_ tables: [String], in schema: String, on connection: Connection) async throws {
        try await connection.execute(unsafeScript: alterEach(tables, in: schema, "SET LOGGED"))
    }

    private static let intactMarker = "rebuild_intact"

    /// `ALTER TABLE … <action>;` for each of `tables`, as one script.
    private static func alterEach(_ tables: [String], in schema: String, _ action: String) -> String {
        tables.map { "ALTER TABLE \(ReadModelSchema.qualified($0, in: schema)) \(action);\n" }.joined()
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
