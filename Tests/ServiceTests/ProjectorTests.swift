import EventSourcing
import Foundation
import LibPQ
import PostgresEventStore
@testable import ProjectorService
import ReadModel
import ShopDomain
import TestSupport
import Testing

@Suite("Projector: gapless, exactly once")
struct ProjectorTests {
    @Test func heldInvisibleRowIsAppliedOnceItCommits() async throws {
        try await TestDatabase.withMigrated { database in
            let projector = RunningProjector(conninfo: database.conninfo)
            let held = try await database.connect()
            let other = try await database.connect()
            // A takes the lower position and stays open; B takes a higher one and commits.
            try await held.query("BEGIN")
            let a = try await ShopWriter(store: TransactionalEventStore(connection: held)).registerCustomer("Held Back")
            let b = try await other.withTransaction { tx in
                try await ShopWriter(store: TransactionalEventStore(connection: tx)).registerCustomer("Went Ahead")
            }
            let positions = try await other.query("SELECT stream_id, global_position FROM events ORDER BY global_position")
            #expect(positions.count == 1)  // A's row is invisible to others
            // Give the projector time to see B (it must not move past A).
            try await Task.sleep(for: .milliseconds(700))
            let before = try await ProjectionCheckpoints.load("customers", on: other)
            #expect(before == nil || before!.position == .start, "moved past an open transaction: \(String(describing: before))")
            try await held.query("COMMIT")
            try await ProjectionProbe.waitUntilCaughtUp(database.conninfo)
            for id in [a, b] {
                #expect(try await ProjectionProbe.count("SELECT count(*) FROM customers_view WHERE customer_id = \(id.uuid)",
                                                        on: other) == 1)
            }
            #expect(try await ProjectionProbe.count("SELECT count(*) FROM customers_view", on: other) == 2)
            #expect(try await ProjectionProbe.differencesFromScratch(other) == [])
            await projector.stop()
            await held.close()
            await other.close()
        }
    }

    /// The checkpoint only moves from where its writer read it; a writer that
    /// lost the race gets `CheckpointMoved`, and its COMMIT, sent in the same
    /// round trip, commits none of its writes.
    @Test func aCheckpointThatMovedRefusesTheAdvanceAndItsCommit() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try await database.connect()
            try await ProjectionCheckpoints.ensure(["orders"], on: connection)
            let start = LogPosition.start
            let first = LogPosition(transactionID: 10, globalPosition: 5)
            try await ProjectionCheckpoints.advance("orders", from: start, to: first, on: connection)
            #expect(try await ProjectionCheckpoints.load("orders", on: connection)?.position == first)

            // A second writer still at the start: refused, nothing committed.
            await #expect(throws: CheckpointMoved.self) {
                try await ProjectionCheckpoints.advance("orders", from: start, to: LogPosition(transactionID: 11, globalPosition: 9),
                                                        on: connection)
            }
            try await connection.query("CREATE TABLE witness (id int)")
            try connection.sendAhead("BEGIN")
            try await connection.query("INSERT INTO witness VALUES (1)")
            let outcomes = try await connection.pipeline([
                ProjectionCheckpoints.advanceStatement("orders", from: start, to: LogPosition(transactionID: 11, globalPosition: 9)),
                "COMMIT",
            ])
            let error = try #require(outcomes.compactMap { if case .failure(let e) = $0 { e } else { nil } }.first)
            #expect(ProjectionCheckpoints.checkpointMoved(error, name: "orders") != nil)
            try await connection.query("ROLLBACK")
            #expect(try await ProjectionProbe.count("SELECT count(*) FROM witness", on: connection) == 0)
            #expect(try await ProjectionCheckpoints.load("orders", on: connection)?.position == first)
            await connection.close()
        }
    }

    @Test func thirtyTwoWritersWithRandomCommitDelaysMatchAFromScratchProjection() async throws {
        try await TestDatabase.withMigrated { database in
            let projector = RunningProjector(conninfo: database.conninfo, batchSize: 200)
            let pool = database.makePool(maxConnections: 34)
            // 32 writers × 12 transactions × 13 events = 4,992 events.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<32 {
                    group.addTask {
                        for round in 0..<12 {
                            try await pool.withTransaction { tx in
                                let shop = ShopWriter(store: TransactionalEventStore(connection: tx))
                                let customer = try await shop.registerCustomer("Writer \(writer) round \(round)")
                                for n in 0..<3 {
                                    let order = try await shop.placeOrder(for: customer, quantity: n + 1)
                                    try await shop.order(order, .addItem(OrderLine(sku: "TEA", quantity: 1,
                                                                                   unitPrice: Money(parsing: "2.25")!), at: shop.now))
                                    try await shop.order(order, .confirm(at: shop.now))
                                    if n == 1 { try await shop.order(order, .cancel(reason: "changed mind", at: shop.now)) }
                                    if n == 2 { try await shop.order(order, .ship(carrier: nil, trackingNumber: nil, at: shop.now)) }
                                }
                                try await shop.rename(customer, to: "Renamed \(writer)-\(round)")
                                // Commit late, and in a random order relative to the others.
                                try await Task.sleep(for: .milliseconds(Int.random(in: 0...15)))
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await ProjectionProbe.waitUntilCaughtUp(database.conninfo)
            let connection = try await database.connect()
            #expect(try await ProjectionProbe.count("SELECT count(*) FROM events", on: connection) == 32 * 12 * 13)
            #expect(try await ProjectionProbe.differencesFromScratch(connection) == [])
            #expect(try await ProjectionProbe.count("SELECT count(*) FROM orders_view", on: connection) == 32 * 12 * 3)
            await projector.stop()
            await connection.close()
            await pool.close()
        }
    }

    @Test func abortedBatchLeavesNothingHalfAppliedAndARestartResumesExactly() async throws {
        try await TestDatabase.withMigrated { database in
            let pool = database.makePool(maxConnections: 4)
            let shop = ShopWriter(store: PostgresEventStore(pool: pool))
            for n in 0..<20 { try await shop.placeOrder(for: try await shop.registerCustomer("Customer \(n)")) }
            // Every transaction of `orders` aborts after its read-table writes, before commit.
            let crashing = RunningProjector(conninfo: database.conninfo, projections: [
                CrashAfterWrites(base: ShopProjections.projection(named: "orders")!),
            ])
            let connection = try await database.connect()
            let deadline = ContinuousClock.now + .seconds(30)
            while try await ProjectionCheckpoints.load("orders", on: connection)?.state != .failed,
                  ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            await crashing.stop()
            #expect(try await ProjectionProbe.count("SELECT count(*) FROM orders_view", on: connection) == 0)
            #expect(try await ProjectionProbe.count("SELECT count(*) FROM orders_customer_names", on: connection) == 0)
            #expect(try await ProjectionCheckpoints.load("orders", on: connection)?.position == .start)

            let restarted = RunningProjector(conninfo: database.conninfo)
            try await ProjectionProbe.waitUntilCaughtUp(database.conninfo)
            #expect(try await ProjectionProbe.count("SELECT count(*) FROM orders_view", on: connection) == 20)
            #expect(try await ProjectionProbe.differencesFromScratch(connection) == [])
            #expect(try await ProjectionCheckpoints.load("orders", on: connection)?.state == .running)
            await restarted.stop()
            await connection.close()
            await pool.close()
        }
    }

    @Test func poisonEventStopsOnlyItsProjectionVisiblyAndResumesAfterAFix() async throws {
        try await TestDatabase.withMigrated { database in
            let pool = database.makePool(maxConnections: 4)
            let shop = ShopWriter(store: PostgresEventStore(pool: pool))
            let customer = try await shop.registerCustomer("Before")
            let poisoned = try await shop.placeOrder(for: customer, sku: "POISON")
            try await shop.placeOrder(for: customer)
            var projections = ShopProjections.all()
            projections[projections.firstIndex { $0.name == "orders" }!] =
                FailsOnSku(base: ShopProjections.projection(named: "orders")!, sku: "POISON")
            let broken = RunningProjector(conninfo: database.conninfo, projections: projections)
            try await ProjectionProbe.waitUntilCaughtUp(database.conninfo, projections: ["customers", "daily_sales"])
            let connection = try await database.connect()
            let deadline = ContinuousClock.now + .seconds(30)
            while try await ProjectionCheckpoints.load("orders", on: connection)?.state != .failed,
                  ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            let failed = try #require(try await ProjectionCheckpoints.load("orders", on: connection))
            #expect(failed.state == .failed)
            #expect(failed.lastError?.contains("order.placed") == true)
            #expect(failed.lastError?.contains(poisoned.description) == true)
            // The events before the poison one were applied; nothing after it.
            #expect(try await ProjectionProbe.count("SELECT count(*) FROM orders_view", on: connection) == 0)
            #expect(try await ProjectionProbe.count("SELECT count(*) FROM orders_customer_names", on: connection) == 1)
            let metrics = broken.registry.emitToString()
            #expect(metrics.contains(#"chronicle_projection_events_failed_total{projection="orders"} 1"#))
            await broken.stop()

            let fixed = RunningProjector(conninfo: database.conninfo)
            try await ProjectionProbe.waitUntilCaughtUp(database.conninfo)
            #expect(try await ProjectionProbe.count("SELECT count(*) FROM orders_view", on: connection) == 2)
            #expect(try await ProjectionCheckpoints.load("orders", on: connection)?.state == .running)
            #expect(try await ProjectionProbe.differencesFromScratch(connection) == [])
            await fixed.stop()
            await connection.close()
            await pool.close()
        }
    }

    @Test func twoProjectorsAtOnceKeepTotalsExact() async throws {
        try await TestDatabase.withMigrated { database in
            let first = RunningProjector(conninfo: database.conninfo, batchSize: 50)
            let second = RunningProjector(conninfo: database.conninfo, batchSize: 50)
            let pool = database.makePool(maxConnections: 8)
            let shop = ShopWriter(store: PostgresEventStore(pool: pool))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        let customer = try await shop.registerCustomer("Customer \(writer)")
                        for _ in 0..<25 {
                            let order = try await shop.placeOrder(for: customer)
                            try await shop.order(order, .confirm(at: shop.now))
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await ProjectionProbe.waitUntilCaughtUp(database.conninfo)
            let connection = try await database.connect()
            #expect(try await ProjectionProbe.differencesFromScratch(connection) == [])
            let spent = try await connection.query("SELECT sum(total_spent)::bigint FROM customers_view")
            #expect(try spent[0].decode(Int64.self, at: 0) == 8 * 25 * 900)
            await first.stop()
            await second.stop()
            await connection.close()
            await pool.close()
        }
    }

    @Test func renamingACustomerWithAHundredOrdersUpdatesEveryView() async throws {
        try await TestDatabase.withMigrated { database in
            let projector = RunningProjector(conninfo: database.conninfo)
            let pool = database.makePool(maxConnections: 4)
            let shop = ShopWriter(store: PostgresEventStore(pool: pool))
            let customer = try await shop.registerCustomer("Old Name")
            for _ in 0..<100 { try await shop.placeOrder(for: customer) }
            try await shop.rename(customer, to: "New Name")
            try await ProjectionProbe.waitUntilCaughtUp(database.conninfo)
            let connection = try await database.connect()
            #expect(try await ProjectionProbe.count(
                "SELECT count(*) FROM orders_view WHERE customer_id = \(customer.uuid) AND customer_name = 'New Name'",
                on: connection) == 100)
            await projector.stop()
            await connection.close()
            await pool.close()
        }
    }

    @Test func postgresRestartDuringProjectionIsSurvived() async throws {
        let cluster = try await PrivateCluster.start()
        do {
            let migrator = SchemaMigrator(migrations: try TestEnvironment.loadMigrations())
            let setup = try await Connection.connect(cluster.url)
            try await migrator.migrate(setup)
            await setup.close()
            let projector = RunningProjector(conninfo: cluster.url)
            let pool = ConnectionPool(conninfo: cluster.url, maxConnections: 4)
            let shop = ShopWriter(store: PostgresEventStore(pool: pool))
            let customer = try await shop.registerCustomer("Before Restart")
            for _ in 0..<50 { try await shop.placeOrder(for: customer) }
            try await cluster.restart()
            for _ in 0..<50 { try await shop.placeOrder(for: customer) }
            try await ProjectionProbe.waitUntilCaughtUp(cluster.url)
            let connection = try await Connection.connect(cluster.url)
            #expect(try await ProjectionProbe.count("SELECT count(*) FROM orders_view", on: connection) == 100)
            #expect(try await ProjectionProbe.differencesFromScratch(connection) == [])
            await connection.close()
            await projector.stop()
            await pool.close()
        } catch {
            await cluster.destroy()
            throw error
        }
        await cluster.destroy()
    }
}

/// Writes like the real projection, then aborts before the commit.
struct CrashAfterWrites: ReadModelProjection {
    let base: any ReadModelProjection
    var name: String { base.name }
    var tables: [String] { base.tables }

    struct SimulatedCrash: Error {}

    func apply(_ events: [RecordedEvent], on connection: Connection) async throws {
        try await base.apply(events, on: connection)
        throw SimulatedCrash()
    }
}

/// Cannot apply an order placed with one sku (until "fixed" by a restart
/// with the real projection).
struct FailsOnSku: ReadModelProjection {
    let base: any ReadModelProjection
    let sku: String
    var name: String { base.name }
    var tables: [String] { base.tables }

    struct Poison: Error, CustomStringConvertible { var description: String { "cannot project this sku" } }

    func apply(_ events: [RecordedEvent], on connection: Connection) async throws {
        try await base.apply(events, on: connection)
        if events.contains(where: { $0.event.type == "order.placed" && String(decoding: $0.event.data, as: UTF8.self).contains(sku) }) {
            throw Poison()
        }
    }
}

@Suite("Projector: one log read for runners woken together")
struct SharedLogReaderTests {
    @Test func aReadIsJoinedUntilTheNextSignalOrTheWindowEnds() async throws {
        try await TestDatabase.withMigrated { database in
            let pool = database.makePool(maxConnections: 2)
            let shop = ShopWriter(store: PostgresEventStore(pool: pool))
            // Transactions of other tests on the server hold the log's
            // watermark back for a while: wait until a direct read shows `count`.
            func visible(_ count: Int) async throws {
                while try await pool.withConnection({ try await EventLog.read(after: .start, limit: 100, on: $0) }).count < count {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            _ = try await shop.registerCustomer("First")
            try await visible(1)
            let reader = SharedLogReader(pool: pool, reuseWindow: .seconds(30))
            reader.signal()
            #expect(try await reader.read(after: .start, limit: 100).count == 1)
            _ = try await shop.registerCustomer("Second")
            try await visible(2)
            // No signal since the first read: it is joined, the second event unseen.
            #expect(try await reader.read(after: .start, limit: 100).count == 1)
            // Another limit is another read.
            #expect(try await reader.read(after: .start, limit: 99).count == 2)
            reader.signal()
            #expect(try await reader.read(after: .start, limit: 100).count == 2)

            let brief = SharedLogReader(pool: pool, reuseWindow: .milliseconds(1))
            #expect(try await brief.read(after: .start, limit: 100).count == 2)
            _ = try await shop.registerCustomer("Third")
            try await visible(3)
            try await Task.sleep(for: .milliseconds(5))
            // Too old to join, signal or not: a polling runner really looks.
            #expect(try await brief.read(after: .start, limit: 100).count == 3)
            await pool.close()
        }
    }
}
