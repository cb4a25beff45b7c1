public import CatalogDomain
import EventSourcing
public import QueryService
public import ReadModel

/// `GET /items/{sku}`.
public struct GetItem: ViewQuery {
    public typealias Answer = ItemView?
    public static let projections = [ItemsProjection.name]
    public var sku: ItemSku
}

/// `GET /items`.
public struct ListItems: ViewQuery {
    public typealias Answer = Page<ItemView>
    public static let projections = [ItemsProjection.name]
    public var page: Int
    public var pageSize: Int
}

extension Catalog: ProjectionModule {
    public static func projections(schema: String) -> [any ReadModelProjection] {
        [ItemsProjection(schema: schema)]
    }
}

/// The catalog's query routes (API.md "Catalog: items"), answered by the
/// items projection's own queries.
extension Catalog: QueryModule {
    public static func registerQueries(on routes: QueryRoutes) {
        let items = ItemsProjection()
        routes.get("/items/:sku", named: "item") { _, path in
            // A segment that cannot be a sku names no item: a 404.
            path.parameter("sku").flatMap(ItemSku.init).map { GetItem(sku: $0) }
        } answer: { query, context in
            try await items.item(query.sku, on: context.connection)
        }
        routes.get("/items") { parameters, _ in
            let (page, pageSize) = parameters.pagination()
            return ListItems(page: page, pageSize: pageSize)
        } answer: { query, context in
            try await items.items(page: query.page, pageSize: query.pageSize, on: context.connection)
        }
    }
}
