import LibPQ
public import ReadModel

extension Accounts: ProjectionModule {
    public static func projections(schema: String) -> [any ReadModelProjection] {
        [UsersProjection(schema: schema), CompaniesProjection(schema: schema)]
    }
}

extension ProjectionRegistry {
    /// The accounts' projections alone.
    public static let accounts = ProjectionRegistry([Accounts.self])
}
