public import EventSourcing
import Foundation
public import LibPQ
public import ReadModel
public import Testing

/// The checks every context's projections must pass on a real database,
/// whatever their tables: one DDL source for the migration and a rebuild's
/// schema, and batching that changes nothing.
public enum ProjectionChecks {
    /// Columns, indexes, constraints and storage options of `schema.table`,
    /// with the schema name left out so two schemas compare equal.
    public static func shape(of table: String, in schema: String, on connection: Connection) async throws -> String {
        let result = try await connection.query("""
            SELECT jsonb_build_object(
                'columns', (SELECT jsonb_agg(jsonb_build_array(a.attname, format_type(a.atttypid, a.atttypmod),
                                                               a.attnotnull, a.attcollation::regcollation::text)
                                             ORDER BY a.attnum)
                            FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
                'indexes', (SELECT jsonb_agg(replace(pg_get_indexdef(i.indexrelid),
                                                     ' ON ' || quote_ident(n.nspname) || '.', ' ON ')
                                             ORDER BY i.indexrelid::regclass::text)
                            FROM pg_index i WHERE i.indrelid = c.oid),
                'constraints', (SELECT jsonb_agg(jsonb_build_array(k.conname, pg_get_constraintdef(k.oid))
                                                 ORDER BY k.conname)
                                FROM pg_constraint k WHERE k.conrelid = c.oid),
                'options', c.reloptions)::text
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = \(schema) AND c.relname = \(table)
            """)
        return try #require(result.first).decode(String.self, at: 0)
    }

    public static func tables(in schema: String, on connection: Connection) async throws -> Set<String> {
        let result = try await connection.query("""
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = \(schema) AND c.relkind = 'r'
            """)
        return Set(try result.map { try $0.decode(String.self, at: 0) })
    }

    /// A rebuild's tables (made by the projection's create-tables function
    /// in another schema) have exactly the migration's shape.
    public static func expectCreateTablesMatchesTheMigration(_ name: String, of registry: ProjectionRegistry,
                                                             on connection: Connection,
                                                             sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let projection = try #require(registry.projection(named: name), sourceLocation: sourceLocation)
        let schema = "rebuild \"\(name)\""  // needs quoting
        try await registry.createTables(forProjection: name, in: schema, on: connection)
        #expect(try await tables(in: schema, on: connection) == Set(projection.tables), sourceLocation: sourceLocation)
        for table in projection.tables {
            let original = try await shape(of: table, in: "public", on: connection)
            let copy = try await shape(of: table, in: schema, on: connection)
            #expect(copy == original, "\(table)", sourceLocation: sourceLocation)
            #expect(original.contains("\"indexes\""), sourceLocation: sourceLocation)
        }
    }

    /// `events` applied in one batch and, per projection, in random batches
    /// of 1 to 40 give the same tables, none of them empty.
    public static func expectFromScratchEqualsIncremental(_ events: [RecordedEvent], seed: UInt64, of registry: ProjectionRegistry,
                                                          on connection: Connection,
                                                          sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await registry.createAllTables(in: "whole", on: connection)
        try await registry.createAllTables(in: "pieces", on: connection)
        try await project(events, through: registry.all(schema: "whole"), on: connection)
        var rng = SplitMix64(state: seed &* 31)
        for projection in registry.all(schema: "pieces") {
            var start = 0
            while start < events.count {
                let end = min(events.count, start + Int.random(in: 1...40, using: &rng))
                try await project(Array(events[start..<end]), through: [projection], on: connection)
                start = end
            }
        }
        for table in registry.all().flatMap(\.tables) {
            let whole = try await dump(table, in: "whole", on: connection)
            let pieces = try await dump(table, in: "pieces", on: connection)
            #expect(whole == pieces, "\(table) differs (seed \(seed))", sourceLocation: sourceLocation)
            #expect(whole != "[]", "\(table) is empty (seed \(seed))", sourceLocation: sourceLocation)
        }
    }

    /// A rebuild may empty the tables and replay the log: the same tables
    /// come back (counters included, as they need no seeded rows).
    public static func expectTruncateAndReplayGivesTheSameTables(_ events: [RecordedEvent], of registry: ProjectionRegistry,
                                                                 on connection: Connection,
                                                                 sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await project(events, through: registry.all(), on: connection)
        let before = try await snapshot(of: registry, on: connection)
        let tables = registry.all().flatMap(\.tables).map { "public." + quoteIdentifier($0) }.joined(separator: ", ")
        try await connection.execute(unsafeScript: "TRUNCATE \(tables)")
        try await project(events, through: registry.all(), on: connection)
        #expect(try await snapshot(of: registry, on: connection) == before, sourceLocation: sourceLocation)
    }
}
