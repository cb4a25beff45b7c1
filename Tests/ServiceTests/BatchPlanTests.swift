import EventSourcing
import Foundation
import LibPQ
import PostgresEventStore
import ReadModel
import Shop
import ShopDomain
import TestSupport
import Testing

/// A projection's batch statements keep plans fit for tables that grow from
/// empty to millions of rows while the projector runs.
///
/// The hazard: statements are prepared once per connection, and after five
/// runs PostgreSQL may settle on a generic plan, replanned only when the
/// tables' statistics change. Made while the read tables were nearly empty,
/// that plan hash-joins the batch's rows against a sequential scan of the
/// table, and keeps scanning it whole for every batch as it grows (the slow
/// orders catch-up that outran a 30 s bound under load).
@Suite("Batch plans as the read tables grow")
struct BatchPlanTests {
    static let now = Date(timeIntervalSince1970: 1_795_500_000)

    /// Order `n`'s id, spelled so SQL can make the same ids for filler rows.
    static func order(_ n: Int) -> OrderID {
        OrderID(UUID(uuidString: "00000000-0000-4000-8000-" + String(format: "%012d", n))!)
    }

    @Test func batchesAreNeverRunOnAGenericPlanMadeForTinyTables() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try await database.connect()
            defer { Task { await connection.close() } }
            try await ProjectionCheckpoints.ensure(["orders"], on: connection)
            let projection = OrdersProjection()
            let customer = CustomerID(UUID())
            let line = OrderLine(sku: "MUG", quantity: 2, unitPrice: Money(parsing: "4.50")!)
            let address = ShippingAddress(line1: "1 Main St", city: "Berlin", postalCode: "10117", country: "DE")

            // Twenty orders placed and confirmed, one event per batch, as a
            // projector keeping up with a quiet shop writes them: every
            // statement runs far more than five times on tiny tables.
            var log = TestEventLog()
            for n in 1...20 {
                log.append(Order.Event.placed(customer: customer, lines: [line], shippingAddress: address, at: Self.now),
                           Order.codec, to: Order.stream(Self.order(n)), at: Self.now)
                log.append(Order.Event.confirmed(at: Self.now), Order.codec, to: Order.stream(Self.order(n)), at: Self.now)
            }
            var checkpoint = LogPosition.start
            for event in log.events {
                try await ProjectionCheckpoints.inBatch("orders", from: checkpoint, to: event.position, on: connection) {
                    try await projection.apply([event], on: $0)
                }
                checkpoint = event.position
            }

            let plans = try await connection.query("""
                SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements
                WHERE statement LIKE '%orders_view%' AND statement NOT LIKE '%pg_prepared_statements%'
                ORDER BY statement
                """)
            #expect(plans.count >= 2, "the batches prepared the projection's statements on this connection")
            for row in plans {
                let text = try row.decode(String.self, at: 0)
                #expect(try row.decode(Int.self, at: 1) == 0, "a batch statement ran on a generic plan: \(text)")
                #expect(try row.decode(Int.self, at: 2) >= 20, "planned for its own rows each time: \(text)")
            }

            // What a generic plan would be, shown by EXPLAIN on the status
            // change's prepared statement: made on the tiny table, it scans
            // the table, and a cached plan is only remade when something
            // invalidates it, so it may go on scanning as the table grows;
            // the batch's own planning, once the table has grown to 100,000
            // rows, reads one row by key. (Whether the cached generic plan
            // survives the growth is not asserted: any cache reset in the
            // server, as busy neighbouring databases cause, remakes it.)
            // Autovacuum is kept off the table: the batch's plan must be right
            // from the table's size alone, before any statistics.
            try await connection.execute(unsafeScript: "ALTER TABLE orders_view SET (autovacuum_enabled = false)")
            let statusChange = try #require(try plans.map { try $0.decode(String.self, at: 0) }.first { $0.contains("moved AS") })
            let name = try #require(try await connection.query(
                "SELECT name FROM pg_prepared_statements WHERE statement = \(statusChange)").first)
                .decode(String.self, at: 0)
            let rows = #"[{"order_id": "\#(Self.order(7))", "status": "shipped", "#
                + #""at": "2026-11-24T12:00:00Z", "version": 3}]"#
            // EXPLAIN takes no parameters of its own: the rows go in through a
            // setting, which EXECUTE evaluates before it plans.
            func plan(on tx: Connection) async throws -> String {
                try await tx.query("SELECT set_config('chronicle.plan_probe', \(rows), true)")
                return try await tx.query("""
                    EXPLAIN EXECUTE \(unsafeRaw: quoteIdentifier(name))(current_setting('chronicle.plan_probe')::jsonb)
                    """)
                    .map { try $0.decode(String.self, at: 0) }.joined(separator: "\n")
            }
            func explain(_ mode: String) async throws -> String {
                try await connection.withTransaction { tx in
                    try await tx.query("SELECT set_config('plan_cache_mode', \(mode), true)")
                    return try await plan(on: tx)
                }
            }
            let genericWhenTiny = try await explain("force_generic_plan")
            try await connection.execute(unsafeScript: """
                INSERT INTO orders_view (order_id, customer_id, customer_name, status, item_count, total_amount,
                    ship_line1, ship_city, ship_postal_code, ship_country, created_at, updated_at, version)
                SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, gen_random_uuid(), 'Filler',
                       'pending', 1, 450, '1 Main St', 'Berlin', '10117', 'DE', now(), now(), 1
                FROM generate_series(1000, 101000) AS g
                """)
            let batchNow = try await connection.withTransaction { tx in
                try ProjectionCheckpoints.planStatementsAfresh(on: tx)
                return try await plan(on: tx)
            }
            #expect(genericWhenTiny.contains("Seq Scan on orders_view"), "\(genericWhenTiny)")
            #expect(!batchNow.contains("Seq Scan on orders_view") && batchNow.contains("orders_view_pkey"),
                    "a batch's own plan after the growth:\n\(batchNow)")
        }
    }

    /// The projector refreshes the statistics of tables it has grown, long
    /// before autovacuum would (here: never, it is off for them).
    @Test func theProjectorAnalyzesTheTablesItGrows() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try await database.connect()
            defer { Task { await connection.close() } }
            let tables = OrdersProjection().tables
            for table in tables {
                try await connection.execute(unsafeScript: "ALTER TABLE \(quoteIdentifier(table)) SET (autovacuum_enabled = false)")
            }
            func neverAnalyzed() async throws -> [String] {
                // reltuples is -1 until ANALYZE (or VACUUM) first counts the table.
                try await connection.query("""
                    SELECT relname FROM pg_class WHERE relname = ANY(string_to_array(\(tables.joined(separator: ",")), ','))
                    AND relkind = 'r' AND reltuples < 0 ORDER BY relname
                    """).map { try $0.decode(String.self, at: 0) }
            }
            #expect(try await neverAnalyzed() == tables.sorted())

            let projector = RunningProjector(conninfo: database.conninfo, batchSize: 100)
            let pool = database.makePool()
            try await ShopWriter(store: PostgresEventStore(pool: pool)).registerCustomersWithAnOrder(600, named: "Grower")
            await pool.close()
            try await projector.waitUntilCaughtUp(database.conninfo)
            await projector.stop()
            #expect(try await neverAnalyzed() == [], "the projector applied 1,200 events and analyzed nothing")
        }
    }
}
