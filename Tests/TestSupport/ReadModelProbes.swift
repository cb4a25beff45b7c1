public import EventSourcing
import Foundation
public import LibPQ
public import ReadModel

// What a context's projection tests share: a database to apply events to,
// and ways to compare what the projections wrote.

/// A fresh migrated database and a connection to it, closed afterwards.
public func withConnection<T>(_ body: (Connection) async throws -> T) async throws -> T {
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

/// Applies `events` through each projection, each in its own transaction as
/// the projector does: all of them in one batch.
public func project(_ events: [RecordedEvent], through projections: [any ReadModelProjection],
                    on connection: Connection) async throws {
    for projection in projections {
        try await connection.withTransaction { try await projection.apply(events, on: $0) }
    }
}

/// JSON as the services send it, keys sorted so tests can compare text.
public func json(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// Every row of `schema.table`, as JSON text in a fixed order: equal dumps
/// mean equal tables.
public func dump(_ table: String, in schema: String, on connection: Connection) async throws -> String {
    let qualified = quoteIdentifier(schema) + "." + quoteIdentifier(table)
    let result = try await connection.query(SQL(unsafeRaw: """
        SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]')::text FROM \(qualified) AS t
        """))
    return try result[0].decode(String.self, at: 0)
}

public func count(_ table: String, in schema: String = "public", on connection: Connection) async throws -> Int {
    let qualified = quoteIdentifier(schema) + "." + quoteIdentifier(table)
    return try await connection.query(SQL(unsafeRaw: "SELECT count(*) FROM \(qualified)"))[0].decode(Int.self, at: 0)
}

/// The contents of every table of `registry`'s projections in `schema`, to
/// show that something changed nothing (or that two ways agree).
public func snapshot(of registry: ProjectionRegistry, _ schema: String = "public",
                     on connection: Connection) async throws -> [String: String] {
    var tables: [String: String] = [:]
    for table in registry.all().flatMap(\.tables) { tables[table] = try await dump(table, in: schema, on: connection) }
    return tables
}
