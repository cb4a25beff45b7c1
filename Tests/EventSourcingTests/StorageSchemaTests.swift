import EventSourcing
import Foundation
import LibPQ
import PostgresEventStore
import TestSupport
import Testing

/// The storage contract (API.md "Storage") as facts of the migrated
/// database, for the other tools that read the event table: column types,
/// the unique constraint, the triggers that keep it append-only, and the
/// checkpoint rows.
@Suite("Storage schema as database facts")
struct StorageSchemaTests {
    static func columns(of table: String, on connection: Connection) async throws -> [String: String] {
        try await connection.query("""
            SELECT a.attname, format_type(a.atttypid, a.atttypmod)
            FROM pg_attribute a
            WHERE a.attrelid = \(table)::regclass AND a.attnum > 0 AND NOT a.attisdropped
            """).reduce(into: [:]) { columns, row in
            columns[try row.decode(String.self, at: 0)] = try row.decode(String.self, at: 1)
        }
    }

    @Test func theEventTableHasTheDocumentedColumnsAndTypes() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try await database.connect()
            #expect(try await Self.columns(of: "events", on: connection) == [
                "global_position": "bigint", "stream_id": "uuid", "stream_type": "text", "stream_version": "integer",
                "event_type": "text", "event_schema_version": "integer", "data": "jsonb", "metadata": "jsonb",
                "recorded_at": "timestamp with time zone", "transaction_id": "xid8",
            ])
            let notNull = try await connection.query("""
                SELECT count(*) FROM pg_attribute
                WHERE attrelid = 'events'::regclass AND attnum > 0 AND NOT attisdropped AND NOT attnotnull
                """)[0].decode(Int.self, at: 0)
            #expect(notNull == 0, "every column of events is NOT NULL")
            await connection.close()
        }
    }

    @Test func theEventTableIsUniqueOnStreamAndVersion() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try await database.connect()
            let unique = try await connection.query("""
                SELECT array_to_string(array_agg(a.attname ORDER BY k.ordinality), ',')
                FROM pg_constraint c
                CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ordinality)
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
                WHERE c.conrelid = 'events'::regclass AND c.contype = 'u'
                GROUP BY c.oid
                """).map { try $0.decode(String.self, at: 0) }
            #expect(unique == ["stream_id,stream_version"])
            // And the database enforces it, whoever writes.
            let stream = UUID()
            let insert: SQL = """
                INSERT INTO events (stream_id, stream_type, stream_version, event_type, data, metadata)
                VALUES (\(stream), 'order', 1, 'order.placed', '{}', '{}')
                """
            try await connection.query(insert)
            let error = await #expect(throws: PostgresError.self) { try await connection.query(insert) }
            #expect(error?.isUniqueViolation == true)
            await connection.close()
        }
    }

    @Test func triggersRefuseUpdateDeleteAndTruncateOfEvents() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try await database.connect()
            // tgtype bits: 1 row-level, 2 before, 4 insert, 8 delete, 16 update, 32 truncate.
            let triggers = try await connection.query("""
                SELECT tgtype::int, tgenabled::text, p.proname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                WHERE t.tgrelid = 'events'::regclass AND NOT t.tgisinternal
                """).map { (type: try $0.decode(Int.self, at: 0), enabled: try $0.decode(String.self, at: 1),
                            function: try $0.decode(String.self, at: 2)) }
            let before = triggers.filter { $0.type & 2 != 0 && $0.enabled == "O" }
            #expect(before.contains { $0.type & 1 != 0 && $0.type & 8 != 0 && $0.type & 16 != 0 },
                    "no enabled BEFORE UPDATE OR DELETE row trigger: \(triggers)")
            #expect(before.contains { $0.type & 32 != 0 }, "no enabled BEFORE TRUNCATE trigger: \(triggers)")
            #expect(triggers.allSatisfy { $0.type & 4 == 0 }, "a trigger on INSERT: \(triggers)")
            await connection.close()
        }
    }

    @Test func theCheckpointTableHoldsNamePositionStateErrorAndUpdatedTime() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try await database.connect()
            #expect(try await Self.columns(of: "projection_checkpoints", on: connection) == [
                "name": "text", "transaction_id": "xid8", "global_position": "bigint", "state": "text",
                "last_error": "text", "updated_at": "timestamp with time zone",
            ])
            let primaryKey = try await connection.query("""
                SELECT a.attname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
                WHERE c.conrelid = 'projection_checkpoints'::regclass AND c.contype = 'p'
                """).map { try $0.decode(String.self, at: 0) }
            #expect(primaryKey == ["name"])
            await connection.close()
        }
    }

    /// `updated_at` says when the checkpoint last moved: each advance, and a
    /// failure recorded, sets it to its transaction's time.
    @Test func aCheckpointsUpdatedTimeMovesWithIt() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try await database.connect()
            try await ProjectionCheckpoints.ensure(["orders"], on: connection)
            // In microseconds, as stored (a Date may round them).
            func updatedAt() async throws -> Int64 {
                try await connection.query("""
                    SELECT (extract(epoch FROM updated_at) * 1000000)::bigint FROM projection_checkpoints WHERE name = 'orders'
                    """)[0].decode(Int64.self, at: 0)
            }
            let created = try await updatedAt()
            let first = LogPosition(transactionID: 10, globalPosition: 5)
            try await ProjectionCheckpoints.advance("orders", from: .start, to: first, on: connection)
            let advanced = try await updatedAt()
            #expect(advanced > created)
            try await ProjectionCheckpoints.markFailed("orders", at: first, error: "stuck", on: connection)
            let failed = try await updatedAt()
            #expect(failed > advanced)
            try await ProjectionCheckpoints.advance("orders", from: first, to: LogPosition(transactionID: 11, globalPosition: 6),
                                                    on: connection)
            #expect(try await updatedAt() > failed)
            await connection.close()
        }
    }
}
