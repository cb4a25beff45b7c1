public import EventSourcing
public import LibPQ

// Read tables: the projector writes them through the contexts'
// `ReadModelProjection`s; each context's own queries read them.

/// One projection of the event log into read tables.
///
/// A projection reads and writes only its own tables (`tables`), because each
/// projection has its own checkpoint and may be ahead of or behind another.
public protocol ReadModelProjection: Sendable {
    /// Stable name, also the projection_checkpoints row name.
    var name: String { get }
    /// The tables this projection owns (for rebuilds), unqualified.
    var tables: [String] { get }
    /// The schema those tables are in (`public`, or a rebuild's own).
    var schema: String { get }
    /// Applies `events` (already in log order) inside the caller's open transaction on `connection`.
    /// Throws if any event cannot be applied (undecodable data, constraint violation…); the caller rolls back.
    func apply(_ events: [RecordedEvent], on connection: Connection) async throws
    /// The stored event types `apply` can change anything for, or nil when
    /// it must see every event. A rebuild reads only these from the log.
    var eventTypes: [String]? { get }
}

extension ReadModelProjection {
    public var eventTypes: [String]? { nil }

    /// The part of the log `apply` needs.
    public var eventFilter: EventFilter { eventTypes.map { EventFilter(eventTypes: $0) } ?? .everything }

    /// Creates this projection's tables and indexes in `schema`, through the
    /// SQL function the migrations define for it,
    /// `<name>_projection_create_tables` (see `ReadModelSchema`).
    public func createTables(in schema: String, on connection: Connection) async throws {
        try await ReadModelSchema.createTables(function: "\(name)_projection_create_tables", in: schema, on: connection)
    }

    /// Refreshes the planner's statistics of this projection's tables (see
    /// `ReadModelSchema.analyze`).
    public func analyzeTables(on connection: Connection) async throws {
        try await ReadModelSchema.analyze(tables.map { ReadModelSchema.qualified($0, in: schema) }, on: connection)
    }
}

/// A bounded context's projections. The projector, `chronicle-admin` and
/// the query service take them from the contexts their executable lists.
public protocol ProjectionModule {
    /// Every projection of the context, writing to tables in `schema`.
    static func projections(schema: String) -> [any ReadModelProjection]
}

/// The projections of the contexts a process serves, found by name.
public struct ProjectionRegistry: Sendable {
    private let contexts: [@Sendable (String) -> [any ReadModelProjection]]
    /// The projections' names, in the order `all` returns them.
    public let names: [String]

    public init(_ contexts: [any ProjectionModule.Type]) {
        self.contexts = contexts.map { context in { schema in context.projections(schema: schema) } }
        names = self.contexts.flatMap { $0("public") }.map(\.name)
    }

    /// Every projection, writing to tables in `schema`.
    public func all(schema: String = "public") -> [any ReadModelProjection] {
        contexts.flatMap { $0(schema) }
    }

    /// The projection called `name`, writing to tables in `schema`; nil for an unknown name.
    public func projection(named name: String, schema: String = "public") -> (any ReadModelProjection)? {
        all(schema: schema).first { $0.name == name }
    }

    /// Creates the tables and indexes of the projection called `name` in
    /// `schema` (created if missing), exactly as migrations made them in
    /// `public`. Throws `ReadModelSchemaError.unknownProjection` for an unknown name.
    public func createTables(forProjection name: String, in schema: String, on connection: Connection) async throws {
        guard let projection = projection(named: name) else { throw ReadModelSchemaError.unknownProjection(name) }
        try await projection.createTables(in: schema, on: connection)
    }

    /// Creates every projection's tables in `schema`.
    public func createAllTables(in schema: String, on connection: Connection) async throws {
        for name in names { try await createTables(forProjection: name, in: schema, on: connection) }
    }
}
