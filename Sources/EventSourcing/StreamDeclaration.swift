/// What a bounded context writes to the log, by stored name: one of its
/// stream types and the event types those streams hold. Readers of the whole
/// log that take names from outside (the event feed's filters) check them
/// against these, so the generic machinery knows every served context's
/// names without naming a context.
public struct StreamDeclaration: Sendable, Equatable {
    public let streamType: String
    public let eventTypes: [String]

    public init(streamType: String, eventTypes: some Sequence<String>) {
        self.streamType = streamType
        self.eventTypes = eventTypes.sorted()
    }
}

/// A bounded context that declares the streams it writes.
public protocol StreamDeclaring {
    static var declaredStreams: [StreamDeclaration] { get }
}

/// Which events a reader of the whole log wants: those of one of
/// `streamTypes` (any, when empty) and of one of `eventTypes` (any, when
/// empty).
public struct EventFilter: Sendable, Equatable {
    public var streamTypes: [String]
    public var eventTypes: [String]

    public init(streamTypes: [String] = [], eventTypes: [String] = []) {
        self.streamTypes = streamTypes
        self.eventTypes = eventTypes
    }

    /// Every event.
    public static let everything = EventFilter()

    public var isEverything: Bool { streamTypes.isEmpty && eventTypes.isEmpty }

    public func matches(streamType: String, eventType: String) -> Bool {
        (streamTypes.isEmpty || streamTypes.contains(streamType)) && (eventTypes.isEmpty || eventTypes.contains(eventType))
    }

    /// True when one of `events` matches.
    public func matchesAny(_ events: [RecordedEvent]) -> Bool {
        isEverything || events.contains { matches(streamType: $0.stream.type, eventType: $0.event.type) }
    }
}
