public import EventSourcing
public import Foundation

/// Builds the log projections read in tests: every appended event gets the
/// next position and its stream's next version. A context's tests add typed
/// appends that encode through its codecs.
public struct TestEventLog: Sendable {
    public private(set) var events: [RecordedEvent] = []
    private var versions: [StreamName: Int] = [:]

    public init() {}

    /// `event` encoded by `codec`, on `stream`.
    @discardableResult
    public mutating func append<Event>(_ event: Event, _ codec: EventCodec<Event>, to stream: StreamName,
                                       at time: Date = Date(timeIntervalSince1970: 0)) -> RecordedEvent {
        append(try! codec.encode(event), to: stream, at: time)
    }

    /// Any stored shape (an old schema version, malformed data…).
    @discardableResult
    public mutating func append(_ encoded: EncodedEvent, to stream: StreamName, at: Date = Date(timeIntervalSince1970: 0))
        -> RecordedEvent {
        let version = versions[stream, default: 0] + 1
        versions[stream] = version
        let position = Int64(events.count + 1)
        let recorded = RecordedEvent(
            position: LogPosition(transactionID: UInt64(position) + 1000, globalPosition: position),
            stream: stream, streamVersion: version, event: encoded,
            metadata: EventMetadata(commandID: UUID(), correlationID: "test", causationID: "test"),
            recordedAt: at)
        events.append(recorded)
        return recorded
    }

    /// Events appended since `mark` (an earlier `events.count`).
    public func since(_ mark: Int) -> [RecordedEvent] { Array(events[mark...]) }
}
