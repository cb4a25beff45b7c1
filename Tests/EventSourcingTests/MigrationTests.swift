import Foundation
import LibPQ
import PostgresEventStore
import TestSupport
import Testing

@Suite("Schema migrations")
struct MigrationTests {
    @Test func applyingTwiceIsANoOp() async throws {
        try await TestDatabase.withEmpty { database in
            let connection = try await database.connect()
            let migrator = SchemaMigrator(migrations: try TestEnvironment.loadMigrations())
            #expect(try await migrator.status(connection) == .behind(pending: migrator.migrations.map(\.name)))
            let first = try await migrator.migrate(connection)
            #expect(first == migrator.migrations.map(\.name))
            #expect(try await migrator.migrate(connection) == [])
            #expect(try await migrator.status(connection) == .current)
            let recorded = try await connection.query("SELECT count(*) FROM schema_migrations")
            #expect(try recorded[0].decode(Int.self, at: 0) == migrator.migrations.count)
            await connection.close()
        }
    }

    @Test func concurrentRunnersApplyOnce() async throws {
        try await TestDatabase.withEmpty { database in
            let migrator = SchemaMigrator(migrations: try TestEnvironment.loadMigrations())
            let applied = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let connection = try await database.connect()
                        let applied = try await migrator.migrate(connection)
                        await connection.close()
                        return applied
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(applied.filter { !$0.isEmpty }.count == 1)
            #expect(applied.flatMap { $0 } == migrator.migrations.map(\.name))
        }
    }

    @Test func changedAppliedFileIsRefused() async throws {
        try await TestDatabase.withEmpty { database in
            let connection = try await database.connect()
            var migrations = try TestEnvironment.loadMigrations()
            try await SchemaMigrator(migrations: migrations).migrate(connection)
            migrations[0].sql += "\n-- edited after the fact\n"
            let changed = SchemaMigrator(migrations: migrations)
            let error = await #expect(throws: MigrationError.self) { try await changed.migrate(connection) }
            #expect(error?.description.contains("changed after it was applied") == true)
            #expect(try await changed.status(connection) == .changed(migrations[0].name))
            await connection.close()
        }
    }

    @Test func laterMigrationIsAppliedInOrder() async throws {
        try await TestDatabase.withEmpty { database in
            let connection = try await database.connect()
            var migrations = try TestEnvironment.loadMigrations()
            try await SchemaMigrator(migrations: migrations).migrate(connection)
            migrations.append(Migration(version: 9999, name: "9999_probe.sql", sql: "CREATE TABLE probe (n int);"))
            let migrator = SchemaMigrator(migrations: migrations)
            #expect(try await migrator.status(connection) == .behind(pending: ["9999_probe.sql"]))
            #expect(try await migrator.migrate(connection) == ["9999_probe.sql"])
            try await connection.query("INSERT INTO probe VALUES (\(1))")
            await connection.close()
        }
    }

    @Test func failingMigrationLeavesNothingBehind() async throws {
        try await TestDatabase.withEmpty { database in
            let connection = try await database.connect()
            let broken = Migration(version: 1, name: "0001_broken.sql", sql: "CREATE TABLE half (n int); SELECT 1/0;")
            await #expect(throws: PostgresError.self) { try await SchemaMigrator(migrations: [broken]).migrate(connection) }
            let exists = try await connection.query("SELECT to_regclass('half') IS NOT NULL")
            #expect(try exists[0].decode(Bool.self, at: 0) == false)
            await connection.close()
        }
    }

    @Test(arguments: [
        "UPDATE events SET event_type = 'rewritten'",
        "DELETE FROM events",
        "TRUNCATE events",
    ])
    func eventsRefuseRewrites(_ statement: String) async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try await database.connect()
            try await connection.query("""
                INSERT INTO events (stream_id, stream_type, stream_version, event_type, data, metadata)
                VALUES (\(UUID()), 'order', 1, 'order.placed', '{}', '{}')
                """)
            let error = await #expect(throws: PostgresError.self) {
                try await connection.query(SQL(unsafeRaw: statement))
            }
            #expect(error?.message.contains("append-only") == true)
            let count = try await connection.query("SELECT count(*) FROM events")
            #expect(try count[0].decode(Int.self, at: 0) == 1)
            await connection.close()
        }
    }

    @Test func eventsRecordTheWritersTransaction() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try await database.connect()
            let xid = try await connection.withTransaction { tx -> UInt64 in
                try await tx.query("""
                    INSERT INTO events (stream_id, stream_type, stream_version, event_type, data, metadata)
                    VALUES (\(UUID()), 'order', 1, 'order.placed', '{}', '{}')
                    """)
                return try await tx.query("SELECT pg_current_xact_id()")[0].decode(UInt64.self, at: 0)
            }
            let stored = try await connection.query("SELECT transaction_id FROM events")
            #expect(try stored[0].decode(UInt64.self, at: 0) == xid)
            await connection.close()
        }
    }

    @Test func badFileNamesAreRejected() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "SELECT 1;".write(to: directory.appendingPathComponent("first.sql"), atomically: true, encoding: .utf8)
        #expect(throws: MigrationError.badFileName("first.sql")) { try Migration.load(from: directory) }
    }
}
