public import AccountsDomain
import Foundation
public import QueryService
public import ReadModel

/// `GET /users/{id}`.
public struct GetUser: ViewQuery {
    public typealias Answer = UserView?
    public static let projections = [UsersProjection.name]
    public var id: UserID
}

/// `GET /users`.
public struct ListUsers: ViewQuery {
    public typealias Answer = Page<UserView>
    public static let projections = [UsersProjection.name]
    public var companyID: CompanyID?
    public var page: Int
    public var pageSize: Int
}

/// `GET /companies/{id}`.
public struct GetCompany: ViewQuery {
    public typealias Answer = CompanyView?
    public static let projections = [CompaniesProjection.name]
    public var id: CompanyID
}

/// `GET /companies`.
public struct ListCompanies: ViewQuery {
    public typealias Answer = Page<CompanyView>
    public static let projections = [CompaniesProjection.name]
    /// nil: active or not.
    public var active: Bool?
    public var page: Int
    public var pageSize: Int
}

/// `GET /reports/company-dashboard`.
public struct GetCompanyDashboard: ViewQuery {
    public typealias Answer = CompanyDashboard
    public static let projections = [CompaniesProjection.name]
}

/// The values of `GET /companies?active=`.
enum ActiveFilter: String, CaseIterable {
    case active = "true", inactive = "false"
}

/// The accounts' query routes (API.md "Accounts: companies and their
/// users"), each one statement through the projection whose tables it reads.
extension Accounts: QueryModule {
    public static func registerQueries(on routes: QueryRoutes) {
        let users = UsersProjection(), companies = CompaniesProjection()
        routes.get("/users/:id", named: "user") { _, path in
            path.uuid("id").map { GetUser(id: UserID($0)) }
        } answer: { query, context in
            try await users.user(id: query.id, on: context.connection)
        }
        routes.get("/users") { parameters, _ in
            let company = parameters.uuid("company_id")
            let (page, pageSize) = parameters.pagination()
            return ListUsers(companyID: company.map(CompanyID.init), page: page, pageSize: pageSize)
        } answer: { query, context in
            try await users.users(companyID: query.companyID, page: query.page, pageSize: query.pageSize,
                                  on: context.connection)
        }
        routes.get("/companies/:id", named: "company") { _, path in
            path.uuid("id").map { GetCompany(id: CompanyID($0)) }
        } answer: { query, context in
            try await companies.company(id: query.id, on: context.connection)
        }
        routes.get("/companies") { parameters, _ in
            let active = parameters.oneOf("active", ActiveFilter.self)
            let (page, pageSize) = parameters.pagination()
            return ListCompanies(active: active.map { $0 == .active }, page: page, pageSize: pageSize)
        } answer: { query, context in
            try await companies.companies(active: query.active, page: query.page, pageSize: query.pageSize,
                                          on: context.connection)
        }
        routes.get("/reports/company-dashboard") { _, _ in
            GetCompanyDashboard()
        } answer: { _, context in
            try await companies.dashboard(on: context.connection)
        }
    }
}
