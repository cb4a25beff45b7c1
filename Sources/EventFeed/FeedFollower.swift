public import EventSourcing
public import LibPQ

/// Follows the feed live from a cursor: what is there already, page by
/// page, then each page of new events as they commit. The SSE stream of
/// `GET /events` and `chronicle-admin tail` are both this loop.
///
/// It reads a page only after the last one was delivered, and delivery
/// waits for the consumer (the HTTP writer's backpressure), so a slow
/// consumer holds at most one page in memory and the table is not read
/// for it meanwhile. The database connection is lent for the read alone,
/// never while a consumer is slow.
///
/// Caught up, it waits for `commits` (rung by the process's one listener
/// for every stream) or `pollInterval`, whichever is first: the poll is the
/// fallback for a lost notification, and for a replica, which replays a
/// commit after the primary's notification.
public struct FeedFollower: Sendable {
    public let pool: ConnectionPool
    public let commits: FeedSignal
    public let pollInterval: Duration
    public let pageSize: Int

    public init(pool: ConnectionPool, commits: FeedSignal, pollInterval: Duration, pageSize: Int) {
        self.pool = pool
        self.commits = commits
        self.pollInterval = pollInterval
        self.pageSize = pageSize
    }

    /// Delivers every page with events after `start` that `filter` keeps,
    /// in order, until `stop` rings or the task is cancelled (then it
    /// returns normally). When nothing has been delivered for `heartbeat`,
    /// it calls `idle` (and again after each further `heartbeat`). Errors
    /// of the read or of a delivery end it.
    public func follow(after start: FeedCursor, filter: EventFilter, until stop: FeedSignal,
                       heartbeat: Duration? = nil,
                       deliver: (FeedPage) async throws -> Void,
                       idle: () async throws -> Void = {}) async throws {
        var cursor = start
        var quietSince = ContinuousClock.now
        while !stop.hasRung && !Task.isCancelled {
            let seen = commits.generation
            let page = try await pool.withConnection { connection in
                try await EventFeed.page(after: cursor, limit: pageSize, filter: filter, on: connection)
            }
            if !page.events.isEmpty {
                try await deliver(page)
                quietSince = .now
            } else if let heartbeat, ContinuousClock.now - quietSince >= heartbeat {
                try await idle()
                quietSince = .now
            }
            let moved = page.next != cursor
            cursor = page.next
            // A short page of an unfiltered read reached the end of the log;
            // any other move (a full page, rows a filter left out) may have
            // more behind it at once.
            if moved && (page.events.count == pageSize || !filter.isEverything) { continue }
            var wait = pollInterval
            if let heartbeat { wait = min(wait, max(.zero, quietSince + heartbeat - .now)) }
            await Self.waitForAny(commits, past: seen, stop, atMost: wait)
        }
    }

    private static func waitForAny(_ commits: FeedSignal, past seen: UInt64, _ stop: FeedSignal, atMost timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await commits.wait(past: seen) }
            group.addTask { await stop.wait(past: 0) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }
}
