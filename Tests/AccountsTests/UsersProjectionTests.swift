import Accounts
import AccountsDomain
import EventSourcing
import Foundation
import LibPQ
import ReadModel
import TestSupport  // Email literals
import Testing
import Wire

@Suite("Users projection and user lookups")
struct UsersProjectionTests {
    let acme = Fixture.company(1), globex = Fixture.company(2)
    let ada = Fixture.user(1), bob = Fixture.user(2), cy = Fixture.user(3)

    /// Acme and Globex, created a second apart.
    func twoCompanies() -> EventLog {
        var log = EventLog()
        log.append(.created(name: name("Acme"), at: time("2026-11-24T09:00:00.000Z")), to: acme)
        log.append(.created(name: name("Globex"), at: time("2026-11-24T09:00:01.000Z")), to: globex)
        return log
    }

    @Test func userInNoCompanyHasNullCompany() async throws {
        try await withConnection { connection in
            var log = EventLog()
            log.append(.created(name: name("Ada Lovelace"), email: "Ada@Example.org", company: nil,
                                at: time("2026-11-24T09:00:00.123Z")), to: ada)
            try await project(log.events, on: connection)
            let view = try #require(try await users.user(id: ada, on: connection))
            #expect(try json(view) == """
                {"company_id":null,"company_name":null,"created_at":"2026-11-24T09:00:00.123Z",\
                "email":"Ada@Example.org","name":"Ada Lovelace","updated_at":"2026-11-24T09:00:00.123Z",\
                "user_id":"a0000000-0000-4000-8000-000000000001","version":1}
                """)
            #expect(try await users.user(id: bob, on: connection) == nil)
        }
    }

    /// A rename of a company rewrites `company_name` of each of its users
    /// (and only theirs), without touching their version or `updated_at`.
    @Test func companyRenameFansOutToItsUsers() async throws {
        try await withConnection { connection in
            var log = twoCompanies()
            log.append(.created(name: name("Ada"), email: "ada@example.org", company: acme,
                                at: time("2026-11-24T09:01:00.000Z")), to: ada)
            log.append(.created(name: name("Bob"), email: "bob@example.org", company: acme,
                                at: time("2026-11-24T09:02:00.000Z")), to: bob)
            log.append(.created(name: name("Cy"), email: "cy@example.org", company: globex,
                                at: time("2026-11-24T09:03:00.000Z")), to: cy)
            try await project(log.events, on: connection)
            #expect(try await users.user(id: ada, on: connection)?.companyName == "Acme")
            #expect(try await users.user(id: cy, on: connection)?.companyName == "Globex")

            let mark = log.events.count
            log.append(.renamed(name: name("Acme Corp"), at: time("2026-11-24T10:00:00.000Z")), to: acme)
            try await project(log.since(mark), on: connection)
            for user in [ada, bob] {
                let view = try #require(try await users.user(id: user, on: connection))
                #expect(view.companyID == acme)
                #expect(view.companyName == "Acme Corp")
                #expect(view.version == 1)
                #expect(view.updatedAt == view.createdAt)
            }
            #expect(try await users.user(id: cy, on: connection)?.companyName == "Globex")
        }
    }

    @Test func movesTakeTheNewCompanysNameAndLeavingClearsIt() async throws {
        try await withConnection { connection in
            var log = twoCompanies()
            log.append(.created(name: name("Ada"), email: "ada@example.org", company: nil,
                                at: time("2026-11-24T09:01:00.000Z")), to: ada)
            try await project(log.events, on: connection)

            var mark = log.events.count
            log.append(.companyChanged(acme, at: time("2026-11-24T10:00:00.000Z")), to: ada)
            try await project(log.since(mark), on: connection)
            var view = try #require(try await users.user(id: ada, on: connection))
            #expect(view.companyID == acme && view.companyName == "Acme")
            #expect(view.version == 2 && Timestamp.format(view.updatedAt) == "2026-11-24T10:00:00.000Z")

            mark = log.events.count
            log.append(.companyChanged(globex, at: time("2026-11-24T10:01:00.000Z")), to: ada)
            log.append(.renamed(name: name("Ada King"), at: time("2026-11-24T10:02:00.000Z")), to: ada)
            try await project(log.since(mark), on: connection)
            view = try #require(try await users.user(id: ada, on: connection))
            #expect(view.companyID == globex && view.companyName == "Globex" && view.name == "Ada King")
            #expect(view.version == 4 && Timestamp.format(view.updatedAt) == "2026-11-24T10:02:00.000Z")

            mark = log.events.count
            log.append(.companyChanged(nil, at: time("2026-11-24T10:03:00.000Z")), to: ada)
            // A rename of the company left no longer reaches the user.
            log.append(.renamed(name: name("Globex Inc"), at: time("2026-11-24T10:04:00.000Z")), to: globex)
            try await project(log.since(mark), on: connection)
            #expect(try json(try #require(try await users.user(id: ada, on: connection))) == """
                {"company_id":null,"company_name":null,"created_at":"2026-11-24T09:01:00.000Z",\
                "email":"ada@example.org","name":"Ada King","updated_at":"2026-11-24T10:03:00.000Z",\
                "user_id":"a0000000-0000-4000-8000-000000000001","version":5}
                """)
        }
    }

    /// In one batch, a company's first event and a user's share round 1
    /// (and a rename and a move round 2), in either log order: the names
    /// run first, so the user reads the name the log ends with.
    @Test(arguments: [false, true])
    func aNameInTheSameRoundIsSeen(companyFirst: Bool) async throws {
        try await withConnection { connection in
            var log = EventLog()
            let (t0, t1) = (time("2026-11-24T09:00:00.000Z"), time("2026-11-24T09:01:00.000Z"))
            let companyEvents: (inout EventLog) -> Void = { log in
                log.append(.created(name: name("Acme"), at: t0), to: acme)
                log.append(.created(name: name("Globex"), at: t0), to: globex)
            }
            let userEvent: (inout EventLog) -> Void = { log in
                log.append(.created(name: name("Ada"), email: "ada@example.org", company: acme, at: t0), to: ada)
            }
            if companyFirst { companyEvents(&log); userEvent(&log) } else { userEvent(&log); companyEvents(&log) }
            // Round 2: Ada moves to Globex, and Globex is renamed.
            if companyFirst {
                log.append(.renamed(name: name("Globex Inc"), at: t1), to: globex)
                log.append(.companyChanged(globex, at: t1), to: ada)
            } else {
                log.append(.companyChanged(globex, at: t1), to: ada)
                log.append(.renamed(name: name("Globex Inc"), at: t1), to: globex)
            }
            try await project(log.events, on: connection)
            let view = try #require(try await users.user(id: ada, on: connection))
            #expect(view.companyID == globex)
            #expect(view.companyName == "Globex Inc")
        }
    }
}
