import EventSourcing
import Foundation
import LibPQ
import Wire

/// The statements of one append, sent together in one pipeline: check the
/// stream's version, check that the streams it requires hold events, claim
/// unique values, insert the events at the versions after `expected`.
///
/// Concurrency: two writers that both saw version 3 both pass the version
/// check and both insert version 4; `unique (stream_id, stream_version)` lets
/// the first commit and fails the second with a unique violation, reported as
/// a version conflict. The check catches an `expected` that is behind or
/// ahead of the stream, so nothing is inserted with a gap. A stream's versions
/// are therefore 1…N without gaps or duplicates, without any table lock, and
/// writers to different streams never wait for each other.
enum AppendStatements {
    /// SQLSTATE raised by `chronicle_expect_version` (migration 0002); its
    /// detail is the stream's actual version.
    static let versionMismatch = "CV001"
    /// SQLSTATE raised by `chronicle_expect_stream` (migration 0009); its
    /// detail is the stream's id.
    static let requiredStreamMissing = "CV002"

    static func statements(_ events: [EncodedEvent], to stream: StreamName, expecting expected: ExpectedVersion,
                           metadata: EventMetadata, claims: [UniqueClaim], requiring required: [StreamName]) throws
        -> [SQL] {
        var statements: [SQL] = []
        if case .exactly(let version) = expected {
            statements.append("SELECT chronicle_expect_version(\(stream.id), \(version))")
        }
        for other in required {
            statements.append("SELECT chronicle_expect_stream(\(other.id), \(other.type))")
        }
        for claim in claims {
            statements.append(
                "INSERT INTO unique_claims (scope, value, stream_id) VALUES (\(claim.scope), \(claim.value), \(stream.id))")
        }
        statements.append(try insert(events, to: stream, expecting: expected, metadata: metadata))
        return statements
    }

    /// Versions follow `expected` exactly when it is known: the version
    /// check and the insert run under different snapshots (READ COMMITTED),
    /// so recomputing "current + 1" here could skip past a concurrent append
    /// instead of colliding with it. Only `.any` derives them from the stream.
    private static func insert(_ events: [EncodedEvent], to stream: StreamName, expecting expected: ExpectedVersion,
                               metadata: EventMetadata) throws -> SQL {
        let metadataJSON = JSONText(bytes: try JSONBytesEncoder.encode(metadata))
        var sql: SQL
        switch expected {
        case .exactly(let version):
            sql = "WITH base AS (SELECT \(version)::int AS version)"
        case .any:
            sql = "WITH base AS (SELECT coalesce(max(stream_version), 0) AS version FROM events WHERE stream_id = \(stream.id))"
        }
        sql.append("""

            INSERT INTO events (stream_id, stream_type, stream_version, event_type, event_schema_version, data, metadata)
            SELECT \(stream.id), \(stream.type), base.version + e.ordinal, e.type, e.schema_version, e.data, \(metadataJSON)::jsonb
            FROM base, (VALUES
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

    /// How an append is framed: its own transaction, or a savepoint inside
    /// the caller's.
    struct Frame {
        var open: SQL
        var close: SQL
        var undo: SQL

        static let transaction = Frame(open: "BEGIN", close: "COMMIT", undo: "ROLLBACK")
        static let savepoint = Frame(open: "SAVEPOINT chronicle_append", close: "RELEASE SAVEPOINT chronicle_append",
                                     undo: "ROLLBACK TO SAVEPOINT chronicle_append")
    }

    /// Sends the append in one pipeline inside `frame`; on failure undoes
    /// the frame (the failed statement aborted it) and throws the store's error.
    static func run(_ events: [EncodedEvent], to stream: StreamName, expecting expected: ExpectedVersion,
                    metadata: EventMetadata, claims: [UniqueClaim], requiring required: [StreamName], in frame: Frame,
                    on connection: Connection) async throws -> AppendResult {
        guard !events.isEmpty else { throw EmptyAppend() }
        let statements = try statements(events, to: stream, expecting: expected, metadata: metadata, claims: claims,
                                        requiring: required)
        let outcomes = try await connection.pipeline([frame.open] + statements + [frame.close])
        if outcomes.contains(where: { if case .failure = $0 { true } else { false } }) {
            _ = try? await connection.query(frame.undo)
            if let failure = try await failure(in: outcomes, stream: stream, expected: expected, claims: claims,
                                               required: required, connection: connection) {
                throw failure
            }
        }
        return try result(of: outcomes[outcomes.count - 2].get())
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
        if error.sqlState == versionMismatch {
            return EventStoreError.versionConflict(stream: stream, expected: expected,
                                                   actual: Int(error.detail ?? "") ?? -1)
        }
        if error.sqlState == requiredStreamMissing,
           let missing = required.first(where: { $0.id == error.detail.flatMap(UUID.init) }) ?? required.first {
            return EventStoreError.requiredStreamMissing(missing)
        }
        guard error.isUniqueViolation else { return error }
        if error.constraint == "unique_claims_pkey" {
            let claim = claims.first { error.detail?.contains($0.value) == true } ?? claims.first
            if let claim { return EventStoreError.claimTaken(claim) }
        }
        // A concurrent writer took the version we were inserting.
        return EventStoreError.versionConflict(
            stream: stream, expected: expected,
            actual: try await connection.query(
                "SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = \(stream.id)")[0]
                .decode(Int.self, at: 0))
    }
}
