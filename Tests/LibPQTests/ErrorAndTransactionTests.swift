import Foundation
import LibPQ
import Synchronization
import TestSupport
import Testing

@Suite("Errors carry SQLSTATE; transactions roll back on throw")
struct ErrorAndTransactionTests {
    @Test func uniqueViolationIsRecognised() async throws {
        try await TestDatabase.withEmpty { database in
            let connection = try await database.connect()
            try await connection.execute(unsafeScript: "CREATE TABLE t (k text CONSTRAINT t_k_unique UNIQUE)")
            try await connection.query("INSERT INTO t VALUES (\("a"))")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.query("INSERT INTO t VALUES (\("a"))")
            }
            #expect(error?.isUniqueViolation == true)
            #expect(error?.sqlState == "23505")
            #expect(error?.constraint == "t_k_unique")
            #expect(error?.detail?.contains("already exists") == true)
            #expect(error?.isConnectionFailure == false)
            await connection.close()
        }
    }

    @Test func errorInsideTransactionRollsBackEverything() async throws {
        struct Boom: Error {}
        try await TestDatabase.withEmpty { database in
            let connection = try await database.connect()
            try await connection.execute(unsafeScript: "CREATE TABLE t (n int)")
            await #expect(throws: Boom.self) {
                try await connection.withTransaction { tx in
                    try await tx.query("INSERT INTO t VALUES (\(1))")
                    try await tx.query("INSERT INTO t VALUES (\(2))")
                    throw Boom()
                }
            }
            await #expect(throws: PostgresError.self) {
                try await connection.withTransaction { tx in
                    try await tx.query("INSERT INTO t VALUES (\(3))")
                    try await tx.query("SELECT 1/0")
                }
            }
            let count = try await connection.query("SELECT count(*) FROM t")
            #expect(try count[0].decode(Int.self, at: 0) == 0)
            // And a successful transaction commits.
            try await connection.withTransaction { tx in try await tx.query("INSERT INTO t VALUES (\(4))") }
            let after = try await connection.query("SELECT count(*) FROM t")
            #expect(try after[0].decode(Int.self, at: 0) == 1)
            await connection.close()
        }
    }

    @Test func connectingToNothingIsAConnectionFailure() async throws {
        let error = await #expect(throws: PostgresError.self) {
            try await Connection.connect("postgresql://postgres@127.0.0.1:9/none?connect_timeout=2")
        }
        #expect(error?.isConnectionFailure == true)
    }

    /// A server that takes the TCP connection but never answers the startup
    /// packet: the connect, driven without blocking, must still give up at
    /// `connect_timeout` (libpq's blocking connect did that on its own).
    @Test func aServerThatNeverAnswersTimesOutAtConnectTimeout() async throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(listener, raw, length) == 0, listen(listener, 8) == 0,
                      getsockname(listener, raw, &length) == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
            }
        }
        let port = UInt16(bigEndian: address.sin_port)
        let started = ContinuousClock.now
        // Not awaited directly: a connect that never gives up must fail this
        // test, not hang the run.
        let outcome = Mutex<(any Error)??>(nil)
        Task {
            do {
                _ = try await Connection.connect("postgresql://postgres@127.0.0.1:\(port)/none?connect_timeout=2")
                outcome.withLock { $0 = .some(nil) }
            } catch {
                outcome.withLock { $0 = .some(error) }
            }
        }
        while outcome.withLock({ $0 == nil }), ContinuousClock.now - started < .seconds(15) {
            try await Task.sleep(for: .milliseconds(20))
        }
        let elapsed = ContinuousClock.now - started
        let ended = try #require(outcome.withLock { $0 }, "still connecting after \(elapsed)")
        let error = try #require(ended as? PostgresError, "connected, or failed otherwise: \(String(describing: ended))")
        #expect(error.isConnectionFailure)
        #expect(error.message.contains("timeout"))
        #expect(elapsed >= .seconds(2), "gave up after \(elapsed)")
    }

    @Test func malformedConnectionStringIsAClearError() async throws {
        let error = #expect(throws: PostgresError.self) {
            try ConnectionString.parse("postgresql://[bad")
        }
        #expect(error?.message.isEmpty == false)
    }

    @Test func sessionSettingsApplyToEverySessionAndKeepTheOnesGiven() async throws {
        try await TestDatabase.withEmpty { database in
            let base = try ConnectionString.overriding(database.conninfo, with: ["options": "-c work_mem=5MB"])
            let conninfo = try ConnectionString.withSessionSettings(
                base, ["synchronous_commit": "off", "application_name": "with a space"])
            let connection = try await Connection.connect(conninfo)
            let row = try await connection.query("""
                SELECT current_setting('synchronous_commit'), current_setting('application_name'),
                       current_setting('work_mem')
                """)[0]
            #expect(try row.decode(String.self, at: 0) == "off")
            #expect(try row.decode(String.self, at: 1) == "with a space")
            #expect(try row.decode(String.self, at: 2) == "5MB")
            await connection.close()
            #expect(try ConnectionString.withSessionSettings(database.conninfo, [:]) == database.conninfo)
        }
    }

    /// `withTransaction` sends BEGIN with the body's first statement; what
    /// the body does first, a query, a pipeline or a script, still runs
    /// inside the transaction, and a throw rolls it all back.
    @Test func aTransactionBeginsWithItsFirstStatementWhateverItIs() async throws {
        try await TestDatabase.withEmpty { database in
            let connection = try await database.connect()
            try await connection.query("CREATE TABLE t (id int)")
            struct Abandon: Error {}
            await #expect(throws: Abandon.self) {
                try await connection.withTransaction { tx in
                    try await tx.execute(unsafeScript: "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)")
                    throw Abandon()
                }
            }
            await #expect(throws: Abandon.self) {
                try await connection.withTransaction { tx in
                    _ = try await tx.pipeline(["INSERT INTO t VALUES (3)", "INSERT INTO t VALUES (4)"])
                    throw Abandon()
                }
            }
            try await connection.withTransaction { tx in
                // now() is the transaction's start: the same in both statements.
                let first = try await tx.query("SELECT now()::text")[0].decode(String.self, at: 0)
                try await tx.query("SELECT pg_sleep(0.02)")
                #expect(try await tx.query("SELECT now()::text")[0].decode(String.self, at: 0) == first)
                try await tx.query("INSERT INTO t VALUES (5)")
            }
            // A body that sends nothing still begins and commits.
            try await connection.withTransaction { _ in }
            #expect(try await connection.query("SELECT array_agg(id)::text FROM t")[0].decode(String.self, at: 0) == "{5}")
            // A failing statement sent ahead reports its own error.
            try connection.sendAhead("SELECT 1/0")
            let error = await #expect(throws: PostgresError.self) { try await connection.query("SELECT 1") }
            #expect(error?.sqlState == "22012")
            #expect(try await connection.query("SELECT \(4)::int")[0].decode(Int.self, at: 0) == 4)
            await connection.close()
        }
    }

    @Test func pipelineSendsSeveralStatementsAtOnce() async throws {
        try await TestDatabase.withEmpty { database in
            let connection = try await database.connect()
            let outcomes = try await connection.pipeline([
                "SELECT \(1)::int", "SELECT 1/0", "SELECT \(3)::int",
            ])
            #expect(try outcomes[0].get()[0].decode(Int.self, at: 0) == 1)
            #expect(throws: PostgresError.self) { try outcomes[1].get() }
            #expect(throws: PostgresError.self) { try outcomes[2].get() }
            let later = try await connection.pipeline(["SELECT \(5)::int"])
            #expect(try later[0].get()[0].decode(Int.self, at: 0) == 5)
            await connection.close()
        }
    }

    /// Pipelined statements are prepared once, like single queries: the
    /// second run of the same texts parses nothing, and a statement that
    /// cannot be prepared reports its own error and is not remembered.
    @Test func pipelinedStatementsArePreparedOnce() async throws {
        try await TestDatabase.withEmpty { database in
            let connection = try await database.connect()
            let statements: [SQL] = ["BEGIN", "SELECT \(2)::int + 1", "SELECT \("x")::text || 'y'", "COMMIT"]
            for _ in 1...2 {
                let outcomes = try await connection.pipeline(statements)
                #expect(try outcomes[1].get()[0].decode(Int.self, at: 0) == 3)
                #expect(try outcomes[2].get()[0].decode(String.self, at: 0) == "xy")
            }
            let prepared = try await connection.query("""
                SELECT statement FROM pg_prepared_statements
                WHERE statement NOT LIKE '%pg_prepared_statements%' ORDER BY length(name), name
                """)
            #expect(try prepared.map { try $0.decode(String.self, at: 0) }
                    == ["BEGIN", "SELECT $1::int + 1", "SELECT $1::text || 'y'", "COMMIT"])

            let broken = try await connection.pipeline(["SELECT \(1)::int", "SELECT FROM no_such_table", "SELECT 2"])
            #expect(try broken[0].get()[0].decode(Int.self, at: 0) == 1)
            let error = #expect(throws: PostgresError.self) { try broken[1].get() }
            #expect(error?.sqlState == "42P01")
            #expect(throws: PostgresError.self) { try broken[2].get() }
            let after = try await connection.pipeline(["SELECT FROM no_such_table"])
            #expect((try? after[0].get()) == nil, "a failed prepare must not be reused as if it existed")
            try await connection.query("CREATE TABLE no_such_table (id int)")
            // Had the failed name been remembered, this would name a statement
            // the server never prepared.
            let fixed = try await connection.pipeline(["SELECT FROM no_such_table"])
            #expect((try? fixed[0].get()) != nil)
            await connection.close()
        }
    }

    @Test func aLeadingStatementTravelsWithTheFirstQueryAndRunsBeforeIt() async throws {
        try await TestDatabase.withEmpty { database in
            let connection = try await database.connect()
            let (value, leading) = try await connection.withLeadingStatement(
                "SELECT set_config('chronicle.probe', \("set first"), false)"
            ) { connection in
                try await connection.query("SELECT current_setting('chronicle.probe')")[0].decode(String.self, at: 0)
            }
            #expect(value == "set first")
            #expect(try leading[0].decode(String.self, at: 0) == "set first")

            // A body that sends nothing: the statement runs alone.
            let (_, alone) = try await connection.withLeadingStatement("SELECT \(7)::int") { _ in () }
            #expect(try alone[0].decode(Int.self, at: 0) == 7)

            // The statement's own error, not the aborted query's.
            let error = await #expect(throws: PostgresError.self) {
                try await connection.withLeadingStatement("SELECT 1/0") { connection in
                    try await connection.query("SELECT 1")
                }
            }
            #expect(error?.sqlState == "22012")
            // Later queries go alone again.
            #expect(try await connection.query("SELECT \(9)::int")[0].decode(Int.self, at: 0) == 9)
            await connection.close()
        }
    }
}
