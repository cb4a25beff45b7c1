@testable import AdminCLI
import EventSourcing
import Foundation
import LibPQ
import PostgresEventStore
import ReadModel
import ShopDomain
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("chronicle-admin rebuild-projection")
struct RebuildTests {
    static let admin = TestEnvironment.binDirectory.appendingPathComponent("chronicle-admin")

    /// Preloads `units` × 8 events in the domain's stored shapes, in one
    /// transaction: run it on a cluster of the test's own, so that it holds
    /// back no other test's projector (the watermark is server-wide).
    static func preload(_ conninfo: String, units: Int) async throws {
        let (status, output) = try await ChildProcess.run(
            URL(fileURLWithPath: "/usr/bin/psql"),
            [conninfo, "-q", "-v", "units=\(units)", "-f",
             TestEnvironment.repositoryRoot.appendingPathComponent("bench/sql/preload_events.sql").path])
        guard status == 0 else { throw TestSetupError("preload failed: \(output)") }
    }

    /// `preload`, then every projection caught up on it and the projector
    /// stopped (the catch-up is set-up: the preload's bound).
    static func preloadAndProject(_ conninfo: String, units: Int) async throws {
        try await preload(conninfo, units: units)
        let projector = RunningProjector(conninfo: conninfo)
        try await projector.waitUntilCaughtUp(conninfo, within: Bound.preloadCatchUp)
        await projector.stop()
    }

    /// A rebuild of orders, 100 events a batch, once it is past position 2000.
    static func ordersRebuildUnderWay(_ conninfo: String, watchedOn probe: Connection) async throws -> ChildProcess {
        let rebuild = try ChildProcess(admin, ["rebuild-projection", "orders", "--batch-size", "100",
                                               "--database-url", conninfo])
        try await waitUntil("the rebuild past position 2000", within: Bound.projection) {
            (try await ProjectionCheckpoints.load("orders@rebuild", on: probe)?.position.globalPosition ?? 0) >= 2000
        }
        return rebuild
    }

    @Test func rebuildUnderHTTPReadsAndWritesNeverShowsAMissingOrOlderView() async throws {
        try await PrivateCluster.withMigrated { cluster in
            try await Self.preload(cluster.url, units: 1500)
            try await QueryAPIHarness.run(conninfo: cluster.url, readDatabaseURL: nil) { api in
                try await api.caughtUp(within: Bound.preloadCatchUp)
                let known = try await api.probe.query("SELECT order_id FROM orders_view ORDER BY order_id LIMIT 40")
                    .map { try $0.decode(UUID.self, at: 0).uuidString.lowercased() }
                var versions: [String: Int] = [:]
                for id in known {
                    let answer = try await api.get("/orders/\(id)")
                    versions[id] = try #require(answer.json["version"] as? Int)
                }

                let rebuild = Task {
                    let connection = try await Connection.connect(api.conninfo)
                    try await ProjectionRebuild(projection: "orders", projections: .shop, connection: connection, batchSize: 200,
                                                report: { _ in }).run()
                    await connection.close()
                }
                let writes = Task {
                    let customer = try await api.registerCustomer("During Rebuild")
                    var placed: [String] = []
                    for _ in 0..<30 { placed.append(try await api.placeOrder(customer: customer.id).id) }
                    return placed
                }
                var rounds = 0
                repeat {
                    for id in known {
                        let answer = try await api.get("/orders/\(id)")
                        #expect(answer.status == 200, "GET /orders/\(id) answered \(answer.status) during the rebuild")
                        if let version = answer.json["version"] as? Int {
                            #expect(version >= versions[id]!, "order \(id) went back to version \(version)")
                            versions[id] = version
                        }
                    }
                    let list = try await api.get("/orders?page=1&page_size=20")
                    #expect(list.status == 200, "GET /orders answered \(list.status) during the rebuild")
                    #expect((list.json["total"] as? Int ?? 0) >= 1500)
                    rounds += 1
                } while try await !rebuildFinished(rebuild)
                try await rebuild.value
                let placed = try await writes.value
                try await api.caughtUp()
                for id in placed { #expect(try await api.get("/orders/\(id)").status == 200) }
                // The live projector goes on in the swapped-in view with writes
                // made after the swap.
                let customer = try await api.registerCustomer("After The Swap")
                let after = try await api.placeOrder(customer: customer.id)
                let fresh = try await api.get("/orders/\(after.id)", after: after.token, waitMilliseconds: 30000)
                #expect(fresh.status == 200 && fresh.consistency == "fresh", "\(fresh.status) \(fresh.body)")
                try await api.caughtUp()
                let connection = try await Connection.connect(api.conninfo)
                #expect(try await ProjectionProbe.differencesFromScratch(connection) == [])
                #expect(try await ProjectionCheckpoints.load("orders@rebuild", on: connection) == nil)
                #expect(rounds > 1)
                await connection.close()
            }
        }
    }

    private func rebuildFinished(_ task: Task<Void, Error>) async throws -> Bool {
        // Look without blocking the reads.
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { _ = try? await task.value; return true }
            group.addTask { try? await Task.sleep(for: .milliseconds(1)); return false }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
    }

    /// The rebuild tables are unlogged while they are built: a server crash
    /// empties them but keeps their checkpoint. The next run must see that
    /// and start afresh; resuming from the checkpoint would swap in views
    /// missing every order before it.
    @Test func aServerCrashInTheMiddleOfARebuildStartsItAfresh() async throws {
        try await PrivateCluster.withMigrated { cluster in
            let conninfo = cluster.url
            try await Self.preloadAndProject(conninfo, units: 1000)
            let probe = try await Connection.connect(conninfo)
            let first = try await Self.ordersRebuildUnderWay(conninfo, watchedOn: probe)
            await probe.close()
            try await cluster.crashAndRestart()
            #expect(await first.wait() != 0, "\(first.output)")

            let probeAfter = try await Connection.connect(conninfo)
            #expect((try await ProjectionCheckpoints.load("orders@rebuild", on: probeAfter)?.position.globalPosition ?? 0) > 0,
                    "the crash kept the rebuild's checkpoint (else this test checks nothing)")
            let (status, output) = try await ChildProcess.run(
                Self.admin, ["rebuild-projection", "orders", "--database-url", conninfo])
            #expect(status == 0, "\(output)")
            #expect(!output.contains("(resuming)"), "\(output)")
            #expect(output.contains("swapped in"))
            #expect(try await ProjectionProbe.differencesFromScratch(probeAfter) == [])
            #expect(try await ProjectionProbe.count("""
                SELECT count(*) FROM pg_class WHERE relname = 'orders_view' AND relpersistence <> 'p'
                """, on: probeAfter) == 0, "the swapped-in table is not logged")
            await probeAfter.close()
        }
    }

    @Test func interruptedRebuildLeavesTheLiveViewsAndResumes() async throws {
        try await PrivateCluster.withMigrated { cluster in
            let conninfo = cluster.url
            try await Self.preloadAndProject(conninfo, units: 4000)
            let probe = try await Connection.connect(conninfo)
            let liveBefore = try await ProjectionCheckpoints.load("orders", on: probe)
            let rowsBefore = try await ProjectionProbe.count("SELECT count(*) FROM orders_view", on: probe)

            let first = try await Self.ordersRebuildUnderWay(conninfo, watchedOn: probe)
            first.signal(SIGINT)
            #expect(await first.wait() != 0, "\(first.output)")
            let halfway = try #require(try await ProjectionCheckpoints.load("orders@rebuild", on: probe))
            #expect(halfway.position.globalPosition >= 2000 && halfway.position.globalPosition < 32000)
            #expect(try await ProjectionCheckpoints.load("orders", on: probe) == liveBefore)
            #expect(try await ProjectionProbe.count("SELECT count(*) FROM orders_view", on: probe) == rowsBefore)

            let (status, output) = try await ChildProcess.run(
                Self.admin, ["rebuild-projection", "orders", "--database-url", conninfo])
            #expect(status == 0, "\(output)")
            #expect(output.contains("(resuming)"))
            #expect(output.contains("swapped in"))
            #expect(try await ProjectionProbe.differencesFromScratch(probe) == [])
            // A projector started on the swapped-in view goes on from its checkpoint.
            let pool = ConnectionPool(conninfo: conninfo, maxConnections: 2)
            let resumed = RunningProjector(conninfo: conninfo)
            try await ProjectionProbe.expectAdvancesOnNewWrites(ShopWriter(store: PostgresEventStore(pool: pool)),
                                                                on: probe, watching: [resumed])
            #expect(try await ProjectionProbe.differencesFromScratch(probe, schema: "scratch_after") == [])
            await resumed.stop()
            await pool.close()
            await probe.close()
        }
    }

    @Test func unknownProjectionIsAClearErrorAndNonZeroExit() async throws {
        let (status, output) = try await ChildProcess.run(Self.admin, ["rebuild-projection", "invoices"])
        #expect(status != 0)
        #expect(output.contains("unknown projection 'invoices'"))
    }

    @Test func unreachableDatabaseIsAClearErrorAndNonZeroExit() async throws {
        let (status, output) = try await ChildProcess.run(
            Self.admin, ["rebuild-projection", "orders", "--database-url", "postgresql://postgres@127.0.0.1:9/x?connect_timeout=2"])
        #expect(status != 0)
        #expect(output.contains("cannot connect to the database"))
    }

    @Test func aSecondConcurrentRebuildIsRefused() async throws {
        try await TestDatabase.withMigrated { database in
            let holder = try await database.connect()
            _ = try await holder.query("SELECT pg_advisory_lock(hashtextextended('chronicle.rebuild.customers', 0))")
            let (status, output) = try await ChildProcess.run(
                Self.admin, ["rebuild-projection", "customers", "--database-url", database.conninfo])
            #expect(status != 0)
            #expect(output.contains("a rebuild of 'customers' is already running"))
            await holder.close()
        }
    }
}

@Suite("chronicle-admin projections")
struct AdminProjectionsTests {
    @Test func tableAndJSONShowStateCheckpointLagAndLeaseHolder() async throws {
        try await TestDatabase.withMigrated { database in
            let projector = try await RunningService.start("projector", database: database)
            let pool = database.makePool(maxConnections: 2)
            let shop = ShopWriter(store: PostgresEventStore(pool: pool))
            try await shop.placeOrder(for: try await shop.registerCustomer("Admin View"))
            try await ProjectionProbe.waitUntilCaughtUp(database.conninfo)
            let admin = RebuildTests.admin
            let json = try await ChildProcess.run(admin, ["projections", "--json", "--database-url", database.conninfo])
            #expect(json.status == 0, "\(json.output)")
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]])
            #expect(rows.compactMap { $0["name"] as? String } == ProjectionRegistry.served.names.sorted())
            for row in rows {
                #expect(row["state"] as? String == "running")
                #expect(row["checkpoint"] as? Int == 2)
                #expect(row["lag_events"] as? Int == 0)
                #expect((row["lease_holder"] as? String)?.hasPrefix("projector@") == true)
            }
            let table = try await ChildProcess.run(admin, ["projections", "--database-url", database.conninfo])
            #expect(table.status == 0)
            #expect(table.output.contains("NAME"))
            #expect(table.output.contains("LEASE HOLDER"))
            #expect(await projector.stop() == 0)
            await pool.close()
        }
    }

    @Test func anUnmigratedDatabaseIsAClearError() async throws {
        try await TestDatabase.withEmpty { database in
            let (status, output) = try await ChildProcess.run(
                RebuildTests.admin, ["projections", "--database-url", database.conninfo])
            #expect(status != 0)
            #expect(output.contains("run `chronicle-admin migrate`"))
        }
    }
}
