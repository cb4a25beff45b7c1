public import EventSourcing
import Foundation
public import LibPQ

/// The event store on PostgreSQL, over a connection pool.
///
/// An append is one statement in one round trip (its claims, version check
/// and required streams folded into the INSERT: `AppendStatements`);
/// reading a stream is another. After a successful commit it signals
/// `onCommit` (the `CommitNotifier`), so projectors wake without polling and
/// without a NOTIFY inside the append transaction (which would serialise
/// every commit on one database-wide lock).
public struct PostgresEventStore: EventStore {
    public let pool: ConnectionPool
    public let onCommit: @Sendable () -> Void
    /// When set, every call uses this connection instead of borrowing one
    /// per call: a command's reads and its append then cost one checkout.
    private let connection: Connection?

    public init(pool: ConnectionPool, onCommit: @escaping @Sendable () -> Void = {}) {
        self.pool = pool
        self.onCommit = onCommit
        self.connection = nil
    }

    private init(pool: ConnectionPool, onCommit: @escaping @Sendable () -> Void, connection: Connection) {
        self.pool = pool
        self.onCommit = onCommit
        self.connection = connection
    }

    /// This store on one connection the caller has borrowed from `pool`.
    public func bound(to connection: Connection) -> PostgresEventStore {
        PostgresEventStore(pool: pool, onCommit: onCommit, connection: connection)
    }

    private func withConnection<T>(_ body: (Connection) async throws -> T) async throws -> T {
        if let connection { return try await body(connection) }
        return try await pool.withConnection(body)
    }

    public func readStream(_ stream: StreamName) async throws -> [RecordedEvent] {
        try await withConnection { try await ReadStreamStatement.run(stream, on: $0) }
    }

    public func append(_ events: [EncodedEvent], to stream: StreamName, expecting expected: ExpectedVersion,
                       metadata: EventMetadata, claims: [UniqueClaim],
                       requiring required: [StreamName]) async throws -> AppendResult {
        let result = try await withConnection { connection in
            try await AppendStatements.run(events, to: stream, expecting: expected, metadata: metadata, claims: claims,
                                           requiring: required, in: .alone, on: connection)
        }
        onCommit()
        return result
    }

    public func readAll(after position: LogPosition, limit: Int) async throws -> [RecordedEvent] {
        try await withConnection { try await EventLog.read(after: position, limit: limit, on: $0) }
    }
}

/// Appending no events is a programming error: the runner never does it.
public struct EmptyAppend: Error {}

/// The same store inside a transaction its caller owns (the idempotency
/// record's): reads see the transaction's writes, and each append runs under
/// a savepoint so a version conflict can be retried without losing the
/// transaction.
public struct TransactionalEventStore: EventStore {
    let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    public func readStream(_ stream: StreamName) async throws -> [RecordedEvent] {
        try await ReadStreamStatement.run(stream, on: connection)
    }

    public func append(_ events: [EncodedEvent], to stream: StreamName, expecting expected: ExpectedVersion,
                       metadata: EventMetadata, claims: [UniqueClaim],
                       requiring required: [StreamName]) async throws -> AppendResult {
        try await AppendStatements.run(events, to: stream, expecting: expected, metadata: metadata, claims: claims,
                                       requiring: required, in: .savepoint, on: connection)
    }

    public func readAll(after position: LogPosition, limit: Int) async throws -> [RecordedEvent] {
        try await EventLog.read(after: position, limit: limit, on: connection)
    }
}
