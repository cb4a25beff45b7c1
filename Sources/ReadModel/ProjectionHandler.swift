public import EventSourcing
public import LibPQ
public import Wire

/// One kind of write a projection makes: the stored event types that feed
/// it, the row each such event gives, and the one set-based statement that
/// applies the rows of a round (see `ProjectionBatch`). A projection lists
/// each event type it handles in one handler; the engine decodes only those
/// and passes every other event by.
public struct ProjectionHandler: Sendable {
    /// The stored event types (`EncodedEvent.type`) this handler takes.
    public let eventTypes: [String]
    let row: @Sendable (RecordedEvent) throws -> [String: JSONValue]?
    let statement: @Sendable (_ rows: String) -> SQL

    /// - Parameters:
    ///   - eventTypes: the stored types handled, each by this handler only.
    ///   - codec: decodes (and upcasts) them into the decider's events.
    ///   - row: the row an event gives, unpacked in SQL by
    ///     `jsonb_to_recordset`; nil when the event changes nothing here.
    ///   - statement: the statement applying a round's rows, given as one
    ///     JSON array parameter.
    public init<Event: Sendable>(_ eventTypes: String..., codec: EventCodec<Event>,
                                 row: @escaping @Sendable (Event, RecordedEvent) -> [String: JSONValue]?,
                                 write statement: @escaping @Sendable (_ rows: String) -> SQL) {
        self.eventTypes = eventTypes
        // Decoded once for every projection of the process that takes it.
        self.row = { recorded in
            row(try DecodedEventMemo.shared.value(of: recorded, as: Event.self, decode: codec.decode), recorded)
        }
        self.statement = statement
    }
}

/// A projection that declares what it does with each event type; the
/// engine's batching runs it (`apply`).
public protocol DeclarativeProjection: ReadModelProjection {
    /// The handlers, in the order their statements run within a round: a
    /// handler whose rows others read (a name kept for a join) comes first.
    var handlers: [ProjectionHandler] { get }
}

extension DeclarativeProjection {
    public func apply(_ events: [RecordedEvent], on connection: Connection) async throws {
        let handlers = handlers
        var handling: [String: Int] = [:]
        for (index, handler) in handlers.enumerated() {
            for type in handler.eventTypes where handling[type] == nil { handling[type] = index }
        }
        var batch = ProjectionBatch(projection: name, statements: handlers.map(\.statement))
        for recorded in events {
            guard let index = handling[recorded.event.type],
                  let row = try batch.decode(recorded, handlers[index].row) else { continue }
            batch.add(index, on: recorded.stream, row, for: recorded)
        }
        try await batch.run(on: connection)
    }

    /// Every type a handler lists: the engine passes all others by.
    public var eventTypes: [String]? { handlers.flatMap(\.eventTypes) }

    /// Event types listed by more than one handler (the first one wins when
    /// applying); empty for a well-formed projection.
    public var eventTypesHandledTwice: [String] {
        var seen: Set<String> = [], twice: [String] = []
        for type in handlers.flatMap(\.eventTypes) where !seen.insert(type).inserted { twice.append(type) }
        return twice
    }
}
