import Foundation
import LibPQ
import PostgresEventStore
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM and SIGKILL while work is in flight, not while idle: each test
/// holds the work at a gate (a table lock) until the signal has arrived.
@Suite("Shutdown and crashes in the middle of work")
struct ShutdownTests {
    /// ServiceLifecycle's debug line when it signals a service to shut down
    /// gracefully: proof that the SIGTERM has reached that service.
    static let shutdownTriggered = "Triggering graceful shutdown for service"

    static let orderBody = #"""
        {"customer_id": "CUSTOMER", "items": [{"sku": "A-1", "quantity": 1, "unit_price": "2.50"}],
         "shipping_address": {"line1": "1 Main St", "city": "Paris", "postal_code": "75001", "country": "FR"}}
        """#

    @Test func sigtermWhileACommandIsInFlightAnswersItThenExitsZero() async throws {
        try await TestDatabase.withMigrated { database in
            let service = try await RunningService.start("command-service", database: database,
                                                         extraArguments: ["--log-level", "debug"])
            let registered = try await service.request(
                "POST", "/customers", body: #"{"name": "Draining", "email": "drain@example.com"}"#)
            let customer = try #require(QueryProcessTests.json(registered.body)["customer_id"] as? String)
            // The command reads the customer, then waits at its append.
            let gate = try await TableGate.close("events", in: database.conninfo)
            let port = service.port
            let inFlight = Task {
                try await LoopbackHTTP.send(port: port, method: "POST", path: "/orders",
                                            body: Self.orderBody.replacingOccurrences(of: "CUSTOMER", with: customer))
            }
            try await gate.waitForWaiting(1)
            service.process.signal(SIGTERM)
            try await service.waitForLog(Self.shutdownTriggered, "Application")
            try await gate.open()

            let answer = try await inFlight.value
            #expect(answer.status == 201, "\(answer.body)")
            #expect(await service.process.wait(timeout: Bound.drain) == 0, "\(service.process.output.suffix(2000))")
            let probe = try await database.connect()
            #expect(try await ProjectionProbe.count("SELECT count(*) FROM events WHERE event_type = 'order.placed'",
                                                    on: probe) == 1)
            await probe.close()
        }
    }

    /// Ten customers with an order each, and a projector whose first batch
    /// of `customers` has begun its transaction and waits for customers_view
    /// at a gate; returns the projector, the gate, the batch's session and a
    /// pool on the database.
    static func projectorWithABatchAtTheGate(_ database: TestDatabase, extraArguments: [String] = []) async throws
        -> (RunningService, TableGate, Int32, ConnectionPool) {
        let pool = database.makePool(maxConnections: 2)
        try await ShopWriter(store: PostgresEventStore(pool: pool)).registerCustomersWithAnOrder(10, named: "Customer")
        let gate = try await TableGate.close("customers_view", in: database.conninfo)
        let projector = try await RunningService.start("projector", database: database, extraArguments: extraArguments)
        let batch = try await gate.waitForWaiting(1)[0]
        return (projector, gate, batch, pool)
    }

    @Test func sigtermWhileAProjectorBatchIsInFlightCommitsItThenExitsZero() async throws {
        try await TestDatabase.withMigrated { database in
            let (projector, gate, _, pool) = try await Self.projectorWithABatchAtTheGate(
                database, extraArguments: ["--log-level", "debug"])
            projector.process.signal(SIGTERM)
            try await projector.waitForLog(Self.shutdownTriggered, "ProjectorEngine")
            try await gate.open()

            #expect(await projector.process.wait(timeout: Bound.drain) == 0, "\(projector.process.output.suffix(2000))")
            let probe = try await database.connect()
            // The batch committed, with its checkpoint, before the exit.
            let head = try #require(try await ProjectionProbe.head(on: probe))
            #expect(try await ProjectionCheckpoints.load("customers", on: probe)?.position == head)
            #expect(try await ProjectionProbe.count("SELECT count(*) FROM customers_view WHERE order_count = 1",
                                                    on: probe) == 10)
            await probe.close()
            await pool.close()
        }
    }

    @Test func killNineOfTheProjectorInTheMiddleOfABatchAppliesNothingOfIt() async throws {
        try await TestDatabase.withMigrated { database in
            let (crashing, gate, batch, pool) = try await Self.projectorWithABatchAtTheGate(database)
            let shop = ShopWriter(store: PostgresEventStore(pool: pool))
            let probe = try await database.connect()
            try await ProjectionProbe.waitUntilCaughtUp(database.conninfo, projections: ["orders", "daily_sales"])
            crashing.process.signal(SIGKILL)
            _ = await crashing.process.wait()
            // Let the orphaned session run its statements: with its client
            // gone, it can only roll them back.
            try await gate.open()
            try await waitUntil("the killed projector's batch session gone", within: Bound.projection) {
                try await ProjectionProbe.count("SELECT count(*) FROM pg_stat_activity WHERE pid = \(batch)", on: probe) == 0
            }
            #expect(try await ProjectionCheckpoints.load("customers", on: probe)?.position == .start)
            #expect(try await ProjectionProbe.count("SELECT count(*) FROM customers_view", on: probe) == 0)
            #expect(try await ProjectionProbe.count("SELECT coalesce(sum(customers), 0)::int FROM customers_count",
                                                    on: probe) == 0)

            let restarted = try await RunningService.start("projector", database: database)
            try await ProjectionProbe.waitUntilCaughtUp(database.conninfo)
            #expect(try await ProjectionProbe.count("SELECT count(*) FROM customers_view WHERE order_count = 1",
                                                    on: probe) == 10)
            #expect(try await ProjectionProbe.differencesFromScratch(probe) == [])
            try await ProjectionProbe.expectAdvancesOnNewWrites(shop, on: probe)
            #expect(await restarted.stop() == 0)
            await probe.close()
            await pool.close()
        }
    }
}
