public import EventSourcing
import Foundation

/// How event payloads become JSON bytes and back: snake_case keys (each
/// payload spells its own), the rest as `WireJSON` writes it (the same event
/// always encodes to the same bytes, times as `Timestamp` strings). Every
/// context's codecs use these, so stored payloads look alike whatever wrote them.
public enum EventData {
    public static func encode<Payload: Encodable>(_ payload: Payload, type: String, schemaVersion: Int) throws -> EncodedEvent {
        EncodedEvent(type: type, schemaVersion: schemaVersion, data: try JSONBytesEncoder.encode(payload))
    }

    /// Decodes `event.data`, already upcast to the current version, as `Payload`.
    public static func decode<Payload: Decodable>(_: Payload.Type, from event: EncodedEvent) throws -> Payload {
        do {
            return try JSONValueDecoder.decode(Payload.self, from: event.data)
        } catch let error as DecodingError {
            throw EventDecodingError.malformedData(eventType: event.type, schemaVersion: event.schemaVersion,
                                                   reason: error.readableDescription)
        }
    }

    /// Brings `event` to `currentVersion` through `upcaster`, after checking
    /// that its type is one of `knownTypes`.
    public static func upcast(_ event: EncodedEvent, streamType: String, knownTypes: [String: Int],
                       upcaster: Upcaster) throws -> EncodedEvent {
        guard let currentVersion = knownTypes[event.type] else {
            throw EventDecodingError.unknownEventType(event.type, streamType: streamType)
        }
        return try upcaster.upcast(event, to: currentVersion)
    }
}

extension DecodingError {
    /// "at lines[0].code: not a code: x y" rather than the enum's debug dump.
    public var readableDescription: String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let rendered = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return rendered.hasPrefix(".") ? String(rendered.dropFirst()) : rendered
        }
        switch self {
        case let .typeMismatch(type, context):
            return "at \(path(context.codingPath)): expected \(type)"
        case let .valueNotFound(type, context):
            return "at \(path(context.codingPath)): missing \(type)"
        case let .keyNotFound(key, context):
            return "at \(path(context.codingPath + [key])): missing key"
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty
                ? "not JSON: \(context.debugDescription)"
                : "at \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return String(describing: self)
        }
    }
}
