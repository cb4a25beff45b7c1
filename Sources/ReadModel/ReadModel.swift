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
        switch name {
        case OrdersProjection.name: try await OrdersProjection.createTables(in: schema, on: connection)
        case CustomersProjection.name: try await CustomersProjection.createTables(in: schema, on: connection)
        case DailySalesProjection.name: try await DailySalesProjection.createTables(in: schema, on: connection)
        default: throw ReadModelSchemaError.unknownProjection(name)
        }
    }

    /// Creates every projection's tables in `schema`.
    public static func createAllTables(in schema: String, on connection: Connection) async throws {
        for name in names { try await createTables(forProjection: name, in: schema, on: connection) }
    }
}
