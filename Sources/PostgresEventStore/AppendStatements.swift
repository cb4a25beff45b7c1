import EventSourcing
import Foundation
import LibPQ
import Wire

/// An append is one statement: it claims unique values, checks the stream's
/// version and the streams it requires, and inserts the events at the
/// versions after `expected`. Alone it needs no `BEGIN`/`COMMIT`: a
/// statement is atomic, so a failed check or a taken claim leaves nothing.
/// One statement instead of five (`BEGIN`, two checks, the insert, `COMMIT`)
/// roughly doubled the rate PostgreSQL sustains for this append (pgbench,
/// 32 clients, the same machine, both shapes in one run).
///
/// Concurrency: two writers that both saw version 3 both pass the version
/// check and both insert version 4; `unique (stream_id, stream_version)` lets
/// the first commit and fails the second with a unique violation, reported as
/// a version conflict. The check catches an `expected` that is ahead of the
/// stream (version `expected` does not exist yet), and the unique constraint
/// one that is behind (version `expected + 1` exists), so nothing is inserted
/// with a gap. A stream's versions are therefore 1…N without gaps or
/// duplicates, without any table lock, and writers to different streams
/// never wait for each other.
enum AppendStatements {
    /// A failed check makes the statement insert version 0, which the events
    /// table's `CHECK (stream_version > 0)` (migration 0001) refuses: that
    /// aborts the statement, claims included, without a server-side function
    /// call on every append. Which check failed is then read on that path only.
    static let refusedConstraint = "events_stream_version_check"

    static func statement(_ events: [EncodedEvent], to stream: StreamName, expecting expected: ExpectedVersion,
                          metadata: EventMetadata, claims: [UniqueClaim], requiring required: [StreamName]) throws
        -> SQL {
        guard !events.isEmpty else { throw EmptyAppend() }
        let metadataJSON = JSONText(bytes: try JSONBytesEncoder.encode(metadata))
        var sql: SQL = "WITH "
        // A data-modifying WITH runs whether or not the insert reads it.
        if !claims.isEmpty {
            let rows = SQL(joining: claims.map { "(\($0.scope), \($0.value), \(stream.id))" }, separator: ", ")
            sql.append("claimed AS (INSERT INTO unique_claims (scope, value, stream_id) VALUES \(rows)), ")
        }
        // Versions follow `expected` exactly when it is known; only `.any`
        // derives them from the stream.
        switch expected {
        case .exactly(let version):
            sql.append("base AS (SELECT \(version)::int AS version)")
        case .any:
            sql.append("base AS (SELECT coalesce(max(stream_version), 0) AS version FROM events WHERE stream_id = \(stream.id))")
        }
        var checks: [SQL] = []
        // Expecting 0 needs no check: version 1 of an existing stream collides.
        if case .exactly(let version) = expected, version != 0 {
            checks.append("EXISTS (SELECT 1 FROM events WHERE stream_id = \(stream.id) AND stream_version = base.version)")
        }
        for other in required {
            checks.append("EXISTS (SELECT 1 FROM events WHERE stream_id = \(other.id) AND stream_type = \(other.type))")
        }
        var version: SQL = "base.version + e.ordinal"
        if !checks.isEmpty {
            sql.append(", admitted AS (SELECT \(SQL(joining: checks, separator: " AND ")) AS passed FROM base)")
            version = "CASE WHEN admitted.passed THEN base.version + e.ordinal ELSE 0 END"
        }
        sql.append("""

            INSERT INTO events (stream_id, stream_type, stream_version, event_type, event_schema_version, data, metadata)
            SELECT \(stream.id), \(stream.type), \(version), e.type, e.schema_version, e.data, \(metadataJSON)::jsonb
            FROM base\(unsafeRaw: checks.isEmpty ? "" : ", admitted"), (VALUES
            """)
        // The VALUES rows, built in one pass (placeholders continue after
        // the bindings above; every value is still a bound parameter).
        var rows = ""
        var bindings: [PostgresBinding] = []
        for (index, event) in events.enumerated() {
            let first = sql.bindings.count + bindings.count + 1
            rows += "\(index == 0 ? "" : ", ")($\(first)::int, $\(first + 1)::text, $\(first + 2)::int, $\(first + 3)::jsonb)"
            bindings += [PostgresBinding(index + 1), PostgresBinding(event.type), PostgresBinding(event.schemaVersion),
                         PostgresBinding(JSONText(bytes: event.data))]
        }
        sql = SQL(unsafeRaw: sql.text + rows, bindings: sql.bindings + bindings)
        sql.append(") AS e (ordinal, type, schema_version, data) ORDER BY e.ordinal")
        sql.append(" RETURNING global_position, transaction_id, stream_version")
        return sql
    }

    /// How an append is framed: alone (its own statement is its
    /// transaction), or under a savepoint inside the caller's transaction,
    /// which a failure must not abort.
    struct Frame {
        var open: SQL?
        var close: SQL?
        var undo: SQL?

        static let alone = Frame()
        static let savepoint = Frame(open: "SAVEPOINT chronicle_append", close: "RELEASE SAVEPOINT chronicle_append",
                                     undo: "ROLLBACK TO SAVEPOINT chronicle_append")
    }

    /// Sends the append in one round trip inside `frame`; on failure undoes
    /// the frame (the failed statement aborted it) and throws the store's error.
    static func run(_ events: [EncodedEvent], to stream: StreamName, expecting expected: ExpectedVersion,
                    metadata: EventMetadata, claims: [UniqueClaim], requiring required: [StreamName], in frame: Frame,
                    on connection: Connection) async throws -> AppendResult {
        let insert = try statement(events, to: stream, expecting: expected, metadata: metadata, claims: claims,
                                   requiring: required)
        let outcomes = try await connection.pipeline([frame.open, insert, frame.close].compactMap { $0 })
        if outcomes.contains(where: { if case .failure = $0 { true } else { false } }) {
            if let undo = frame.undo { _ = try? await connection.query(undo) }
            if let failure = try await failure(in: outcomes, stream: stream, expected: expected, claims: claims,
                                               required: required, connection: connection) {
                throw failure
            }
        }
        return try result(of: outcomes[frame.open == nil ? 0 : 1].get())
    }

    /// Reads the insert's RETURNING rows into the append's result.
    static func result(of inserted: QueryResult) throws -> AppendResult {
        guard let last = inserted.last else { throw EmptyAppend() }
        return AppendResult(
            streamVersion: try last.decode(Int.self, at: 2),
            lastPosition: LogPosition(transactionID: try last.decode(UInt64.self, at: 1),
                                      globalPosition: try last.decode(Int64.self, at: 0)))
    }

    /// The first real failure of a pipeline (later statements only report
    /// that an earlier one failed), as the store's error.
    static func failure(in outcomes: [Result<QueryResult, PostgresError>], stream: StreamName,
                        expected: ExpectedVersion, claims: [UniqueClaim], required: [StreamName],
                        connection: Connection) async throws -> Error? {
        guard let error = outcomes.lazy.compactMap({ outcome -> PostgresError? in
            if case .failure(let error) = outcome, error.sqlState != nil { return error }
            return nil
        }).first else { return nil }
        if error.sqlState == PostgresError.Code.checkViolation, error.constraint == refusedConstraint {
            return try await refusal(stream: stream, expected: expected, required: required, connection: connection)
        }
        guard error.isUniqueViolation else { return error }
        if error.constraint == "unique_claims_pkey" {
            let claim = claims.first { error.detail?.contains($0.value) == true } ?? claims.first
            if let claim { return EventStoreError.claimTaken(claim) }
        }
        // A concurrent writer took the version we were inserting.
        return EventStoreError.versionConflict(stream: stream, expected: expected,
                                               actual: try await version(of: stream, on: connection))
    }

    /// Which check refused the append, read after the fact: the stream not
    /// at `expected`, else the first required stream without events. If
    /// neither holds any more (the stream reached `expected`, or a required
    /// stream was created, since), it is reported as a version conflict, which
    /// a command without `If-Match` decides again.
    private static func refusal(stream: StreamName, expected: ExpectedVersion, required: [StreamName],
                                connection: Connection) async throws -> Error {
        let actual = try await version(of: stream, on: connection)
        if expected.accepts(actual) {
            for other in required {
                let found = try await connection.query(
                    "SELECT EXISTS (SELECT 1 FROM events WHERE stream_id = \(other.id) AND stream_type = \(other.type))")
                if try !found[0].decode(Bool.self, at: 0) { return EventStoreError.requiredStreamMissing(other) }
            }
        }
        return EventStoreError.versionConflict(stream: stream, expected: expected, actual: actual)
    }

    private static func version(of stream: StreamName, on connection: Connection) async throws -> Int {
        try await connection.query("SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = \(stream.id)")[0]
            .decode(Int.self, at: 0)
    }
}
