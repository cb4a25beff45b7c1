import Accounts
import AccountsDomain
import EventSourcing
import Foundation
import LibPQ
import ReadModel
import TestSupport
import Testing

@Suite("Accounts replays: one batch equals many; views equal the deciders' states")
struct ReplayTests {
    @Test(arguments: [1, 2, 3] as [UInt64])
    func fromScratchEqualsIncremental(seed: UInt64) async throws {
        let events = Simulation.run(seed: seed, steps: 900).log.events
        try await withConnection { connection in
            try await ProjectionChecks.expectFromScratchEqualsIncremental(events, seed: seed, of: .accounts, on: connection)
        }
    }

    /// A rebuild may empty the tables and replay the log: the same tables
    /// come back (counters included, as they need no seeded rows).
    @Test func truncateAndReplayGivesTheSameTables() async throws {
        let events = Simulation.run(seed: 6, steps: 600).log.events
        try await withConnection { connection in
            try await ProjectionChecks.expectTruncateAndReplayGivesTheSameTables(events, of: .accounts, on: connection)
        }
    }

    /// The views, whole batches (one) or the projector's (1000), or one
    /// event at a time, show what the deciders' states say.
    @Test(arguments: [(4, 1000), (5, 1000), (8, 1)] as [(UInt64, Int)])
    func viewsMatchTheDecidersStates(seed: UInt64, batch: Int) async throws {
        let simulation = Simulation.run(seed: seed, steps: batch == 1 ? 300 : 900)
        let events = simulation.log.events
        try await withConnection { connection in
            for start in stride(from: 0, to: events.count, by: batch) {
                try await project(Array(events[start..<min(start + batch, events.count)]), on: connection)
            }
            for id in simulation.users.keys {
                let view = try #require(try await users.user(id: id, on: connection))
                #expect(try json(view) == json(simulation.expectedUser(id)), "user \(id) (seed \(seed))")
            }
            let allUsers = try await users.users(companyID: nil, page: 1, pageSize: 1000, on: connection)
            #expect(allUsers.total == simulation.users.count)
            #expect(try json(allUsers.items) == json(simulation.expectedUsers), "users (seed \(seed))")
            for id in simulation.companies.keys {
                let theirs = try await users.users(companyID: id, page: 1, pageSize: 1000, on: connection)
                let expected = simulation.expectedUsers.filter { $0.companyID == id }
                #expect(theirs.total == expected.count)
                #expect(try json(theirs.items) == json(expected), "users of \(id) (seed \(seed))")
            }

            let allCompanies = try await companies.companies(active: nil, page: 1, pageSize: 1000, on: connection)
            #expect(allCompanies.total == simulation.companies.count)
            #expect(try json(allCompanies.items) == json(simulation.expectedCompanies), "companies (seed \(seed))")
            for active in [true, false] {
                let page = try await companies.companies(active: active, page: 1, pageSize: 1000, on: connection)
                let expected = simulation.expectedCompanies.filter { $0.active == active }
                #expect(page.total == expected.count)
                #expect(try json(page.items) == json(expected), "active \(active) (seed \(seed))")
            }
            #expect(try json(try await companies.dashboard(on: connection)) == json(simulation.expectedDashboard),
                    "dashboard (seed \(seed))")
        }
    }
}
