public import Foundation
import UUIDKit

/// Names one stream: its type (the aggregate's kind, such as `"invoice"`) and its id.
public struct StreamName: Hashable, Sendable, CustomStringConvertible {
    public let type: String
    public let id: UUID

    public init(type: String, id: UUID) {
        self.type = type
        self.id = id
    }

    public var description: String { "\(type)-\(id.lowercasedString)" }
}

/// An event as it is stored: a stable type string, the schema version of its
/// `data`, and `data` as JSON bytes. Codecs turn domain events into this shape
/// and back (through the upcaster).
public struct EncodedEvent: Sendable, Equatable {
    public var type: String
    public var schemaVersion: Int
    public var data: [UInt8]

    public init(type: String, schemaVersion: Int, data: [UInt8]) {
        self.type = type
        self.schemaVersion = schemaVersion
        self.data = data
    }
}

/// Why an event was written: the command that caused it, and the request
/// chain it belongs to.
public struct EventMetadata: Codable, Sendable, Equatable {
    public var commandID: UUID
    public var correlationID: String
    public var causationID: String

    public init(commandID: UUID, correlationID: String, causationID: String) {
        self.commandID = commandID
        self.correlationID = correlationID
        self.causationID = causationID
    }

    enum CodingKeys: String, CodingKey {
        case commandID = "command_id"
        case correlationID = "correlation_id"
        case causationID = "causation_id"
    }

    // Ids are stored lower-case, like every id the API shows.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(commandID.lowercasedString, forKey: .commandID)
        try container.encode(correlationID, forKey: .correlationID)
        try container.encode(causationID, forKey: .causationID)
    }
}

/// Where an event sits in the total order that readers of the whole store
/// consume: first by the id of the transaction that wrote it, then by its
/// global position. A reader that has seen `(t, p)` has seen every committed
/// event ordered before it, because it only reads below the oldest running
/// transaction (see the projector's documentation).
public struct LogPosition: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var transactionID: UInt64
    public var globalPosition: Int64

    public init(transactionID: UInt64, globalPosition: Int64) {
        self.transactionID = transactionID
        self.globalPosition = globalPosition
    }

    /// Before every event.
    public static let start = LogPosition(transactionID: 0, globalPosition: 0)

    public static func < (lhs: LogPosition, rhs: LogPosition) -> Bool {
        (lhs.transactionID, lhs.globalPosition) < (rhs.transactionID, rhs.globalPosition)
    }

    public var description: String { "\(transactionID)/\(globalPosition)" }
}

/// An event read back from a store.
public struct RecordedEvent: Sendable, Equatable {
    public var position: LogPosition
    public var stream: StreamName
    public var streamVersion: Int
    public var event: EncodedEvent
    public var metadata: EventMetadata
    public var recordedAt: Date

    public init(position: LogPosition, stream: StreamName, streamVersion: Int, event: EncodedEvent,
                metadata: EventMetadata, recordedAt: Date) {
        self.position = position
        self.stream = stream
        self.streamVersion = streamVersion
        self.event = event
        self.metadata = metadata
        self.recordedAt = recordedAt
    }
}
