import Foundation
import LibPQ
import PostgresEventStore
import ReadModel
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Projector processes: leases across copies")
struct ProjectorProcessTests {
    /// The phase `/health/ready` reports per projection (`running`,
    /// `waiting_for_lease`, …), without any detail after it.
    static func phases(_ service: RunningService) async throws -> [String: String] {
        let answer = try await service.get("/health/ready")
        let json = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
        let checks = json?["checks"] as? [String: String] ?? [:]
        return checks.reduce(into: [:]) { phases, check in
            guard check.key.hasPrefix("projection ") else { return }
            phases[String(check.key.dropFirst("projection ".count))] = String(check.value.prefix { $0 != "," && $0 != " " })
        }
    }

    /// Who holds each projection's lease: the holder's pid, read from the
    /// lease connection's `application_name` (`projector@host:pid`).
    static func leaseHolders(on connection: Connection) async throws -> [String: Int32] {
        try await ProjectionLease.holders(of: ProjectionRegistry.served.names, on: connection)
            .compactMapValues { name in name.split(separator: ":").last.flatMap { Int32($0) } }
    }

    /// A projection's `events_applied_total` in one copy's `/metrics`.
    static func applied(_ projection: String, by service: RunningService) async throws -> Int {
        let metrics = try await service.get("/metrics").body
        return Int(Metrics.value(#"chronicle_projection_events_applied_total{projection="\#(projection)"} "#,
                                 in: metrics) ?? -1)
    }

    /// `--projections` (or `PROJECTOR_PROJECTIONS`) narrows a copy to the
    /// projections it names: the rest wait for another copy, and an unknown
    /// name stops the process at start, naming the known ones.
    @Test func aCopyRunsOnlyTheProjectionsItIsGiven() async throws {
        try await TestDatabase.withMigrated { database in
            let pool = database.makePool(maxConnections: 2)
            let shop = ShopWriter(store: PostgresEventStore(pool: pool))
            let connection = try await database.connect()
            let customers = try await RunningService.start("projector", database: database,
                                                           extraArguments: ["--projections", "customers"])
            let customer = try await shop.registerCustomer("Narrowed")
            try await shop.placeOrder(for: customer)
            try await ProjectionProbe.waitUntilCaughtUp(database.conninfo, projections: ["customers"])
            let ready = try await customers.get("/health/ready").body
            #expect(ready.contains("projection customers") && !ready.contains("projection orders"), "\(ready)")
            #expect(try await ProjectionCheckpoints.loadAll(on: connection).map(\.name) == ["customers"])

            let others = ProjectionRegistry.served.names.filter { $0 != "customers" }
            let rest = try await RunningService.start(
                "projector", arguments: ["--database-url", database.conninfo, "--port", "0",
                                         "--migrations", TestEnvironment.migrationsDirectory.path],
                environment: ["PROJECTOR_PROJECTIONS": others.joined(separator: ",")])
            try await ProjectionProbe.waitUntilCaughtUp(database.conninfo, projections: ProjectionRegistry.served.names)
            #expect(try await ProjectionProbe.differencesFromScratch(connection) == [])
            #expect(try await Self.applied("customers", by: rest) == -1, "the second copy runs no customers")
            #expect(await customers.stop() == 0)
            #expect(await rest.stop() == 0)

            let unknown = try ChildProcess(
                TestEnvironment.binDirectory.appendingPathComponent("projector"),
                ["--database-url", database.conninfo, "--port", "0", "--projections", "customers, no_such_view"])
            defer { try? FileManager.default.removeItem(at: unknown.outputFile) }
            // Bounded: a projector that ignored the list would run on.
            let status = await unknown.wait(timeout: Bound.startup)
            #expect(status != nil && status != 0, "exit status \(String(describing: status))")
            #expect(unknown.output.contains("unknown projection(s) no_such_view")
                    && unknown.output.contains("known: orders, customers"), "\(unknown.output)")
            await connection.close()
            await pool.close()
        }
    }

    /// "Another takes over within seconds when it dies" (API.md): measured
    /// from the kill to the survivor's sessions holding every lease lock,
    /// against `Bound.leaseTakeover`.
    @Test func killNineOfTheHolderHandsOverWithinSeconds() async throws {
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
            let projections = ProjectionRegistry.served.names.count
            #expect(firstPhases.count == projections && secondPhases.count == projections)
            for (name, phase) in firstPhases {
                #expect([phase, secondPhases[name]].filter { $0 == "running" }.count == 1, "\(name): \(phase)")
            }
            let (holder, survivor) = firstPhases.values.contains("running") ? (first, second) : (second, first)

            let probe = try await database.connect()
            holder.process.signal(SIGKILL)
            _ = await holder.process.wait()
            let killedAt = ContinuousClock.now
            // Measured at the database (the survivor's lease sessions hold
            // the locks), not through its HTTP endpoint.
            try await waitUntil("the survivor holding every lease", within: Bound.projection, every: .milliseconds(10)) {
                let holders = try await Self.leaseHolders(on: probe)
                return holders.count == ProjectionRegistry.served.names.count && holders.values.allSatisfy { $0 == survivor.process.pid }
            }
            let takeover = ContinuousClock.now - killedAt
            #expect(takeover < Bound.leaseTakeover, "takeover took \(takeover)")
            try await waitUntil("the survivor running every projection", within: Bound.projection) {
                try await Self.phases(survivor).values.allSatisfy { $0 == "running" }
            }

            for _ in 0..<20 { try await shop.placeOrder(for: customer) }
            try await ProjectionProbe.waitUntilCaughtUp(database.conninfo)
            #expect(try await ProjectionProbe.count("SELECT order_count FROM customers_view", on: probe) == 40)
            #expect(try await ProjectionProbe.differencesFromScratch(probe) == [])
            #expect(await survivor.stop() == 0)
            await probe.close()
            await pool.close()
        }
    }

    /// The holder's lease session is killed while the process lives on (as
    /// when a network path or a server-side timeout ends just that session):
    /// the other copy takes over, the first stops writing, and every event
    /// is applied once, by one copy or the other.
    @Test func aLeaseLostWhileTheProcessLivesIsTakenOverAndNothingIsAppliedTwice() async throws {
        try await TestDatabase.withMigrated { database in
            let first = try await RunningService.start("projector", database: database)
            let probe = try await database.connect()
            try await waitUntil("the first copy holding every lease", within: Bound.projection) {
                try await Self.leaseHolders(on: probe).values.filter { $0 == first.process.pid }.count
                    == ProjectionRegistry.served.names.count
            }
            let second = try await RunningService.start("projector", database: database)
            try await waitUntil("the second copy standing by", within: Bound.startup) {
                try await Self.phases(second).values.allSatisfy { $0 == "waiting_for_lease" }
            }
            let pool = database.makePool(maxConnections: 4)
            let shop = ShopWriter(store: PostgresEventStore(pool: pool))
            let customer = try await shop.registerCustomer("Lease Lost")
            // Writes go on while the lease changes hands.
            let writes = Task {
                for _ in 0..<40 { try await shop.placeOrder(for: customer) }
            }
            try await ProjectionProbe.waitUntilCaughtUp(database.conninfo, projections: ["orders"])

            // Its session ends as a broken connection would end it. Until
            // the standby (retrying every 250 ms) holds the lease, any
            // session the first copy takes it back with ends too: the test
            // is of a takeover, not of which copy is quicker to retry.
            func killFirstCopysLease() async throws {
                for row in try await probe.query("""
                    SELECT pid FROM pg_stat_activity
                    WHERE datname = current_database() AND application_name LIKE \("%:\(first.process.pid)")
                      AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
                                  AND ((classid::bigint << 32) | objid::bigint) = hashtextextended('chronicle.projection.orders', 0))
                    """) {
                    _ = try await probe.query("SELECT pg_terminate_backend(\(try row.decode(Int32.self, at: 0)))")
                }
            }
            try await killFirstCopysLease()
            let lostAt = ContinuousClock.now
            try await waitUntil("the second copy holding the lease of orders", within: Bound.projection,
                                every: .milliseconds(10)) {
                if try await Self.leaseHolders(on: probe)["orders"] == second.process.pid { return true }
                try await killFirstCopysLease()
                return false
            }
            let takeover = ContinuousClock.now - lostAt
            #expect(takeover < Bound.leaseTakeover, "takeover took \(takeover)")
            // The first copy notices (it checks its lease every second) and stands by.
            try await waitUntil("the first copy waiting for the lease of orders", within: Bound.projection) {
                try await Self.phases(first)["orders"] == "waiting_for_lease"
            }
            let appliedByFirst = try await Self.applied("orders", by: first)
            try await writes.value
            // The old holder's batch, in flight when its lease session died,
            // may commit after the new holder read the checkpoint: the new
            // holder's first batch must then be refused at its checkpoint
            // claim and go on, not fail on those rows and be taken for a
            // poison event (as it once was, parking with the row "running").
            var seen = ""
            do {
                try await waitUntil("every projection caught up with the log", within: Bound.projection) {
                    for (name, copy) in [("first", first), ("second", second)]
                    where try await Self.phases(copy)["orders"] == "failed" {
                        throw HandoverTakenForPoison(description: """
                            the \(name) copy stopped orders as failed (\(seen)):
                            \(copy.process.output.suffix(2000))
                            """)
                    }
                    let (caughtUp, state) = try await ProjectionProbe.caughtUp(on: probe)
                    seen = state
                    return caughtUp
                }
            } catch let timeout as WaitTimedOut {
                throw WaitTimedOut(description: "\(timeout) (last seen: \(seen))\nfirst: \(first.process.output.suffix(2000))"
                                   + "\nsecond: \(second.process.output.suffix(2000))")
            }

            #expect(try await Self.applied("orders", by: first) == appliedByFirst, "the first copy still writes orders")
            let events = try await ProjectionProbe.count("SELECT count(*) FROM events", on: probe)
            let appliedBySecond = try await Self.applied("orders", by: second)
            #expect(appliedByFirst + appliedBySecond == events,
                    "orders applied \(appliedByFirst) + \(appliedBySecond) events of \(events)")
            #expect(try await Self.phases(first).filter { $0.key != "orders" }.values.allSatisfy { $0 == "running" })
            #expect(try await ProjectionProbe.count("SELECT order_count FROM customers_view", on: probe) == 40)
            #expect(try await ProjectionProbe.differencesFromScratch(probe) == [])
            #expect(await first.stop() == 0)
            #expect(await second.stop() == 0)
            await probe.close()
            await pool.close()
        }
    }

    struct HandoverTakenForPoison: Error, CustomStringConvertible {
        var description: String
    }

    /// On a cluster of its own: it holds a write transaction open to make
    /// the lag visible, which would hold back every projector on the server.
    @Test func metricsShowCheckpointLagAndCountersMoving() async throws {
        try await PrivateCluster.withMigrated { cluster in
            let projector = try await RunningService.start(
                "projector", arguments: ["--database-url", cluster.url, "--port", "0",
                                         "--migrations", TestEnvironment.migrationsDirectory.path])
            let pool = ConnectionPool(conninfo: cluster.url, maxConnections: 2)
            let shop = ShopWriter(store: PostgresEventStore(pool: pool))
            let names = ["orders", "customers", "daily_sales"]
            func metric(_ name: String, _ projection: String) async throws -> Double? {
                Metrics.value(#"chronicle_projection_\#(name){projection="\#(projection)"} "#,
                              in: try await projector.get("/metrics").body)
            }
            func waitForMetrics(_ what: String, _ expected: [String: Double]) async throws {
                try await waitUntil(what, within: Bound.projection, every: .milliseconds(100)) {
                    for projection in names {
                        for (name, value) in expected where try await metric(name, projection) != value { return false }
                    }
                    return true
                }
            }
            let customer = try await shop.registerCustomer("Metrics")
            try await shop.placeOrder(for: customer)
            try await waitForMetrics("metrics at 2 events", ["events_applied_total": 2, "checkpoint_position": 2,
                                                             "lag_events": 0, "lag_seconds": 0, "events_failed_total": 0])

            // A transaction left open holds the watermark: the next event
            // commits but cannot be applied, and the lag shows it and grows.
            let held = try await Connection.connect(cluster.url)
            try await held.query("BEGIN")
            try await ShopWriter(store: TransactionalEventStore(connection: held)).registerCustomer("Held Open")
            try await shop.rename(customer, to: "Renamed")
            try await waitUntil("lag_seconds above 1 with one event waiting", within: Bound.projection,
                                every: .milliseconds(100)) {
                for projection in names {
                    guard try await metric("lag_events", projection) == 1,
                          try await metric("lag_seconds", projection).map({ $0 >= 1 }) == true else { return false }
                }
                return true
            }
            #expect(try await metric("checkpoint_position", "customers") == 2)
            try await held.query("COMMIT")
            await held.close()
            try await waitForMetrics("metrics at 4 events", ["events_applied_total": 4, "checkpoint_position": 4,
                                                             "lag_events": 0, "lag_seconds": 0, "events_failed_total": 0])
            #expect(await projector.stop() == 0)
            await pool.close()
        }
    }
}
