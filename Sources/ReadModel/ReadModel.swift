import EventSourcing
import LibPQ

// Read tables and their queries: the projector writes them through
// `ReadModelProjection`s, the query service reads them through `ShopQueries`.

/// One projection of the event log into read tables.
///
/// A projection reads and writes only its own tables (`tables`), because each
/// projection has its own checkpoint and may be ahead of or behind another.
public protocol ReadModelProjection: Sendable {
    /// Stable name, also the projection_checkpoints row name: "orders", "customers", "daily_sales".
    var name: String { get }
    /// The tables this projection owns (for rebuilds), unqualified.
    var tables: [String] { get }
    /// Applies `events` (already in log order) inside the caller's open transaction on `connection`.
    /// Throws if any event cannot be applied (undecodable data, constraint violation…); the caller rolls back.
    func apply(_ events: [RecordedEvent], on connection: Connection) async throws
}

extension ReadModelProjection {
    /// Creates this projection's tables and indexes in `schema`, through the
    /// SQL function the migrations define for it,
    /// `<name>_projection_create_tables` (see `ReadModelSchema`).
    public func createTables(in schema: String, on connection: Connection) async throws {
        try await ReadModelSchema.createTables(function: "\(name)_projection_create_tables", in: schema, on: connection)
    }
}

/// The shop's projections.
public enum ShopProjections {
    /// The projections' names, in the order `all` returns them.
    public static let names = [OrdersProjection.name, CustomersProjection.name, DailySalesProjection.name]

    /// Every projection, writing to tables in `schema`.
    public static func all(schema: String = "public") -> [any ReadModelProjection] {
        [OrdersProjection(schema: schema), CustomersProjection(schema: schema), DailySalesProjection(schema: schema)]
    }

    /// The projection called `name`, writing to tables in `schema`; nil for an unknown name.
    public static func projection(named name: String, schema: String = "public") -> (any ReadModelProjection)? {
        all(schema: schema).first { $0.name == name }
    }

    /// Creates the tables and indexes of the projection called `name` in
    /// `schema` (created if missing), exactly as migrations made them in
    /// `public`. Throws `ReadModelSchemaError.unknownProjection` for an unknown name.
    public static func createTables(forProjection name: String, in schema: String,
                                    on connection: Connection) async throws {
        guard let projection = projection(named: name) else { throw ReadModelSchemaError.unknownProjection(name) }
        try await projection.createTables(in: schema, on: connection)
    }

    /// Creates every projection's tables in `schema`.
    public static func createAllTables(in schema: String, on connection: Connection) async throws {
        for name in names { try await createTables(forProjection: name, in: schema, on: connection) }
    }
}
