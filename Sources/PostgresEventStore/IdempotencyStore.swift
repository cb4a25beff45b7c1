public import EventSourcing
import Foundation
public import LibPQ

public enum IdempotencyError: Error, Equatable, Sendable {
    /// The key was first used with a different request.
    case keyReused
}

/// Runs a command at most once per `Idempotency-Key`.
///
/// The key's row is inserted at the start of the command's transaction. A
/// repeat that arrives meanwhile blocks on that row until the first commits,
/// then reads the first response (or, if the first rolled back, takes the key
/// itself). The command's events and its response are committed together, so
/// a crash can never leave events without the recorded response or the other
/// way round. A 503 is not kept: the transaction rolls back and the key is
/// free again.
public struct IdempotencyStore: Sendable {
    public let pool: ConnectionPool
    public let onCommit: @Sendable () -> Void
    /// Keys younger than this are honoured; older ones are deleted by `purge`.
    public static let retention: Duration = .seconds(48 * 3600)

    public init(pool: ConnectionPool, onCommit: @escaping @Sendable () -> Void = {}) {
        self.pool = pool
        self.onCommit = onCommit
    }

    /// Runs `command` with an event store bound to the key's transaction,
    /// unless the key already holds an answer for the same request.
    /// `request` is the canonical bytes of the request (method, path, body);
    /// only its SHA-256 is stored. The answer is the caller's encoding of
    /// what it replied, kept whole: this store knows nothing of its shape.
    public func run(key: String, request: [UInt8],
                    command: (any EventStore) async throws -> [UInt8]) async throws -> [UInt8] {
        try await pool.withConnection { connection in
            while true {
                let claimed = try await connection.withTransaction { tx -> [UInt8]? in
                    let inserted = try await tx.query("""
                        INSERT INTO idempotency_keys (key, request_hash) VALUES (\(key), sha256(\(request)::bytea))
                        ON CONFLICT (key) DO NOTHING RETURNING 1
                        """)
                    guard !inserted.isEmpty else { return nil }
                    let answer = try await command(TransactionalEventStore(connection: tx))
                    try await tx.query("UPDATE idempotency_keys SET answer = \(answer) WHERE key = \(key)")
                    return answer
                }
                if let claimed {
                    onCommit()
                    return claimed
                }
                if let stored = try await storedAnswer(key: key, request: request, on: connection) { return stored }
                // The key's row vanished between our insert and our read
                // (purged): try again from the start.
            }
        }
    }

    private func storedAnswer(key: String, request: [UInt8], on connection: Connection) async throws -> [UInt8]? {
        let rows = try await connection.query("""
            SELECT request_hash = sha256(\(request)::bytea), answer FROM idempotency_keys WHERE key = \(key)
            """)
        guard let row = rows.first else { return nil }
        guard try row.decode(Bool.self, at: 0) else { throw IdempotencyError.keyReused }
        return try row.decode([UInt8].self, at: 1)
    }

    /// Deletes keys older than the retention period; returns how many.
    @discardableResult
    public func purge(olderThan age: Duration = retention) async throws -> Int {
        let seconds = age.components.seconds
        return try await pool.query(
            "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => \(Int(seconds)))"
        ).affectedRows
    }
}
