import EventSourcing
import Foundation
import LibPQ

/// The columns every event read selects, in this order, and their decoding.
enum EventRows {
    /// The metadata arrives as its three fields, extracted by the server:
    /// decoding the jsonb in Swift cost an event read more than the rest of
    /// the row together.
    static let columns = """
        global_position, transaction_id, stream_id, stream_type, stream_version,
        event_type, event_schema_version, data, recorded_at,
        metadata->>'command_id' AS command_id, metadata->>'correlation_id' AS correlation_id,
        metadata->>'causation_id' AS causation_id
        """

    /// How many `columns` there are: a statement's own columns follow them.
    static let columnCount = 12

    static func position(_ row: Row) throws -> LogPosition {
        LogPosition(transactionID: try row.decode(UInt64.self, at: 1), globalPosition: try row.decode(Int64.self, at: 0))
    }

    static func decode(_ row: Row) throws -> RecordedEvent {
        RecordedEvent(
            position: try position(row),
            stream: StreamName(type: try row.decode(String.self, at: 3), id: try row.decode(UUID.self, at: 2)),
            streamVersion: try row.decode(Int.self, at: 4),
            event: EncodedEvent(type: try row.decode(String.self, at: 5), schemaVersion: try row.decode(Int.self, at: 6),
                                data: try row.decode(JSONText.self, at: 7).bytes),
            metadata: EventMetadata(commandID: try row.decode(UUID.self, at: 9),
                                    correlationID: try row.decode(String.self, at: 10),
                                    causationID: try row.decode(String.self, at: 11)),
            recordedAt: try row.decode(Date.self, at: 8))
    }
}
