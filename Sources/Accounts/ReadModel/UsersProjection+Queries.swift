public import AccountsDomain
import Foundation
public import LibPQ
public import ReadModel

/// The user queries, over this projection's tables. Each runs one statement
/// on the connection the caller lends, so a page and its total come from one
/// snapshot.
///
/// Lists are served by indexes (see the migration and the EXPLAIN tests):
/// all users by `users_view_by_name`, one company's by
/// `users_view_by_company`. The unfiltered total is `users_count`; one
/// company's counts its rows through the company index.
extension UsersProjection {
    /// The user, or nil if this projection has not seen it.
    public func user(id: UserID, on connection: Connection) async throws -> UserView? {
        try await ViewLookup.row(Self.columns, of: view, key: "user_id", equals: id.uuid, on: connection, UserView.init(row:))
    }

    /// Users by name (code point order), then id; only one company's when
    /// `companyID` is given.
    public func users(companyID: CompanyID?, page: Int, pageSize: Int, on connection: Connection) async throws
        -> Page<UserView> {
        let rows = try await connection.query(usersStatement(companyID: companyID, page: page, pageSize: pageSize))
        return try Page(rows: rows, page: page, pageSize: pageSize, key: "user_id", item: UserView.init(row:))
    }

    static let columns = "user_id, name, email, company_id, company_name, created_at, updated_at, version"

    /// Internal for the EXPLAIN tests.
    func usersStatement(companyID: CompanyID?, page: Int, pageSize: Int) -> SQL {
        let order = ["name", "user_id"]
        guard let companyID else {
            return PageStatement.make(
                columns: Self.columns, from: view, orderBy: order,
                total: .counter("SELECT coalesce((SELECT users FROM \(unsafeRaw: count)), 0) AS n"),
                page: page, pageSize: pageSize)
        }
        return PageStatement.make(columns: Self.columns, from: view, where: "company_id = \(companyID.uuid)",
                                  orderBy: order, total: .countingMatches, page: page, pageSize: pageSize)
    }
}

extension UserView {
    init(row: Row) throws {
        try self.init(userID: UserID(row.decode(UUID.self, named: "user_id")),
                      name: row.decode(String.self, named: "name"),
                      email: row.decode(String.self, named: "email"),
                      companyID: row.decode(UUID?.self, named: "company_id").map(CompanyID.init),
                      companyName: row.decode(String?.self, named: "company_name"),
                      createdAt: row.decode(Date.self, named: "created_at"),
                      updatedAt: row.decode(Date.self, named: "updated_at"),
                      version: row.decode(Int.self, named: "version"))
    }
}
