import Foundation
import TestSupport
import Testing

/// The three executables as an operator runs them, on one database:
/// commands over HTTP, then queries over HTTP with the returned token.
@Suite("Query service process: read-your-writes across processes")
struct QueryProcessTests {
    static func json(_ body: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }

    @Test func commandsThenQueriesWithTheirTokensAreFresh() async throws {
        try await TestDatabase.withMigrated { database in
            let commands = try await RunningService.start("command-service", database: database)
            let projector = try await RunningService.start("projector", database: database)
            let queries = try await RunningService.start("query-service", database: database)

            #expect(try await queries.get("/health/ready").status == 200)
            let registered = try await commands.request(
                "POST", "/customers", body: #"{"name": "Process Test", "email": "process@example.com"}"#)
            #expect(registered.status == 201, "\(registered.body)")
            let customer = try #require(Self.json(registered.body)["customer_id"] as? String)
            let customerToken = try #require(registered.headers["consistency-token"])

            let customerView = try await queries.request("GET", "/customers/\(customer)",
                                                         headers: ["Consistency-Token": customerToken, "Consistency-Wait": "30000"])
            #expect(customerView.status == 200, "\(customerView.body)")
            #expect(customerView.headers["consistency"] == "fresh")
            #expect(Self.json(customerView.body)["name"] as? String == "Process Test")

            for round in 1...20 {
                let placed = try await commands.request("POST", "/orders", body: """
                    {"customer_id": "\(customer)", "items": [{"sku": "P-\(round)", "quantity": \(round), "unit_price": "1.25"}],
                     "shipping_address": {"line1": "1 Main St", "city": "Paris", "postal_code": "75001", "country": "FR"}}
                    """)
                #expect(placed.status == 201, "\(placed.body)")
                let answer = Self.json(placed.body)
                let order = try #require(answer["order_id"] as? String)
                let token = try #require(answer["consistency_token"] as? String)

                let orderView = try await queries.request("GET", "/orders/\(order)",
                                                         headers: ["Consistency-Token": token, "Consistency-Wait": "30000"])
                #expect(orderView.status == 200, "round \(round): \(orderView.body)")
                #expect(orderView.headers["consistency"] == "fresh")
                let total = String(format: "%.2f", Double(round) * 1.25)
                #expect(Self.json(orderView.body)["total_amount"] as? String == total)

                let customerAgain = try await queries.request("GET", "/customers/\(customer)",
                                                              headers: ["Consistency-Token": token, "Consistency-Wait": "30000"])
                #expect(customerAgain.headers["consistency"] == "fresh")
                #expect(Self.json(customerAgain.body)["order_count"] as? Int == round)
            }

            let list = try await queries.request("GET", "/orders?customer_id=\(customer)&page_size=100")
            #expect(list.status == 200 && Self.json(list.body)["total"] as? Int == 20)
            let projections = try await queries.get("/projections")
            #expect(projections.status == 200, "\(projections.body)")
            #expect(projections.headers["consistency"] == "fresh")

            #expect(await queries.stop() == 0)
            #expect(await projector.stop() == 0)
            #expect(await commands.stop() == 0)
        }
    }

    /// SIGTERM drains in-flight requests: one waiting for a token the views
    /// never reach is answered at once (stale) instead of holding the exit.
    @Test func sigtermAnswersWaitingRequestsStaleAndExitsZero() async throws {
        try await TestDatabase.withMigrated { database in
            let queries = try await RunningService.start("query-service", database: database,
                                                         extraArguments: ["--log-level", "debug"])
            let port = queries.port
            let waiting = Task {
                try await LoopbackHTTP.send(port: port, method: "GET", path: "/orders",
                                            headers: ["Consistency-Token": "c1.zz.zz", "Consistency-Wait": "30000"])
            }
            // The service logs (at debug) when the request starts to wait.
            try await queries.waitForLog("request waits for projections")
            let stopping = ContinuousClock.now
            let exit = Task { await queries.stop() }
            let answer = try await waiting.value
            #expect(answer.status == 200, "\(answer.body)")
            #expect(answer.headers["consistency"] == "stale")
            #expect(await exit.value == 0)
            // Well before the 30 s wait would have ended.
            #expect(ContinuousClock.now - stopping < .seconds(20))
        }
    }
}
