public import EventSourcing
import Foundation
import Wire

// The stored shapes below are a contract with every reader of the event
// table, so they are spelled out here rather than derived from the Swift
// types: renaming a Swift property must not change history's format.
extension Customer {
    /// Stored type strings and the current schema version of each.
    static let storedTypes: [String: Int] = [
        "customer.registered": 1,
        "customer.renamed": 1,
    ]

    /// The stream type and its stored event types, for readers of the whole
    /// log (the event feed's filters).
    public static let declaredStream = StreamDeclaration(streamType: streamType, eventTypes: storedTypes.keys)

    static let upcaster = Upcaster()

    public static let codec = EventCodec<Event>(encode: encode, decode: decode)

    private static func encode(_ event: Event) throws -> EncodedEvent {
        switch event {
        case let .registered(name, email, at):
            try EventData.encode(RegisteredData(name: name, email: email, at: at),
                                 type: "customer.registered", schemaVersion: 1)
        case let .renamed(name, at):
            try EventData.encode(RenamedData(name: name, at: at), type: "customer.renamed", schemaVersion: 1)
        }
    }

    private static func decode(_ stored: EncodedEvent) throws -> Event {
        let event = try EventData.upcast(stored, streamType: streamType, knownTypes: storedTypes, upcaster: upcaster)
        switch event.type {
        case "customer.registered":
            let data = try EventData.decode(RegisteredData.self, from: event)
            return .registered(name: data.name, email: data.email, at: data.at)
        case "customer.renamed":
            let data = try EventData.decode(RenamedData.self, from: event)
            return .renamed(name: data.name, at: data.at)
        default:
            throw EventDecodingError.unknownEventType(event.type, streamType: streamType)
        }
    }

    /// `customer.registered` v1: `{"at", "email", "name"}`.
    private struct RegisteredData: Codable {
        var name: PersonName
        var email: Email
        var at: Date
    }

    /// `customer.renamed` v1: `{"at", "name"}`.
    private struct RenamedData: Codable {
        var name: PersonName
        var at: Date
    }
}
