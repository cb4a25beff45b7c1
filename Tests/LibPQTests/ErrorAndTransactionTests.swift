import Foundation
import LibPQ
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

    @Test func malformedConnectionStringIsAClearError() async throws {
        let error = #expect(throws: PostgresError.self) {
            try ConnectionString.parse("postgresql://[bad")
        }
        #expect(error?.message.isEmpty == false)
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
}
