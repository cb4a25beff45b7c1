public import EventSourcing
import Foundation
import Wire

// The stored shapes below are a contract with every reader of the event
// table (the projector, the event feed), so they are spelled out here rather
// than derived from the Swift types: renaming a Swift property must not
// change history's format.
extension Company {
    /// Stored type strings and the current schema version of each.
    static let storedTypes: [String: Int] = [
        "company.created": 1,
        "company.activated": 1,
        "company.deactivated": 1,
        "company.renamed": 1,
    ]

    /// The stream type and its stored event types, for readers of the whole
    /// log (the event feed's filters).
    public static let declaredStream = StreamDeclaration(streamType: streamType, eventTypes: storedTypes.keys)

    public static let codec = EventCodec<Event>(encode: encode, decode: decode)

    private static func encode(_ event: Event) throws -> EncodedEvent {
        func stored(_ payload: some Encodable, as type: String) throws -> EncodedEvent {
            try EventData.encode(payload, type: type, schemaVersion: storedTypes[type]!)
        }
        switch event {
        case let .created(name, at): return try stored(NamedData(name: name, at: at), as: "company.created")
        case let .activated(at): return try stored(TimeData(at: at), as: "company.activated")
        case let .deactivated(at): return try stored(TimeData(at: at), as: "company.deactivated")
        case let .renamed(name, at): return try stored(NamedData(name: name, at: at), as: "company.renamed")
        }
    }

    private static func decode(_ stored: EncodedEvent) throws -> Event {
        let event = try EventData.upcast(stored, streamType: streamType, knownTypes: storedTypes, upcaster: Upcaster())
        switch event.type {
        case "company.created":
            let data = try EventData.decode(NamedData.self, from: event)
            return .created(name: data.name, at: data.at)
        case "company.activated":
            return .activated(at: try EventData.decode(TimeData.self, from: event).at)
        case "company.deactivated":
            return .deactivated(at: try EventData.decode(TimeData.self, from: event).at)
        case "company.renamed":
            let data = try EventData.decode(NamedData.self, from: event)
            return .renamed(name: data.name, at: data.at)
        default:
            throw EventDecodingError.unknownEventType(event.type, streamType: streamType)
        }
    }

    /// `company.created` and `company.renamed` v1: `{"at", "name"}`.
    private struct NamedData: Codable {
        var name: AccountName
        var at: Date
    }

    /// `company.activated` and `company.deactivated` v1: `{"at"}`.
    private struct TimeData: Codable {
        var at: Date
    }
}
