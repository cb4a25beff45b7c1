public import ArgumentParser
import HTTPCommon

/// The event feed's limits (README "Event feed"): flags first, then the
/// environment, then these defaults.
public struct FeedLimits: Sendable, Equatable {
    /// Live streams (SSE) served at once by the process; over it, a 503.
    public var maxStreams = 256
    /// The largest `limit` a page may ask for (API.md: 1–1000).
    public var maxLimit = 1000
    /// A live stream whose client has taken nothing for this long (its
    /// writes wait on a full connection) is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// A live stream with nothing to send for this long sends a comment
    /// (API.md: at least every 15 s).
    public var heartbeat: Duration = .seconds(15)

    /// A page's size when the request names none.
    public var defaultLimit: Int { min(100, maxLimit) }

    public init() {}
}

public struct FeedSettings: ParsableArguments, Sendable {
    @Option(name: .customLong("feed-max-streams"),
            help: "Live event streams (GET /events as SSE) served at once; more get a 503 with Retry-After (env FEED_MAX_STREAMS, default 256)")
    public var maxStreams: Int?

    @Option(name: .customLong("feed-max-limit"),
            help: "Largest limit GET /events accepts, 1-10000 (env FEED_MAX_LIMIT, default 1000)")
    public var maxLimit: Int?

    @Option(name: .customLong("feed-idle-timeout"),
            help: "Seconds a live stream may wait on a client that reads nothing before it is closed (env FEED_IDLE_TIMEOUT, default 60)")
    public var idleTimeout: Double?

    @Option(name: .customLong("feed-heartbeat"),
            help: "Seconds without events after which a live stream sends a heartbeat comment (env FEED_HEARTBEAT, default 15)")
    public var heartbeat: Double?

    public init() {}

    public func validate() throws { _ = try resolved() }

    public func resolved() throws -> FeedLimits {
        var limits = FeedLimits()
        if let streams = try ServiceSettings.integer(maxStreams, "FEED_MAX_STREAMS", in: 1...100_000) {
            limits.maxStreams = streams
        }
        if let limit = try ServiceSettings.integer(maxLimit, "FEED_MAX_LIMIT", in: 1...10_000) { limits.maxLimit = limit }
        if let idle = try ServiceSettings.seconds(idleTimeout, "FEED_IDLE_TIMEOUT") { limits.idleTimeout = idle }
        if let heartbeat = try ServiceSettings.seconds(heartbeat, "FEED_HEARTBEAT") { limits.heartbeat = heartbeat }
        return limits
    }
}
