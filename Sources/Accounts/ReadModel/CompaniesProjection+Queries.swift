public import AccountsDomain
import Foundation
public import LibPQ
public import ReadModel

/// The company queries, over this projection's tables. Each runs one
/// statement on the connection the caller lends, so what it returns (a page
/// and its total, the dashboard's rows and totals) comes from one snapshot.
///
/// Lists are served by indexes (see the migration and the EXPLAIN tests):
/// all companies by `companies_view_by_name`, the active or the inactive
/// ones by `companies_view_by_active`; totals come from `companies_totals`.
/// The dashboard shows every company, so it reads the whole table and sorts
/// it: an index on `user_count` would serve no fewer rows, and would turn
/// every move into an index update.
extension CompaniesProjection {
    /// The company, or nil if this projection has not seen it.
    public func company(id: CompanyID, on connection: Connection) async throws -> CompanyView? {
        try await ViewLookup.row(Self.columns, of: view, key: "company_id", equals: id.uuid, on: connection, CompanyView.init(row:))
    }

    /// Companies by name (code point order), then id; only the active (or
    /// the inactive) ones when `active` is given.
    public func companies(active: Bool?, page: Int, pageSize: Int, on connection: Connection) async throws
        -> Page<CompanyView> {
        let rows = try await connection.query(companiesStatement(active: active, page: page, pageSize: pageSize))
        return try Page(rows: rows, page: page, pageSize: pageSize, key: "company_id", item: CompanyView.init(row:))
    }

    /// Every company, most users first, then by name, then id; and the totals.
    public func dashboard(on connection: Connection) async throws -> CompanyDashboard {
        let rows = try await connection.query(dashboardStatement())
        var companies: [CompanyDashboard.Entry] = []
        for row in rows where try !row.isNull(named: "company_id") {
            companies.append(try CompanyDashboard.Entry(
                companyID: CompanyID(row.decode(UUID.self, named: "company_id")),
                name: row.decode(String.self, named: "name"),
                active: row.decode(Bool.self, named: "active"),
                userCount: row.decode(Int.self, named: "user_count")))
        }
        // The totals are on every row, also on the only one when there are no companies.
        guard let first = rows.first else {
            throw PostgresError(kind: .decoding, message: "the dashboard statement returned no row")
        }
        return CompanyDashboard(companies: companies, totals: try CompanyDashboard.Totals(
            companies: first.decode(Int.self, named: "companies"),
            activeCompanies: first.decode(Int.self, named: "active_companies"),
            users: first.decode(Int.self, named: "users"),
            usersWithoutCompany: first.decode(Int.self, named: "users_without_company")))
    }

    static let columns = "company_id, name, active, user_count, created_at, updated_at, version"

    /// Internal for the EXPLAIN tests.
    func companiesStatement(active: Bool?, page: Int, pageSize: Int) -> SQL {
        let total = switch active {
        case nil: "companies"
        case true?: "active_companies"
        case false?: "companies - active_companies"
        }
        return PageStatement.make(
            columns: Self.columns, from: view, where: active.map { active -> SQL in "active = \(active)" },
            orderBy: ["name", "company_id"],
            total: .counter("SELECT coalesce((SELECT \(unsafeRaw: total) FROM \(unsafeRaw: totals)), 0) AS n"),
            page: page, pageSize: pageSize)
    }

    /// The totals as one row (zeros before the first event: an aggregate
    /// over the at most one row of `companies_totals`), left-joined to every
    /// company.
    func dashboardStatement() -> SQL {
        """
        SELECT t.companies, t.active_companies, t.users, t.users_without_company,
               c.company_id, c.name, c.active, c.user_count
        FROM (SELECT coalesce(max(companies), 0) AS companies, coalesce(max(active_companies), 0) AS active_companies,
                     coalesce(max(users), 0) AS users, coalesce(max(users_without_company), 0) AS users_without_company
              FROM \(unsafeRaw: totals)) AS t
        LEFT JOIN \(unsafeRaw: view) AS c ON true
        ORDER BY c.user_count DESC, c.name, c.company_id
        """
    }
}

extension CompanyView {
    init(row: Row) throws {
        try self.init(companyID: CompanyID(row.decode(UUID.self, named: "company_id")),
                      name: row.decode(String.self, named: "name"),
                      active: row.decode(Bool.self, named: "active"),
                      userCount: row.decode(Int.self, named: "user_count"),
                      createdAt: row.decode(Date.self, named: "created_at"),
                      updatedAt: row.decode(Date.self, named: "updated_at"),
                      version: row.decode(Int.self, named: "version"))
    }
}
