import Accounts
import AccountsDomain
import EventSourcing
import Foundation
import LibPQ
import ReadModel
import TestSupport
import Wire

/// `"2026-11-24T10:15:30.123Z"` as a Date.
func time(_ text: String) -> Date { Timestamp.parse(text)! }

/// A name the test knows to be valid; an invalid one is a bug in the test.
func name(_ text: String) -> AccountName { try! AccountName(validating: text) }

enum Fixture {
    /// Ids that sort in the order of `n` (PostgreSQL compares uuids bytewise).
    static func company(_ n: Int) -> CompanyID { CompanyID(uuid(prefix: "c", n)) }
    static func user(_ n: Int) -> UserID { UserID(uuid(prefix: "a", n)) }

    private static func uuid(prefix: Character, _ n: Int) -> UUID {
        let digits = String(n)
        let tail = String(repeating: "0", count: 12 - digits.count) + digits
        return UUID(uuidString: "\(prefix)0000000-0000-4000-8000-\(tail)")!
    }
}

/// Builds the log the projections read: every appended event gets the next
/// position and its stream's next version, encoded by the domain's codecs.
struct EventLog {
    private(set) var events: [RecordedEvent] = []
    private var versions: [StreamName: Int] = [:]

    mutating func append(_ event: Company.Event, to company: CompanyID) {
        append(try! Company.codec.encode(event), to: Company.stream(company), at: event.at)
    }

    mutating func append(_ event: User.Event, to user: UserID) {
        append(try! User.codec.encode(event), to: User.stream(user), at: event.at)
    }

    private mutating func append(_ encoded: EncodedEvent, to stream: StreamName, at: Date) {
        let version = versions[stream, default: 0] + 1
        versions[stream] = version
        let position = Int64(events.count + 1)
        events.append(RecordedEvent(
            position: LogPosition(transactionID: UInt64(position) + 1000, globalPosition: position),
            stream: stream, streamVersion: version, event: encoded,
            metadata: EventMetadata(commandID: UUID(), correlationID: "test", causationID: "test"),
            recordedAt: at))
    }

    /// Events appended since `mark` (an earlier `events.count`).
    func since(_ mark: Int) -> [RecordedEvent] { Array(events[mark...]) }
}

let users = UsersProjection()
let companies = CompaniesProjection()

/// Applies `events` through each projection, each in its own transaction as
/// the projector does: all of them in one batch.
func project(_ events: [RecordedEvent], through projections: [any ReadModelProjection] = ProjectionRegistry.accounts.all(),
             on connection: Connection) async throws {
    for projection in projections {
        try await connection.withTransaction { try await projection.apply(events, on: $0) }
    }
}

/// A fresh migrated database and a connection to it, closed afterwards.
func withConnection<T>(_ body: (Connection) async throws -> T) async throws -> T {
    try await TestDatabase.withMigrated { database in
        let connection = try await database.connect()
        do {
            let value = try await body(connection)
            await connection.close()
            return value
        } catch {
            await connection.close()
            throw error
        }
    }
}

/// JSON as the services send it, keys sorted so tests can compare text.
func json(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// Every row of `schema.table`, as JSON text in a fixed order: equal dumps
/// mean equal tables.
func dump(_ table: String, in schema: String, on connection: Connection) async throws -> String {
    let qualified = quoteIdentifier(schema) + "." + quoteIdentifier(table)
    let result = try await connection.query(SQL(unsafeRaw: """
        SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]')::text FROM \(qualified) AS t
        """))
    return try result[0].decode(String.self, at: 0)
}

func count(_ table: String, in schema: String = "public", on connection: Connection) async throws -> Int {
    let qualified = quoteIdentifier(schema) + "." + quoteIdentifier(table)
    return try await connection.query(SQL(unsafeRaw: "SELECT count(*) FROM \(qualified)"))[0].decode(Int.self, at: 0)
}

/// The contents of every table of `registry`'s projections in `schema`.
func snapshot(of registry: ProjectionRegistry = .accounts, _ schema: String = "public",
              on connection: Connection) async throws -> [String: String] {
    var tables: [String: String] = [:]
    for table in registry.all().flatMap(\.tables) { tables[table] = try await dump(table, in: schema, on: connection) }
    return tables
}
