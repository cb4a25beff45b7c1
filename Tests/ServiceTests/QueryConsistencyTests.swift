import EventSourcing
import Foundation
import HTTPTypes
import LibPQ
import TestSupport
import Testing

@Suite("Query service: read-your-writes and Consistency")
struct QueryConsistencyTests {
    /// Command through the command-service router, then at once a query with
    /// its token: the answer must have the new data and say `fresh`.
    @Test func fiveHundredCommandsAreEachReadBackFreshAtOnce() async throws {
        try await QueryAPIHarness.run { api in
            let customer = try await api.registerCustomer("Trial 0")
            // The most a client may ask for: a transaction held open anywhere
            // on the shared test server stalls every projector for its
            // duration (see README "Projector"), and this test is about
            // getting the new data, the latencies are only printed.
            let patience = 30000
            var endToEnd: [Duration] = [], queryOnly: [Duration] = []
            var lastOrder: String?
            let clock = ContinuousClock()
            for trial in 1...500 {
                let started = clock.now
                let answer: QueryAPIHarness.Answer
                let queried: ContinuousClock.Instant
                switch trial % 3 {
                case 0:
                    let renamed = try await api.run(.put, "/customers/\(customer.id)/name", json: #"{"name": "Trial \#(trial)"}"#)
                    queried = clock.now
                    answer = try await api.get("/customers/\(customer.id)", after: renamed.token, waitMilliseconds: patience)
                    #expect(answer.json["name"] as? String == "Trial \(trial)", "trial \(trial)")
                case 1:
                    let placed = try await api.placeOrder(customer: customer.id)
                    lastOrder = placed.id
                    queried = clock.now
                    answer = try await api.get("/orders/\(placed.id)", after: placed.token, waitMilliseconds: patience)
                    #expect(answer.json["order_id"] as? String == placed.id, "trial \(trial)")
                    #expect(answer.json["status"] as? String == "pending", "trial \(trial)")
                default:
                    let order = try #require(lastOrder)
                    let confirmed = try await api.run(.post, "/orders/\(order)/confirm")
                    queried = clock.now
                    answer = try await api.get("/orders?customer_id=\(customer.id)&status=confirmed&page_size=1",
                                               after: confirmed.token, waitMilliseconds: patience)
                    #expect(answer.items.first?["order_id"] as? String == order, "trial \(trial)")
                }
                let finished = clock.now
                #expect(answer.status == 200, "trial \(trial): \(answer.body)")
                #expect(answer.consistency == "fresh", "trial \(trial)")
                endToEnd.append(finished - started)
                queryOnly.append(finished - queried)
            }
            func percentile(_ values: [Duration], _ p: Double) -> String {
                let sorted = values.sorted()
                let value = sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
                return String(format: "%.2f ms", Double(value.components.attoseconds) / 1e15
                                                   + Double(value.components.seconds) * 1000)
            }
            print("""
                read-your-writes over 500 trials (in-process routers, in-process projector): \
                command→fresh answer p50 \(percentile(endToEnd, 0.5)), p99 \(percentile(endToEnd, 0.99)); \
                query with token alone p50 \(percentile(queryOnly, 0.5)), p99 \(percentile(queryOnly, 0.99)); \
                command→fresh p90 \(percentile(endToEnd, 0.9)), max \(percentile(endToEnd, 1)), \
                over 100 ms: \(endToEnd.filter { $0 > .milliseconds(100) }.count)
                """)
        }
    }

    /// A 50 ms `Consistency-Wait` is honoured: the answer comes long before
    /// the 5 s a request without the header would wait (API.md's default).
    @Test func withTheProjectorStoppedAShortWaitAnswersStaleLongBeforeTheDefaultWait() async throws {
        try await QueryAPIHarness.run(projectorRunning: false) { api in
            let customer = try await api.registerCustomer("Waiting")
            // Opens the query side's first connection, which is not what this measures.
            _ = try await api.get("/customers")
            // The whole test suite runs in parallel on two cores, where one
            // request can stall for seconds (the CI machine has shown 5 s,
            // and a fastest of ten at 1.1 s in a full run). The fastest of up
            // to ten attempts shows what the service does: had it ignored
            // the 50 ms and waited the 5 s default, none of them could come
            // in under half of that.
            var fastest = Duration.seconds(3600)
            for _ in 1...10 {
                let started = ContinuousClock.now
                let answer = try await api.get("/customers/\(customer.id)", after: customer.token, waitMilliseconds: 50)
                fastest = min(fastest, ContinuousClock.now - started)
                #expect(answer.status == 404)
                #expect(answer.consistency == "stale")
                #expect(answer.isProblem)
                if fastest < .milliseconds(500) { break }
            }
            #expect(fastest < .milliseconds(2500), "took \(fastest)")

            let list = try await api.get("/customers", after: customer.token, waitMilliseconds: 50)
            #expect(list.status == 200 && list.consistency == "stale" && list.items.isEmpty)
            let noWait = try await api.get("/orders", after: customer.token, waitMilliseconds: 0)
            #expect(noWait.status == 200 && noWait.consistency == "stale")
            #expect(api.watcher.waiting == 0)

            // The same token once the projector runs: waits, then fresh.
            api.projector.start()
            let fresh = try await api.get("/customers/\(customer.id)", after: customer.token, waitMilliseconds: 30000)
            #expect(fresh.status == 200 && fresh.consistency == "fresh")
            #expect(fresh.json["name"] as? String == "Waiting")
            // Reached already: answered at once, also with wait 0.
            let again = try await api.get("/customers", after: customer.token, waitMilliseconds: 0)
            #expect(again.consistency == "fresh" && again.items.count == 1)
        }
    }

    @Test func withoutATokenConsistencySaysWhetherTheViewsReadLag() async throws {
        try await QueryAPIHarness.run(projectorRunning: false) { api in
            #expect(try await api.get("/orders").consistency == "fresh")
            #expect(try await api.get("/customers").consistency == "fresh")
            let customer = try await api.registerCustomer("Lag")
            let paths = ["/orders", "/orders/\(UUID())", "/customers", "/customers/\(customer.id)",
                         "/reports/daily-sales?from=2026-01-01&to=2026-12-31"]
            for path in paths {
                let answer = try await api.get(path)
                #expect(answer.consistency == "stale", "\(path)")
            }
            #expect(try await api.get("/customers/\(customer.id)").status == 404)
            api.projector.start()
            try await api.caughtUp()
            for path in paths {
                #expect(try await api.get(path).consistency == "fresh", "\(path)")
            }
            #expect(try await api.get("/customers/\(customer.id)").status == 200)
        }
    }

    @Test func eachRouteWaitsOnlyForTheProjectionItReads() async throws {
        try await QueryAPIHarness.run { api in
            let customer = try await api.registerCustomer("Selective")
            let order = try await api.placeOrder(customer: customer.id)
            try await api.caughtUp()
            // Hold the daily-sales projection back at its checkpoint.
            await api.projector.stop()
            let confirmed = try await api.run(.post, "/orders/\(order.id)/confirm")
            try await api.probe.query("""
                UPDATE projection_checkpoints AS c SET transaction_id = e.transaction_id, global_position = e.global_position
                FROM (SELECT transaction_id, global_position FROM events ORDER BY transaction_id DESC, global_position DESC
                      LIMIT 1) AS e
                WHERE c.name = 'orders'
                """)
            let orders = try await api.get("/orders/\(order.id)", after: confirmed.token, waitMilliseconds: 0)
            #expect(orders.consistency == "fresh")
            let sales = try await api.get("/reports/daily-sales?from=2026-01-01&to=2026-12-31", after: confirmed.token,
                                          waitMilliseconds: 0)
            #expect(sales.consistency == "stale")
            let customers = try await api.get("/customers/\(customer.id)", after: confirmed.token, waitMilliseconds: 0)
            #expect(customers.consistency == "stale")
        }
    }

    @Test func aWaitingRequestStopsWaitingWhenItsTaskIsCancelled() async throws {
        try await QueryAPIHarness.run(projectorRunning: false) { api in
            let customer = try await api.registerCustomer("Gone Away")
            let request = Task { try await api.get("/customers/\(customer.id)", after: customer.token, waitMilliseconds: 30000) }
            try await Self.untilWaiting(api, 1)
            #expect(api.watcher.waiting == 1)
            let cancelled = ContinuousClock.now
            request.cancel()
            // Judged against the 30 s the request asked for, with room for
            // a loaded machine's stalls.
            while api.watcher.waiting > 0 && ContinuousClock.now - cancelled < .seconds(20) {
                try await Task.sleep(for: .milliseconds(5))
            }
            let stoppedWaiting = ContinuousClock.now - cancelled
            #expect(stoppedWaiting < .seconds(15), "still waiting \(stoppedWaiting) after cancellation")
            _ = await request.result
            #expect(ContinuousClock.now - cancelled < .seconds(20))
        }
    }

    /// Many waiting requests, one LISTEN connection: the projector's
    /// notification wakes them all.
    @Test func concurrentWaitersShareOneListenConnection() async throws {
        try await QueryAPIHarness.run(projectorRunning: false) { api in
            let customer = try await api.registerCustomer("Crowd")
            var tokens: [(String, String)] = []
            for _ in 0..<40 {
                let order = try await api.placeOrder(customer: customer.id)
                tokens.append((order.id, order.token))
            }
            try await withThrowingTaskGroup(of: QueryAPIHarness.Answer.self) { group in
                for (id, token) in tokens {
                    group.addTask { try await api.get("/orders/\(id)", after: token, waitMilliseconds: 20000) }
                }
                try await Self.untilWaiting(api, tokens.count)
                #expect(api.watcher.waiting == tokens.count)
                let listeners = try await api.probe.query("""
                    SELECT count(*) FROM pg_stat_activity
                    WHERE datname = current_database() AND query = 'LISTEN "chronicle_projections"'
                    """)[0].decode(Int.self, at: 0)
                #expect(listeners == 1)
                api.projector.start()
                // Fresh means woken before the 20 s wait ran out.
                for try await answer in group {
                    #expect(answer.status == 200 && answer.consistency == "fresh", "\(answer.body)")
                }
            }
            #expect(api.watcher.waiting == 0)
        }
    }

    /// READ_DATABASE_URL: views and checkpoints come from the read server,
    /// which no NOTIFY reaches; the short re-check finds its progress. The
    /// "replica" here is a second database whose rows the test writes, as
    /// replay would.
    @Test func aReadServerIsReCheckedWhileRequestsWait() async throws {
        let replica = try await TestDatabase.createMigrated()
        try await QueryAPIHarness.run(readDatabase: { _ in replica.conninfo }) { api in
            let ready = try await api.get("/health/ready")
            #expect(ready.status == 200, "\(ready.body)")
            let checks = ready.json["checks"] as? [String: String] ?? [:]
            #expect(checks["read database"] == "ok" && checks["read schema"] == "current" && checks["database"] == "ok",
                    "\(ready.body)")

            let customer = try await api.registerCustomer("Replicated")
            try await api.caughtUp()  // on the primary
            let position = try #require(ConsistencyToken(customer.token)).position
            let clock = ContinuousClock()
            let started = clock.now
            let request = Task {
                try await api.get("/customers/\(customer.id)", after: customer.token, waitMilliseconds: 30000)
            }
            try await Self.untilWaiting(api, 1)
            try await Task.sleep(for: .milliseconds(300))
            #expect(api.watcher.waiting == 1, "the primary's progress must not count")
            let replay = try await replica.connect()
            try await replay.withTransaction { tx in
                try await tx.query("""
                    INSERT INTO customers_view (customer_id, name, email, order_count, total_spent, last_order_at, version)
                    VALUES (\(UUID(uuidString: customer.id)!), 'Replicated', 'r@example.com', 0, 0, NULL, 1)
                    """)
                try await tx.query("""
                    INSERT INTO projection_checkpoints (name, transaction_id, global_position)
                    VALUES ('customers', \(position.transactionID)::xid8, \(position.globalPosition))
                    ON CONFLICT (name) DO UPDATE SET transaction_id = excluded.transaction_id,
                                                     global_position = excluded.global_position
                    """)
            }
            await replay.close()
            let answer = try await request.value
            let elapsed = clock.now - started
            #expect(answer.status == 200 && answer.consistency == "fresh", "\(answer.body)")
            #expect(answer.json["name"] as? String == "Replicated")
            // Without the re-check the request would wait its whole 30 s
            // (no NOTIFY reaches a read server); 20 s leaves room
            // for a loaded machine's stalls.
            #expect(elapsed < .seconds(20), "took \(elapsed)")
        }
        let admin = try await Connection.connect(TestEnvironment.serverURL)
        try await admin.execute(unsafeScript: "DROP DATABASE IF EXISTS \(quoteIdentifier(replica.name)) WITH (FORCE)")
        await admin.close()
    }

    /// Polls until `count` requests wait (or 20 s pass, less than any wait the tests ask for).
    static func untilWaiting(_ api: QueryAPIHarness, _ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while api.watcher.waiting < count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
