import EventSourcing
public import Foundation
import LibPQ
public import Wire
import UUIDKit

/// One event's change to a projection's tables, as a row of a set-based
/// statement of its kind (the index of its handler).
struct Change {
    var kind: Int
    /// The stream whose rows the change is ordered by.
    var stream: StreamName
    /// The row, unpacked in SQL by `jsonb_to_recordset`.
    var row: [String: JSONValue]
    var source: RecordedEvent
}

/// Applies a batch of events with a few set-based statements, sent in one
/// round trip.
///
/// ## Why set-based, and why it is the same as one event at a time
///
/// Statements only write; what they need to look up (an amount kept from an
/// earlier event, a name another stream set) is a join or subselect in the statement,
/// so a batch needs no read round trip. Sending one statement per event costs
/// the server a parse and plan per event, which dominated the time; instead
/// the batch is cut into *rounds*: the k-th change of each stream in the batch
/// goes to round k, and each round sends one statement per kind of change,
/// with all its rows as one JSON parameter. All go through libpq's pipeline
/// mode in one round trip, inside the caller's transaction.
///
/// This gives the tables the same content as applying the events one by one
/// in log order, because:
/// - a stream's changes stay in order (round k before round k+1), and within a
///   round each stream appears at most once, so no statement touches a row
///   keyed by a stream twice;
/// - changes of different streams that meet in one row commute: counters and
///   sums are added (rows grouped by their target first), latest times are
///   maxima, and a value owned by a stream is written by that stream only.
///   A projection that reads across streams must make such reads converge
///   too (each projection's documentation says how it does).
/// The "from scratch equals incremental" tests check this on random histories.
///
/// ## Errors
///
/// An undecodable event fails the batch before anything is sent. If a
/// statement fails, the batch rolls back to a savepoint taken before it and
/// runs again one event per statement, so the error names the exact event
/// (the caller then rolls the whole transaction back). A lost connection is
/// thrown as the `PostgresError` it is, not as a fault of an event.
struct ProjectionBatch {
    let projection: String
    /// The statement of each kind, in the order they run within a round.
    private let statements: [@Sendable (_ rows: String) -> SQL]
    private var changes: [Change] = []

    init(projection: String, statements: [@Sendable (_ rows: String) -> SQL]) {
        self.projection = projection
        self.statements = statements
    }

    /// `decode(recorded)`, an error of which is the event's fault: thrown as
    /// a `ProjectionError` naming it.
    func decode<Row>(_ recorded: RecordedEvent, _ decode: (RecordedEvent) throws -> Row) throws -> Row {
        do {
            return try decode(recorded)
        } catch {
            throw ProjectionError(projection: projection, event: recorded, underlying: error)
        }
    }

    mutating func add(_ kind: Int, on stream: StreamName, _ row: [String: JSONValue], for recorded: RecordedEvent) {
        changes.append(Change(kind: kind, stream: stream, row: row, source: recorded))
    }

    /// Runs the changes: each kind's statement gets its rows as a JSON
    /// array, one object per change.
    func run(on connection: Connection) async throws {
        guard !changes.isEmpty else { return }
        let statement = { (kind: Int, rows: String) in self.statements[kind](rows) }
        var pipeline: [SQL] = ["SAVEPOINT read_model_batch"]
        var sources: [RecordedEvent] = [changes[0].source]
        for round in rounds() {
            for kind in statements.indices {
                let members = round.filter { $0.kind == kind }
                guard let first = members.first else { continue }
                pipeline.append(statement(kind, Self.json(members)))
                sources.append(first.source)
            }
        }
        pipeline.append("RELEASE SAVEPOINT read_model_batch")
        sources.append(changes[changes.count - 1].source)
        guard let failed = try firstFailure(try await connection.pipeline(pipeline)) else { return }
        // No savepoint (not inside a transaction?): nothing to retry.
        guard failed.index > 0 else {
            throw ProjectionError(projection: projection, event: sources[0], underlying: failed.error)
        }

        // Find the event: one statement per change, in log order.
        try await connection.query("ROLLBACK TO SAVEPOINT read_model_batch")
        let single = changes.map { statement($0.kind, Self.json([$0])) }
        if let (index, error) = try firstFailure(try await connection.pipeline(single)) {
            throw ProjectionError(projection: projection, event: changes[index].source, underlying: error)
        }
        throw ProjectionError(projection: projection, event: sources[failed.index], underlying: failed.error)
    }

    /// Round k holds the k-th change of each stream, in log order.
    private func rounds() -> [[Change]] {
        var rounds: [[Change]] = []
        var seen: [StreamName: Int] = [:]
        for change in changes {
            let round = seen[change.stream, default: 0]
            seen[change.stream] = round + 1
            if round == rounds.count { rounds.append([]) }
            rounds[round].append(change)
        }
        return rounds
    }

    /// The first failed statement. A lost connection is no fault of an
    /// event: it is rethrown as it is, so the caller retries rather than
    /// stopping at the event.
    private func firstFailure(_ outcomes: [Result<QueryResult, PostgresError>]) throws -> (index: Int, error: PostgresError)? {
        for (index, outcome) in outcomes.enumerated() {
            if case .failure(let error) = outcome {
                if error.isConnectionFailure { throw error }
                return (index, error)
            }
        }
        return nil
    }

    private static func json(_ changes: [Change]) -> String {
        String(decoding: JSONValue.array(changes.map { .object($0.row) }).serialized(), as: UTF8.self)
    }
}

/// Values as they go into a row's JSON: uuids lower-case, times in
/// PostgreSQL's text form (microseconds).
extension JSONValue {
    public static func id(_ uuid: UUID) -> JSONValue { .string(uuid.lowercasedString) }
    public static func time(_ date: Date) -> JSONValue { .string(date.postgresText ?? "") }
    public static func int(_ value: Int) -> JSONValue { .number(JSONNumber(Int64(value))) }
    public static func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
}
