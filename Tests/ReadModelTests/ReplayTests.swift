import EventSourcing
import Foundation
import LibPQ
import ReadModel
import Shop
import ShopDomain
import TestSupport
import Testing

@Suite("Replays: one batch equals many; views equal the deciders' states")
struct ReplayTests {
    static let allTables = ProjectionRegistry.shop.all().flatMap(\.tables)
    @Test(arguments: [1, 2, 3] as [UInt64])
    func fromScratchEqualsIncremental(seed: UInt64) async throws {
        let simulation = Simulation.run(seed: seed, steps: 900)
        let events = simulation.log.events
        try await withConnection { connection in
            try await ProjectionChecks.expectFromScratchEqualsIncremental(events, seed: seed, of: .shop, on: connection)
        }
    }

    /// A rebuild may empty the tables and replay the log: the same tables
    /// come back (counters included, as they need no seeded rows).
    @Test func truncateAndReplayGivesTheSameTables() async throws {
        let events = Simulation.run(seed: 6, steps: 600).log.events
        try await withConnection { connection in
            try await ProjectionChecks.expectTruncateAndReplayGivesTheSameTables(events, of: .shop, on: connection)
        }
    }

    @Test(arguments: [4, 5] as [UInt64])
    func viewsMatchTheDecidersStates(seed: UInt64) async throws {
        let simulation = Simulation.run(seed: seed, steps: 900)
        try await withConnection { connection in
            // Batches of the projector's maximum size.
            for start in stride(from: 0, to: simulation.log.events.count, by: 1000) {
                let batch = Array(simulation.log.events[start..<min(start + 1000, simulation.log.events.count)])
                try await project(batch, on: connection)
            }
            for id in simulation.orders.keys {
                let view = try #require(try await queries.order(id: id, on: connection))
                #expect(try json(view) == json(simulation.expectedOrder(id)), "order \(id) (seed \(seed))")
            }
            let customers = try await queries.customers(page: 1, pageSize: 1000, on: connection)
            #expect(customers.total == simulation.customers.count)
            #expect(try json(customers.items) == json(simulation.expectedCustomers), "customers (seed \(seed))")

            let report = try await queries.dailySales(from: "2026-01-01", to: "2027-12-31", on: connection)
            #expect(report.days == simulation.expectedDailySales, "daily sales (seed \(seed))")

            for status in [nil] + Order.Status.allCases as [Order.Status?] {
                let expected = simulation.orders.values.filter { status == nil || $0.status == status }.count
                let page = try await queries.orders(customerID: nil, status: status, page: 1, pageSize: 1, on: connection)
                #expect(page.total == expected, "\(String(describing: status)) (seed \(seed))")
            }
        }
    }
}
