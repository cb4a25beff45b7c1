public import LibPQ

/// Where the read tables' DDL lives, and how a rebuild gets the same tables
/// in another schema.
///
/// ## One source of DDL
///
/// The DDL is written once, in `migrations/0003_read_models.sql`, as one SQL
/// function per projection (`orders_projection_create_tables(target_schema)`,
/// …) that creates that projection's tables and indexes in the schema it is
/// given. The migration calls them for `public`; `createTables(in:on:)` calls
/// the same function for any other schema. We chose this over keeping DDL text
/// in Swift and repeating it in the migration because:
/// - nothing is written twice, so nothing can drift;
/// - the function is versioned with the schema itself: a later change of a
///   read table is a new migration that alters the `public` tables and
///   replaces the function in one transaction, so a rebuild always creates the
///   shape the database is at, even when this binary is older or newer
///   (a Swift copy could only match one migration level);
/// - migrations stay plain SQL files applied by the migrator, readable by
///   other tools.
/// The schema name is a bound parameter; the functions quote it with
/// `format('%I')`. The only duplication left is each projection's list of table
/// names (`tables`), which a test checks against what the function creates.
public enum ReadModelSchema {
    public static func createTables(function: String, in schema: String, on connection: Connection) async throws {
        // `function` is derived from a projection's name, never from input;
        // quoted all the same.
        try await connection.query("SELECT \(unsafeRaw: quoteIdentifier(function))(\(schema))")
    }

    /// `ANALYZE` of `tables` (qualified, as `qualified` gives them).
    ///
    /// Read tables start empty and grow by thousands of rows a second while
    /// the projector catches up, long before autovacuum's first look at
    /// them (a minute, then every 10% of growth): until then the planner
    /// takes them for a few pages, and a join against the batch's rows
    /// on a secondary key (the rows sharing a parent's id) stays a
    /// sequential scan of a table that is no longer small.
    public static func analyze(_ tables: [String], on connection: Connection) async throws {
        guard !tables.isEmpty else { return }
        try await connection.query(SQL(unsafeRaw: "ANALYZE " + tables.joined(separator: ", ")))
    }

    /// `schema.table`, quoted for splicing into SQL text.
    public static func qualified(_ table: String, in schema: String) -> String {
        quoteIdentifier(schema) + "." + quoteIdentifier(table)
    }
}

public enum ReadModelSchemaError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownProjection(String)

    public var description: String {
        switch self {
        case .unknownProjection(let name): "no projection is named \"\(name)\""
        }
    }
}
