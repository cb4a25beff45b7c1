public import EventSourcing
import Foundation
import Wire

// The stored shapes below are a contract with every reader of the event
// table (the projector, the event feed), so they are spelled out here rather
// than derived from the Swift types.
extension Item {
    /// Stored type strings and the current schema version of each.
    static let storedTypes: [String: Int] = [
        "item.created": 1,
        "item.description_changed": 1,
    ]

    /// The stream type and its stored event types, for readers of the whole
    /// log (the event feed's filters).
    public static let declaredStream = StreamDeclaration(streamType: streamType, eventTypes: storedTypes.keys)

    public static let codec = EventCodec<Event>(encode: encode, decode: decode)

    private static func encode(_ event: Event) throws -> EncodedEvent {
        switch event {
        case let .created(sku, description, at):
            try EventData.encode(CreatedData(sku: sku, description: description, at: at),
                                 type: "item.created", schemaVersion: 1)
        case let .descriptionChanged(description, at):
            try EventData.encode(DescriptionChangedData(description: description, at: at),
                                 type: "item.description_changed", schemaVersion: 1)
        }
    }

    private static func decode(_ stored: EncodedEvent) throws -> Event {
        let event = try EventData.upcast(stored, streamType: streamType, knownTypes: storedTypes, upcaster: Upcaster())
        switch event.type {
        case "item.created":
            let data = try EventData.decode(CreatedData.self, from: event)
            return .created(sku: data.sku, description: data.description, at: data.at)
        case "item.description_changed":
            let data = try EventData.decode(DescriptionChangedData.self, from: event)
            return .descriptionChanged(data.description, at: data.at)
        default:
            throw EventDecodingError.unknownEventType(event.type, streamType: streamType)
        }
    }

    /// `item.created` v1: `{"at", "description", "sku"}`.
    private struct CreatedData: Codable {
        var sku: ItemSku
        var description: ItemDescription
        var at: Date
    }

    /// `item.description_changed` v1: `{"at", "description"}`.
    private struct DescriptionChangedData: Codable {
        var description: ItemDescription
        var at: Date
    }
}
