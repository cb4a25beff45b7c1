import Foundation
import LibPQ
import PostgresEventStore
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Projector processes: leases across copies")
struct ProjectorProcessTests {
    /// The phases `/health/ready` reports per projection.
    static func phases(_ service: RunningService) async throws -> [String: String] {
        let answer = try await service.get("/health/ready")
        let json = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
        let checks = json?["checks"] as? [String: String] ?? [:]
        return checks.filter { $0.key.hasPrefix("projection ") }
    }

    @Test func killNineOfTheHolderHandsOverWithinTwoSeconds() async throws {
        try await TestDatabase.withMigrated { database in
            let first = try await RunningService.start("projector", database: database)
            let second = try await RunningService.start("projector", database: database)
            let pool = database.makePool(maxConnections: 4)
            let shop = ShopWriter(store: PostgresEventStore(pool: pool))
            let customer = try await shop.registerCustomer("Lease Test")
            for _ in 0..<20 { try await shop.placeOrder(for: customer) }
            try await ProjectionProbe.waitUntilCaughtUp(database.conninfo)

            // Each projection runs in exactly one of the two processes.
            let firstPhases = try await Self.phases(first), secondPhases = try await Self.phases(second)
            #expect(firstPhases.count == 3 && secondPhases.count == 3)
            for (name, phase) in firstPhases {
                #expect([phase, secondPhases[name]].filter { $0 == "running" }.count == 1, "\(name): \(phase)")
            }
            let (holder, survivor) = firstPhases.values.contains("running") ? (first, second) : (second, first)

            holder.process.signal(SIGKILL)
            _ = await holder.process.wait()
            let killedAt = ContinuousClock.now
            // The survivor retries the lease every 250 ms; "within seconds"
            // leaves room for a loaded machine's stalls.
            while try await Self.phases(survivor).values.contains(where: { $0 != "running" }) {
                if ContinuousClock.now - killedAt > .seconds(15) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let takeover = ContinuousClock.now - killedAt
            #expect(takeover < .seconds(10), "takeover took \(takeover)")

            for _ in 0..<20 { try await shop.placeOrder(for: customer) }
            try await ProjectionProbe.waitUntilCaughtUp(database.conninfo)
            let connection = try await database.connect()
            #expect(try await ProjectionProbe.count("SELECT order_count FROM customers_view", on: connection) == 40)
            #expect(try await ProjectionProbe.differencesFromScratch(connection) == [])
            #expect(await survivor.stop() == 0)
            await connection.close()
            await pool.close()
        }
    }

    @Test func metricsShowCheckpointLagAndCounters() async throws {
        try await TestDatabase.withMigrated { database in
            let projector = try await RunningService.start("projector", database: database)
            let pool = database.makePool(maxConnections: 2)
            let shop = ShopWriter(store: PostgresEventStore(pool: pool))
            let customer = try await shop.registerCustomer("Metrics")
            try await shop.placeOrder(for: customer)
            try await ProjectionProbe.waitUntilCaughtUp(database.conninfo)
            try await Task.sleep(for: .milliseconds(1200))  // one refresh of the lag gauges
            let metrics = try await projector.get("/metrics").body
            for name in ["orders", "customers", "daily_sales"] {
                #expect(metrics.contains(#"chronicle_projection_events_applied_total{projection="\#(name)"} 2"#), "\(metrics)")
                #expect(metrics.contains(#"chronicle_projection_checkpoint_position{projection="\#(name)"} 2"#))
                #expect(metrics.contains(#"chronicle_projection_lag_events{projection="\#(name)"} 0"#))
                #expect(metrics.contains(#"chronicle_projection_lag_seconds{projection="\#(name)"}"#))
                #expect(metrics.contains(#"chronicle_projection_events_failed_total{projection="\#(name)"} 0"#))
            }
            #expect(await projector.stop() == 0)
            await pool.close()
        }
    }
}
