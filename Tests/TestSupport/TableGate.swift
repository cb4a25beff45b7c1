import LibPQ

/// Holds writers to one table in flight for as long as a test needs: an open
/// transaction holding `LOCK TABLE … IN EXCLUSIVE MODE`, which lets readers
/// through and makes every INSERT or UPDATE of the table wait. Closed on
/// `events`, it holds commands at their append (after their reads, so
/// concurrent writers all decide on the same version); closed on a read
/// table, it holds a projector's batch between its first write and its
/// commit. The waiting sessions show in `pg_stat_activity`, so the test
/// waits on them, not on the clock.
///
/// The lock takes no transaction id, so it does not hold back the log's
/// watermark (server-wide) for the other tests.
public final class TableGate: Sendable {
    public let table: String
    /// Holds the lock.
    private let connection: Connection
    /// Looks: inside the lock's transaction, `pg_stat_activity` would show
    /// the snapshot taken at its first read, for the whole transaction.
    private let monitor: Connection

    private init(table: String, connection: Connection, monitor: Connection) {
        self.table = table
        self.connection = connection
        self.monitor = monitor
    }

    /// Closes the gate on `table` of the database `conninfo` names.
    public static func close(_ table: String, in conninfo: String) async throws -> TableGate {
        let connection = try await Connection.connect(conninfo)
        try await connection.query("BEGIN")
        try await connection.query(SQL(unsafeRaw: "LOCK TABLE \(quoteIdentifier(table)) IN EXCLUSIVE MODE"))
        return TableGate(table: table, connection: connection, monitor: try await Connection.connect(conninfo))
    }

    /// The backends of this database waiting for a heavyweight lock (the
    /// gate's, or a row or transaction lock behind it), oldest first.
    public func waitingBackends() async throws -> [Int32] {
        try await monitor.query("""
            SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
            ORDER BY query_start
            """).map { try $0.decode(Int32.self, at: 0) }
    }

    /// Waits until `count` backends wait behind the gate; returns their pids.
    @discardableResult
    public func waitForWaiting(_ count: Int, within timeout: Duration = Bound.projection) async throws -> [Int32] {
        try await waitFor("\(count) sessions waiting at the gate on \(table)", within: timeout) {
            let waiting = try await waitingBackends()
            return waiting.count >= count ? waiting : nil
        }
    }

    /// Ends a backend as `pg_terminate_backend` does (its client sees the
    /// connection fail), and waits until it is gone.
    public func terminate(_ pid: Int32, within timeout: Duration = Bound.projection) async throws {
        try await monitor.query("SELECT pg_terminate_backend(\(pid))")
        try await waitUntil("backend \(pid) ended", within: timeout) {
            try await monitor.query("SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid)")[0]
                .decode(Int.self, at: 0) == 0
        }
    }

    /// Lets the waiting writers go on, and closes the gate's connection.
    public func open() async throws {
        try await connection.query("COMMIT")
        await connection.close()
        await monitor.close()
    }
}

extension TableGate {
    /// Runs `count` operations at once with their writes to `table` held at
    /// a gate until all of them wait there, then lets them go: concurrent
    /// writers that have all read before any of them writes. Returns their
    /// results (in no particular order). If an operation fails, the gate is
    /// opened all the same and the error rethrown.
    public static func race<T: Sendable>(_ count: Int, writingTo table: String, in conninfo: String,
                                         _ operation: @escaping @Sendable (Int) async throws -> T) async throws -> [T] {
        let gate = try await close(table, in: conninfo)
        let racers = Task {
            try await withThrowingTaskGroup(of: T.self) { group in
                for n in 0..<count { group.addTask { try await operation(n) } }
                return try await group.reduce(into: [T]()) { $0.append($1) }
            }
        }
        do {
            try await gate.waitForWaiting(count)
        } catch {
            try await gate.open()
            _ = try? await racers.value
            throw error
        }
        try await gate.open()
        return try await racers.value
    }
}

/// What the server's sessions are doing, for tests that wait on it.
public enum ServerActivity {
    /// Waits until at least `count` sessions of the database `conninfo`
    /// names (other than the one looking) are running a statement that
    /// contains `fragment`.
    public static func waitForActive(_ count: Int, running fragment: String, in conninfo: String,
                                     within timeout: Duration = Bound.projection) async throws {
        let connection = try await Connection.connect(conninfo)
        defer { Task { await connection.close() } }
        try await waitUntil("\(count) sessions running \(fragment)", within: timeout) {
            try await connection.query("""
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'
                  AND strpos(query, \(fragment)) > 0
                """)[0].decode(Int.self, at: 0) >= count
        }
    }
}
