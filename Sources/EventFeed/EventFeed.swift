public import EventSourcing
public import LibPQ
import PostgresEventStore

/// One page of the feed: the events after a cursor that the filter keeps,
/// and the cursor to ask with next (past what the filter left out; the same
/// cursor when nothing new has committed).
public struct FeedPage: Sendable, Equatable {
    public var events: [RecordedEvent]
    public var next: FeedCursor

    public init(events: [RecordedEvent], next: FeedCursor) {
        self.events = events
        self.next = next
    }
}

/// Reads the feed by the projector's rule (`EventLog`): a consumer that
/// always asks with `next` sees every committed event once, in log order,
/// including events whose transactions commit out of position order.
public enum EventFeed {
    /// The rows a filtered page looks at, at most: a filter that keeps few
    /// events still answers promptly, and its `next` moves past the rows
    /// looked at.
    public static let scanWindow = 10_000

    public static func page(after cursor: FeedCursor, limit: Int, filter: EventFilter,
                            on connection: Connection) async throws -> FeedPage {
        let scan = try await EventLog.scan(after: cursor.position, limit: limit, matching: filter, window: scanWindow,
                                           on: connection)
        return FeedPage(events: scan.events, next: scan.end.map(FeedCursor.init) ?? cursor)
    }
}
