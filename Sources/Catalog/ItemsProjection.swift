public import CatalogDomain
public import EventSourcing
public import Foundation
public import LibPQ
public import ReadModel
import Wire

/// Projects items into `items_view`, one row per sku as `GET /items/{sku}`
/// shows it, and keeps `items_count` (how many items there are) for the
/// total of `GET /items`. It owns both tables, and the queries of them are
/// its own functions below, so the table names live here only.
///
/// An item's first event is item.created and a stream appears once per
/// round of a batch (`ProjectionBatch`), so a description change always
/// finds its row.
public struct ItemsProjection: DeclarativeProjection {
    public static let name = "items"
    public static let tableNames = ["items_view", "items_count"]

    public let schema: String
    private let view: String
    private let count: String

    public init(schema: String = "public") {
        self.schema = schema
        view = ReadModelSchema.qualified("items_view", in: schema)
        count = ReadModelSchema.qualified("items_count", in: schema)
    }

    public var name: String { Self.name }
    public var tables: [String] { Self.tableNames }

    public var handlers: [ProjectionHandler] {
        [
            ProjectionHandler("item.created", codec: Item.codec, row: { event, recorded in
                guard case let .created(sku, description, at) = event else { return nil }
                return ["sku": .string(sku.value), "item_stream": .id(recorded.stream.id),
                        "description": .string(description.value), "at": .time(at),
                        "version": .int(recorded.streamVersion)]
            }, write: created),
            ProjectionHandler("item.description_changed", codec: Item.codec, row: { event, recorded in
                guard case let .descriptionChanged(description, at) = event else { return nil }
                return ["item_stream": .id(recorded.stream.id), "description": .string(description.value),
                        "at": .time(at), "version": .int(recorded.streamVersion)]
            }, write: descriptionChanged),
        ]
    }

    private func created(_ rows: String) -> SQL {
        """
        WITH e AS (
            SELECT * FROM jsonb_to_recordset(\(rows)::jsonb) AS e(
                sku text, item_stream uuid, description text, at timestamptz, version int)
        ), counted AS (
            INSERT INTO \(unsafeRaw: count) AS c (singleton, items) SELECT true, count(*) FROM e
            ON CONFLICT (singleton) DO UPDATE SET items = c.items + excluded.items
        )
        INSERT INTO \(unsafeRaw: view) (sku, item_stream, description, created_at, updated_at, version)
        SELECT sku, item_stream, description, at, at, version FROM e
        """
    }

    /// The event names only its stream (its data has no sku): the row is
    /// found by the stream id kept beside the sku.
    private func descriptionChanged(_ rows: String) -> SQL {
        """
        UPDATE \(unsafeRaw: view) AS v SET description = e.description, updated_at = e.at, version = e.version
        FROM jsonb_to_recordset(\(rows)::jsonb) AS e(item_stream uuid, description text, at timestamptz, version int)
        WHERE v.item_stream = e.item_stream
        """
    }
}

// MARK: Queries

extension ItemsProjection {
    /// The item, or nil if this projection has not seen its sku.
    public func item(_ sku: ItemSku, on connection: Connection) async throws -> ItemView? {
        try await ViewLookup.row(Self.columns, of: view, key: "sku", equals: sku.value, on: connection, ItemView.init(row:))
    }

    /// Items by sku in byte order (the column is COLLATE "C"), with the
    /// total, from one statement and so one snapshot; served by the primary
    /// key's index.
    public func items(page: Int, pageSize: Int, on connection: Connection) async throws -> Page<ItemView> {
        let rows = try await connection.query(PageStatement.make(
            columns: Self.columns, from: view, orderBy: ["sku"],
            total: .counter("SELECT coalesce((SELECT items FROM \(unsafeRaw: count)), 0) AS n"),
            page: page, pageSize: pageSize))
        return try Page(rows: rows, page: page, pageSize: pageSize, key: "sku", item: ItemView.init(row:))
    }

    static let columns = "sku, description, created_at, updated_at, version"
}

/// `GET /items/{sku}`, and an item of `GET /items`:
/// `{"sku", "description", "created_at", "updated_at", "version"}`.
public struct ItemView: Equatable, Sendable, Encodable {
    public var sku: String
    public var description: String
    public var createdAt: Date
    public var updatedAt: Date
    /// The item stream's version after the last event applied.
    public var version: Int

    init(row: Row) throws {
        sku = try row.decode(String.self, named: "sku")
        description = try row.decode(String.self, named: "description")
        createdAt = try row.decode(Date.self, named: "created_at")
        updatedAt = try row.decode(Date.self, named: "updated_at")
        version = try row.decode(Int.self, named: "version")
    }

    enum CodingKeys: String, CodingKey {
        case sku, description, createdAt = "created_at", updatedAt = "updated_at", version
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sku, forKey: .sku)
        try container.encode(description, forKey: .description)
        try container.encode(Timestamp.format(createdAt), forKey: .createdAt)
        try container.encode(Timestamp.format(updatedAt), forKey: .updatedAt)
        try container.encode(version, forKey: .version)
    }
}
