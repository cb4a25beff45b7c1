public import EventSourcing

/// The stream and event types the served contexts declare: the names a
/// feed filter may use. A filter naming anything else would match nothing
/// for ever, which is a client's mistake worth telling.
public struct FeedVocabulary: Sendable {
    public let streamTypes: Set<String>
    public let eventTypes: Set<String>

    public init(_ declarations: [StreamDeclaration]) {
        streamTypes = Set(declarations.map(\.streamType))
        eventTypes = Set(declarations.flatMap(\.eventTypes))
    }

    /// The vocabulary of the contexts an executable lists.
    public init(_ contexts: [any StreamDeclaring.Type]) {
        self.init(contexts.flatMap { $0.declaredStreams })
    }

    /// The filter for these names, or the names that are unknown.
    public func filter(streamTypes requestedStreams: [String], eventTypes requestedEvents: [String])
        -> Result<EventFilter, UnknownFeedTypes> {
        let unknown = UnknownFeedTypes(streamTypes: requestedStreams.filter { !streamTypes.contains($0) },
                                       eventTypes: requestedEvents.filter { !eventTypes.contains($0) })
        guard unknown.streamTypes.isEmpty && unknown.eventTypes.isEmpty else { return .failure(unknown) }
        return .success(EventFilter(streamTypes: Self.unique(requestedStreams), eventTypes: Self.unique(requestedEvents)))
    }

    private static func unique(_ names: [String]) -> [String] { Array(Set(names)).sorted() }
}

/// Filter values that name no declared stream or event type.
public struct UnknownFeedTypes: Error, Equatable, Sendable {
    public var streamTypes: [String]
    public var eventTypes: [String]
}
