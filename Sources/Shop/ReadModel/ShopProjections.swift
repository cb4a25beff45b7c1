import LibPQ
public import ReadModel

extension Shop: ProjectionModule {
    public static func projections(schema: String) -> [any ReadModelProjection] {
        [OrdersProjection(schema: schema), CustomersProjection(schema: schema), DailySalesProjection(schema: schema)]
    }
}

extension ProjectionRegistry {
    /// The shop's projections alone.
    public static let shop = ProjectionRegistry([Shop.self])
}
