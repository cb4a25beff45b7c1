public import EventSourcing
import Wire

/// An event a projection could not apply: its data could not be decoded, or
/// a statement for it failed. Names the event, so the projector can stop at
/// it and show where and why. (A lost connection is not this error: `apply`
/// throws that `PostgresError` unwrapped.)
public struct ProjectionError: Error, CustomStringConvertible {
    public var projection: String
    public var position: LogPosition
    public var stream: StreamName
    public var streamVersion: Int
    public var eventType: String
    /// The decoding error (`EventDecodingError`, `UpcastError`) or `PostgresError`.
    public var underlying: any Error

    public init(projection: String, event: RecordedEvent, underlying: any Error) {
        self.projection = projection
        self.position = event.position
        self.stream = event.stream
        self.streamVersion = event.streamVersion
        self.eventType = event.event.type
        self.underlying = underlying
    }

    public var description: String {
        "projection \(projection) cannot apply \(eventType) v\(streamVersion) of \(stream) at \(position): \(underlying)"
    }
}
