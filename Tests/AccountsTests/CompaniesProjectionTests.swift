import Accounts
import AccountsDomain
import EventSourcing
import Foundation
import LibPQ
import ReadModel
import TestSupport  // Email literals
import Testing
import Wire

@Suite("Companies projection and company lookups")
struct CompaniesProjectionTests {
    let acme = Fixture.company(1), globex = Fixture.company(2), initech = Fixture.company(3)

    let t0 = time("2026-11-24T09:00:00.000Z")

    static func email(_ n: Int) -> Email { Email("u\(n)@example.org")! }

    /// Acme, Globex and Initech, created at `t0`.
    func threeCompanies() -> EventLog {
        var log = EventLog()
        for (company, label) in [(acme, "Acme"), (globex, "Globex"), (initech, "Initech")] {
            log.append(.created(name: name(label), at: t0), to: company)
        }
        return log
    }

    func counts(on connection: Connection) async throws -> [Int] {
        var counts: [Int] = []
        for id in [acme, globex, initech] {
            counts.append(try #require(try await companies.company(id: id, on: connection)).userCount)
        }
        return counts
    }

    @Test func aNewCompanyIsInactiveAndFollowsItsOwnEvents() async throws {
        try await withConnection { connection in
            var log = EventLog()
            log.append(.created(name: name("Acme"), at: time("2026-11-24T09:00:00.123Z")), to: acme)
            try await project(log.events, on: connection)
            #expect(try json(try #require(try await companies.company(id: acme, on: connection))) == """
                {"active":false,"company_id":"c0000000-0000-4000-8000-000000000001",\
                "created_at":"2026-11-24T09:00:00.123Z","name":"Acme","updated_at":"2026-11-24T09:00:00.123Z",\
                "user_count":0,"version":1}
                """)
            #expect(try await companies.company(id: globex, on: connection) == nil)

            var mark = log.events.count
            log.append(.activated(at: time("2026-11-24T10:00:00.000Z")), to: acme)
            log.append(.renamed(name: name("Acme Corp"), at: time("2026-11-24T10:01:00.000Z")), to: acme)
            try await project(log.since(mark), on: connection)
            var view = try #require(try await companies.company(id: acme, on: connection))
            #expect(view.active && view.name == "Acme Corp" && view.version == 3)
            #expect(Timestamp.format(view.updatedAt) == "2026-11-24T10:01:00.000Z")

            mark = log.events.count
            log.append(.deactivated(at: time("2026-11-24T11:00:00.000Z")), to: acme)
            try await project(log.since(mark), on: connection)
            view = try #require(try await companies.company(id: acme, on: connection))
            #expect(!view.active && view.version == 4)
            #expect(Timestamp.format(view.updatedAt) == "2026-11-24T11:00:00.000Z")
            #expect(Timestamp.format(view.createdAt) == "2026-11-24T09:00:00.123Z")
        }
    }

    /// Users created into, moved between and out of companies, one batch at
    /// a time: each company's `user_count` follows, and its version and
    /// `updated_at` (the company stream's own) do not move.
    @Test func userCountFollowsMovesInAndOut() async throws {
        try await withConnection { connection in
            var log = threeCompanies()
            log.append(.created(name: name("U1"), email: Self.email(1), company: acme, at: t0), to: Fixture.user(1))
            log.append(.created(name: name("U2"), email: Self.email(2), company: acme, at: t0), to: Fixture.user(2))
            log.append(.created(name: name("U3"), email: Self.email(3), company: nil, at: t0), to: Fixture.user(3))
            try await project(log.events, on: connection)
            #expect(try await counts(on: connection) == [2, 0, 0])

            let t1 = time("2026-11-24T10:00:00.000Z")
            var mark = log.events.count
            log.append(.companyChanged(globex, at: t1), to: Fixture.user(1))
            try await project(log.since(mark), on: connection)
            #expect(try await counts(on: connection) == [1, 1, 0])

            mark = log.events.count
            log.append(.companyChanged(globex, at: t1), to: Fixture.user(3))
            try await project(log.since(mark), on: connection)
            #expect(try await counts(on: connection) == [1, 2, 0])

            mark = log.events.count
            log.append(.companyChanged(nil, at: t1), to: Fixture.user(2))
            try await project(log.since(mark), on: connection)
            #expect(try await counts(on: connection) == [0, 2, 0])

            for company in [acme, globex, initech] {
                let view = try #require(try await companies.company(id: company, on: connection))
                #expect(view.version == 1 && view.updatedAt == t0)
            }
            let totals = try await companies.dashboard(on: connection).totals
            #expect(totals == CompanyDashboard.Totals(companies: 3, activeCompanies: 0, users: 3, usersWithoutCompany: 1))
        }
    }

    /// One batch in which users cross between the same companies in the
    /// same round (and several join one, one leaves one): the deltas are
    /// summed per company, so the counts equal one event at a time.
    @Test func movesInOneRoundCommute() async throws {
        try await withConnection { connection in
            var log = threeCompanies()
            let t1 = time("2026-11-24T10:00:00.000Z")
            // Users 1–3 in Acme, 4–5 in Globex, 6 in none.
            let start: [CompanyID?] = [acme, acme, acme, globex, globex, nil]
            for (index, company) in start.enumerated() {
                log.append(.created(name: name("U\(index + 1)"), email: Self.email(index + 1), company: company, at: t0),
                           to: Fixture.user(index + 1))
            }
            try await project(log.events, on: connection)
            #expect(try await counts(on: connection) == [3, 2, 0])

            // One round: 1 and 4 swap companies, 2 and 6 join Initech, 5 leaves.
            let mark = log.events.count
            log.append(.companyChanged(globex, at: t1), to: Fixture.user(1))
            log.append(.companyChanged(acme, at: t1), to: Fixture.user(4))
            log.append(.companyChanged(initech, at: t1), to: Fixture.user(2))
            log.append(.companyChanged(initech, at: t1), to: Fixture.user(6))
            log.append(.companyChanged(nil, at: t1), to: Fixture.user(5))
            // Round 2: 1 moves on again, to Initech.
            log.append(.companyChanged(initech, at: t1), to: Fixture.user(1))
            try await project(log.since(mark), on: connection)
            // Acme: 3, 4. Globex: none. Initech: 1, 2, 6.
            #expect(try await counts(on: connection) == [2, 0, 3])
            let totals = try await companies.dashboard(on: connection).totals
            #expect(totals == CompanyDashboard.Totals(companies: 3, activeCompanies: 0, users: 6, usersWithoutCompany: 1))
        }
    }

    @Test func activeCompaniesAreCounted() async throws {
        try await withConnection { connection in
            var log = threeCompanies()
            for company in [acme, globex, initech] { log.append(.activated(at: t0), to: company) }
            log.append(.deactivated(at: t0), to: globex)
            try await project(log.events, on: connection)
            var totals = try await companies.dashboard(on: connection).totals
            #expect(totals.companies == 3 && totals.activeCompanies == 2)

            let mark = log.events.count
            log.append(.deactivated(at: t0), to: acme)
            log.append(.deactivated(at: t0), to: initech)
            log.append(.activated(at: t0), to: globex)
            try await project(log.since(mark), on: connection)
            totals = try await companies.dashboard(on: connection).totals
            #expect(totals.companies == 3 && totals.activeCompanies == 1)
            #expect(try await companies.company(id: globex, on: connection)?.active == true)
        }
    }
}
