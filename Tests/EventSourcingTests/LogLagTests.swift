import EventSourcing
import Foundation
import LibPQ
import PostgresEventStore
import TestSupport
import Testing

/// `EventLog.lags(after:)` counts several positions' lag in one read of the
/// log; its answers must be what one count per position would say.
@Suite("Lag of positions in the log")
struct LogLagTests {
    @Test func eachPositionGetsItsOwnCountFromOneRead() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try await database.connect()
            let id = UUID().uuidString.lowercased()
            let metadata = #"{"command_id": "\#(id)", "causation_id": "\#(id)", "correlation_id": "\#(id)"}"#
            try await connection.query("""
                INSERT INTO events (stream_id, stream_type, stream_version, event_type, event_schema_version, data, metadata)
                SELECT \(UUID()), 'test', n, 'test.happened', 1, '{}', \(metadata)::jsonb FROM generate_series(1, 10) AS n
                """)
            // Read directly: `EventLog.read` stops at the cluster's watermark,
            // which other tests' open transactions hold back.
            let log = try await connection.query(
                "SELECT transaction_id, global_position FROM events ORDER BY transaction_id, global_position"
            ).map { LogPosition(transactionID: try $0.decode(UInt64.self, at: 0), globalPosition: try $0.decode(Int64.self, at: 1)) }
            try #require(log.count == 10)
            let asked = [log[2], .start, log[7], log[9]]
            #expect(try await EventLog.lags(after: asked, on: connection).map(\.events) == [7, 10, 2, 0])
            // Past the cap the position difference is given; a read from the
            // earliest that stops at the cap must not cut the later counts short.
            #expect(try await EventLog.lags(after: asked, cap: 4, on: connection).map(\.events) == [7, 10, 2, 0])
            #expect(try await EventLog.lags(after: [], on: connection).isEmpty)
            let single = try await EventLog.lag(after: log[4], on: connection)
            #expect(single.events == 5 && single.seconds >= 0)
            await connection.close()
        }
    }
}
