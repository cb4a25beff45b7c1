public import EventSourcing

/// Where a consumer of the event feed stands: a position in the log's
/// reading order (the projector's checkpoint pair), as an opaque string the
/// consumer holds and sends back (`after`, `next`, SSE `id:`).
public struct FeedCursor: Hashable, Sendable, CustomStringConvertible {
    public var position: LogPosition

    public init(_ position: LogPosition) { self.position = position }

    /// Before the first event.
    public static let start = FeedCursor(.start)

    /// Not a consistency token's `c1.`: a token sent as a cursor (or the
    /// reverse) is malformed, not a position that happens to parse.
    static let prefix = "e1."

    public var description: String { position.text(prefix: Self.prefix) }

    /// Parses a cursor; nil for anything malformed.
    public init?(_ text: String) {
        guard let position = LogPosition(text: text, prefix: Self.prefix) else { return nil }
        self.position = position
    }
}
