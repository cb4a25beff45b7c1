public import EventSourcing
public import LibPQ

/// The whole store read as one log, for projectors and `readAll`.
///
/// Committed events after `position`, in log order, never skipping one whose
/// transaction commits late.
///
/// Positions come from a sequence when a row is inserted, but transactions
/// commit in any order: position 41 may become visible after 42. Reading
/// `global_position > checkpoint` would then pass 41 for ever. Instead we
/// read only rows written by transactions older than every transaction still
/// running (`transaction_id < pg_snapshot_xmin(pg_current_snapshot())`): all
/// of those have finished, so no row can appear later below that watermark.
/// Ordered by `(transaction_id, global_position)`, the log is then a sequence
/// that only grows at its end, and a checkpoint is a position in it.
///
/// Trade-off: a long-open transaction anywhere on the server (even one that
/// never touches `events`) holds the watermark back, so readers lag until it
/// ends. They never skip or repeat an event because of it.
public enum EventLog {
    public static func read(after position: LogPosition, limit: Int, on connection: Connection) async throws -> [RecordedEvent] {
        try await connection.query("""
            SELECT \(unsafeRaw: EventRows.columns) FROM events
            WHERE \(committed(after: position))
            ORDER BY transaction_id, global_position
            LIMIT \(limit)
            """).map(EventRows.decode)
    }

    /// The last event `read` can return now (nil for an empty log): the end
    /// of the log below the watermark, which only grows.
    public static func head(on connection: Connection) async throws -> LogPosition? {
        try await connection.query("""
            SELECT transaction_id, global_position FROM events
            WHERE \(unsafeRaw: belowWatermark)
            ORDER BY transaction_id DESC, global_position DESC
            LIMIT 1
            """).first.map { LogPosition(transactionID: try $0.decode(UInt64.self, at: 0),
                                         globalPosition: try $0.decode(Int64.self, at: 1)) }
    }

    /// The reading rule, written once for every reader of the whole log:
    /// rows after `position` in log order, written by transactions older than
    /// every one still running.
    static func committed(after position: LogPosition) -> SQL {
        """
        (transaction_id, global_position) > (\(position.transactionID)::xid8, \(position.globalPosition)::bigint)
          AND \(unsafeRaw: belowWatermark)
        """
    }

    /// No row can appear later below this: every transaction under it has ended.
    static let belowWatermark = "transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))"
}

/// What a filtered read of the log found: the events the filter kept, and
/// the position the reader has now passed, which lies beyond the events when
/// the filter left out the ones after them.
public struct LogScan: Sendable, Equatable {
    public var events: [RecordedEvent]
    /// The last position read, kept or not; nil when nothing was read.
    public var end: LogPosition?

    public init(events: [RecordedEvent], end: LogPosition?) {
        self.events = events
        self.end = end
    }
}

extension EventLog {
    /// Up to `limit` events after `position` that `filter` keeps, in log
    /// order, by the same rule as `read`, looking at no more than
    /// `window` rows: a filter that keeps few events still costs a bounded
    /// read, and `end` says how far it got, so the next scan starts past
    /// what was left out rather than reading it again.
    ///
    /// With nothing filtered it is `read`. Otherwise one statement scans the
    /// window's positions (the index alone), picks the kept ones and the last
    /// one scanned, and fetches the rows of those only. When `limit` events
    /// were kept, `end` is the last of them: rows after it were not returned.
    public static func scan(after position: LogPosition, limit: Int, matching filter: EventFilter, window: Int,
                            on connection: Connection) async throws -> LogScan {
        guard !filter.isEverything else {
            let events = try await read(after: position, limit: limit, on: connection)
            return LogScan(events: events, end: events.last?.position)
        }
        let streamTypes = filter.streamTypes.isEmpty ? nil : TextArray(filter.streamTypes)
        let eventTypes = filter.eventTypes.isEmpty ? nil : TextArray(filter.eventTypes)
        let rows = try await connection.query("""
            WITH scanned AS (
                SELECT transaction_id, global_position,
                       (\(streamTypes)::text[] IS NULL OR stream_type = ANY(\(streamTypes)::text[]))
                       AND (\(eventTypes)::text[] IS NULL OR event_type = ANY(\(eventTypes)::text[])) AS kept
                FROM events
                WHERE \(committed(after: position))
                ORDER BY transaction_id, global_position
                LIMIT \(max(window, limit))
            ), picked AS (
                (SELECT transaction_id, global_position, kept FROM scanned WHERE kept
                 ORDER BY transaction_id, global_position LIMIT \(limit))
                UNION
                (SELECT transaction_id, global_position, kept FROM scanned
                 ORDER BY transaction_id DESC, global_position DESC LIMIT 1)
            )
            SELECT \(unsafeRaw: EventRows.columns), picked.kept FROM events JOIN picked USING (transaction_id, global_position)
            ORDER BY transaction_id, global_position
            """)
        var events: [RecordedEvent] = []
        for row in rows where events.count < limit {
            if try row.decode(Bool.self, at: EventRows.columnCount) { events.append(try EventRows.decode(row)) }
        }
        let lastScanned = try rows.last.map(EventRows.position)
        return LogScan(events: events, end: events.count == limit ? events.last?.position : lastScanned)
    }
}

extension EventLog {
    /// How far a position is behind the log: the number of committed events
    /// after it (counted up to `cap`, beyond which the position difference
    /// is given), and the age of the oldest of them — which grows while a
    /// long-open transaction holds the watermark back.
    public struct Lag: Sendable, Equatable {
        public var events: Int
        public var seconds: Double
    }

    /// The lag of each of `positions`, in their order, in one statement that
    /// reads the log after the earliest of them once and counts every
    /// position's share of it: the projector refreshes all its projections'
    /// lag every second, and one count per projection (each over the same
    /// recent rows, whose heap pages the index-only scan still has to visit)
    /// was a visible part of PostgreSQL's time under load.
    public static func lags(after positions: [LogPosition], cap: Int = 100_000,
                            on connection: Connection) async throws -> [Lag] {
        guard let earliest = positions.min() else { return [] }
        let wanted = SQL(joining: positions.enumerated().map { index, position in
            "(\(index)::int, \(position.transactionID)::xid8, \(position.globalPosition)::bigint)"
        }, separator: ", ")
        let rows = try await connection.query("""
            WITH pending AS MATERIALIZED (
                SELECT transaction_id, global_position FROM events
                WHERE (transaction_id, global_position) > (\(earliest.transactionID)::xid8, \(earliest.globalPosition)::bigint)
                ORDER BY transaction_id, global_position LIMIT \(cap + 1))
            SELECT
                (SELECT count(*) FROM pending AS p
                 WHERE (p.transaction_id, p.global_position) > (w.transaction_id, w.global_position)),
                (SELECT coalesce(max(global_position), 0) FROM events),
                (SELECT coalesce(extract(epoch FROM now() - min(recorded_at)), 0)::float8::text FROM (
                    SELECT recorded_at FROM events AS e
                    WHERE (e.transaction_id, e.global_position) > (w.transaction_id, w.global_position)
                    ORDER BY e.transaction_id, e.global_position LIMIT 1) AS oldest)
            FROM (VALUES \(wanted)) AS w (n, transaction_id, global_position)
            ORDER BY w.n
            """)
        var counts: [Int] = []
        var lags = try zip(positions, rows).map { position, row in
            let counted = try row.decode(Int.self, at: 0)
            counts.append(counted)
            let estimate = max(0, Int(try row.decode(Int64.self, at: 1) - position.globalPosition))
            let seconds = Double(try row.decode(String.self, at: 2)) ?? 0
            return Lag(events: counted > cap ? max(estimate, cap) : counted, seconds: max(0, seconds))
        }
        // More than `cap` after the earliest: the shared read stopped short
        // of the head, so the later positions' counts may stop short too.
        // They are counted again, from the earliest of them.
        if let first = positions.firstIndex(of: earliest), counts[first] > cap {
            let later = positions.indices.filter { positions[$0] != earliest }
            let recounted = try await Self.lags(after: later.map { positions[$0] }, cap: cap, on: connection)
            for (index, lag) in zip(later, recounted) { lags[index] = lag }
        }
        return lags
    }

    /// The lag of one position: `lags(after:)` of one.
    public static func lag(after position: LogPosition, cap: Int = 100_000,
                           on connection: Connection) async throws -> Lag {
        try await lags(after: [position], cap: cap, on: connection)[0]
    }
}
