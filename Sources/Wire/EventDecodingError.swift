/// Why stored event data could not become a domain event. The projector
/// reports it against the event's position; it never crashes the process.
public enum EventDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownStreamType(String)
    case unknownEventType(String, streamType: String)
    case malformedData(eventType: String, schemaVersion: Int, reason: String)

    public var description: String {
        switch self {
        case .unknownStreamType(let type):
            "unknown stream type \"\(type)\""
        case let .unknownEventType(type, streamType):
            "unknown event type \"\(type)\" in a \(streamType) stream"
        case let .malformedData(type, version, reason):
            "malformed data for \(type) v\(version): \(reason)"
        }
    }
}
