import Accounts
import AccountsDomain
import EventSourcing
import Foundation
import LibPQ
import ReadModel
import TestSupport
import Testing
import Wire

@Suite("Account lists and the dashboard: ordering, paging, filters, totals")
struct ListQueryTests {
    static let t0 = time("2026-11-24T09:00:00.000Z")

    /// Companies 1–4 ("Globex", "acme", "Acme", "Acme": code point order puts
    /// upper case first, equal names go by id), 1 and 3 active; users 1–7 by
    /// the names below, in companies 3, 3, 1, 3, none, 1, none.
    static func accounts() -> EventLog {
        var log = EventLog()
        for (n, label) in [(1, "Globex"), (2, "acme"), (3, "Acme"), (4, "Acme")] {
            log.append(.created(name: name(label), at: t0), to: Fixture.company(n))
        }
        log.append(.activated(at: t0), to: Fixture.company(1))
        log.append(.activated(at: t0), to: Fixture.company(3))
        let people: [(String, Int?)] = [("zoë", 3), ("Ada", 3), ("Élodie", 1), ("Bob", 3), ("Ada", nil), ("Zed", 1),
                                        ("ada", nil)]
        for (index, (label, company)) in people.enumerated() {
            log.append(.created(name: name(label), email: Email("u\(index + 1)@example.org")!,
                                company: company.map(Fixture.company), at: t0), to: Fixture.user(index + 1))
        }
        return log
    }

    @Test func usersByNameThenIdAcrossPages() async throws {
        try await withConnection { connection in
            try await project(Self.accounts().events, on: connection)
            let all = try await users.users(companyID: nil, page: 1, pageSize: 100, on: connection)
            #expect(all.total == 7)
            #expect(all.items.map(\.name) == ["Ada", "Ada", "Bob", "Zed", "ada", "zoë", "Élodie"])
            #expect(all.items.prefix(2).map(\.userID) == [Fixture.user(2), Fixture.user(5)])

            var seen: [UserID] = []
            for page in 1...3 {
                let result = try await users.users(companyID: nil, page: page, pageSize: 3, on: connection)
                #expect(result.total == 7 && result.page == page && result.pageSize == 3)
                seen += result.items.map(\.userID)
            }
            #expect(seen == all.items.map(\.userID))

            let past = try await users.users(companyID: nil, page: 4, pageSize: 3, on: connection)
            #expect(past == Page(items: [], page: 4, pageSize: 3, total: 7))
            #expect(try json(past) == #"{"items":[],"page":4,"page_size":3,"total":7}"#)
            let farPast = try await users.users(companyID: nil, page: .max, pageSize: 100, on: connection)
            #expect(farPast.items.isEmpty && farPast.total == 7)

            let first = try await users.users(companyID: nil, page: 1, pageSize: 1, on: connection)
            #expect(try json(first) == """
                {"items":[{"company_id":"c0000000-0000-4000-8000-000000000003","company_name":"Acme",\
                "created_at":"2026-11-24T09:00:00.000Z","email":"u2@example.org","name":"Ada",\
                "updated_at":"2026-11-24T09:00:00.000Z","user_id":"a0000000-0000-4000-8000-000000000002",\
                "version":1}],"page":1,"page_size":1,"total":7}
                """)
        }
    }

    @Test func usersOfOneCompany() async throws {
        try await withConnection { connection in
            try await project(Self.accounts().events, on: connection)
            let three = try await users.users(companyID: Fixture.company(3), page: 1, pageSize: 100, on: connection)
            #expect(three.total == 3)
            #expect(three.items.map(\.name) == ["Ada", "Bob", "zoë"])
            #expect(three.items.allSatisfy { $0.companyID == Fixture.company(3) && $0.companyName == "Acme" })
            let second = try await users.users(companyID: Fixture.company(3), page: 2, pageSize: 2, on: connection)
            #expect(second.items.map(\.name) == ["zoë"] && second.total == 3)
            let past = try await users.users(companyID: Fixture.company(3), page: 3, pageSize: 2, on: connection)
            #expect(past == Page(items: [], page: 3, pageSize: 2, total: 3))
            let one = try await users.users(companyID: Fixture.company(1), page: 1, pageSize: 100, on: connection)
            #expect(one.items.map(\.name) == ["Zed", "Élodie"] && one.total == 2)
            let none = try await users.users(companyID: Fixture.company(2), page: 1, pageSize: 100, on: connection)
            #expect(none == Page(items: [], page: 1, pageSize: 100, total: 0))
            let unknown = try await users.users(companyID: Fixture.company(99), page: 1, pageSize: 100, on: connection)
            #expect(unknown == Page(items: [], page: 1, pageSize: 100, total: 0))
        }
    }

    @Test func companiesByNameThenIdWithTheActiveFilter() async throws {
        try await withConnection { connection in
            try await project(Self.accounts().events, on: connection)
            func names(_ active: Bool?, page: Int = 1, pageSize: Int = 100) async throws -> (total: Int, ids: [Int]) {
                let result = try await companies.companies(active: active, page: page, pageSize: pageSize, on: connection)
                return (result.total, result.items.map { Int($0.companyID.description.suffix(12))! })
            }
            #expect(try await names(nil) == (4, [3, 4, 1, 2]))
            #expect(try await names(true) == (2, [3, 1]))
            #expect(try await names(false) == (2, [4, 2]))
            #expect(try await names(nil, page: 2, pageSize: 3) == (4, [2]))
            #expect(try await names(nil, page: 3, pageSize: 3) == (4, []))
            #expect(try await names(false, page: 2, pageSize: 1) == (2, [2]))
            #expect(try await names(true, page: 5, pageSize: 1) == (2, []))

            let first = try await companies.companies(active: true, page: 1, pageSize: 1, on: connection)
            #expect(try json(first) == """
                {"items":[{"active":true,"company_id":"c0000000-0000-4000-8000-000000000003",\
                "created_at":"2026-11-24T09:00:00.000Z","name":"Acme","updated_at":"2026-11-24T09:00:00.000Z",\
                "user_count":3,"version":2}],"page":1,"page_size":1,"total":2}
                """)
        }
    }

    @Test func dashboardMostUsersFirstThenNameThenId() async throws {
        try await withConnection { connection in
            try await project(Self.accounts().events, on: connection)
            let dashboard = try await companies.dashboard(on: connection)
            // Company 3 has three users, 1 two; 4 and 2 none ("Acme" before "acme").
            #expect(try json(dashboard) == """
                {"companies":[\
                {"active":true,"company_id":"c0000000-0000-4000-8000-000000000003","name":"Acme","user_count":3},\
                {"active":true,"company_id":"c0000000-0000-4000-8000-000000000001","name":"Globex","user_count":2},\
                {"active":false,"company_id":"c0000000-0000-4000-8000-000000000004","name":"Acme","user_count":0},\
                {"active":false,"company_id":"c0000000-0000-4000-8000-000000000002","name":"acme","user_count":0}],\
                "totals":{"active_companies":2,"companies":4,"users":7,"users_without_company":2}}
                """)
        }
    }

    @Test func emptyTablesGiveEmptyAnswers() async throws {
        try await withConnection { connection in
            let all = try await users.users(companyID: nil, page: 1, pageSize: 20, on: connection)
            #expect(all == Page(items: [], page: 1, pageSize: 20, total: 0))
            for active in [nil, true, false] as [Bool?] {
                let page = try await companies.companies(active: active, page: 1, pageSize: 20, on: connection)
                #expect(page == Page(items: [], page: 1, pageSize: 20, total: 0))
            }
            let dashboard = try await companies.dashboard(on: connection)
            #expect(try json(dashboard) == """
                {"companies":[],"totals":{"active_companies":0,"companies":0,"users":0,"users_without_company":0}}
                """)
        }
    }
}
