import EventSourcing
import LibPQ

/// Every event of one stream in version order: one round trip, served by the
/// `(stream_id, stream_version)` unique index.
enum ReadStreamStatement {
    static func run(_ stream: StreamName, on connection: Connection) async throws -> [RecordedEvent] {
        try await connection.query("""
            SELECT \(unsafeRaw: EventRows.columns) FROM events
            WHERE stream_id = \(stream.id) ORDER BY stream_version
            """).map(EventRows.decode)
    }
}
