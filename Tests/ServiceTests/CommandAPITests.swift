import Foundation
import HTTPTypes
import LibPQ
import TestSupport
import Testing

@Suite("Command service: routes and statuses")
struct CommandAPITests {
    @Test func everyRouteSucceedsWithItsStatusVersionAndHeaders() async throws {
        try await CommandAPIHarness.run { api in
            let created = try await api.send(.post, "/customers", json: #"{"name": "  Ada Lovelace ", "email": "Ada@Example.com"}"#)
            #expect(created.status == 201)
            let customer = try #require(created.json["customer_id"] as? String)
            #expect(customer == customer.lowercased())
            #expect(created.headers[.location] == "/customers/\(customer)")
            #expect(created.json["version"] as? Int == 1)
            let token = try #require(created.json["consistency_token"] as? String)
            #expect(created.headers[HTTPField.Name("Consistency-Token")!] == token)
            #expect(created.headers[.eTag] == "\"1\"")

            let renamed = try await api.send(.put, "/customers/\(customer)/name", json: #"{"name": "Augusta Ada King"}"#)
            #expect(renamed.status == 200)
            #expect(renamed.json["version"] as? Int == 2)
            #expect(renamed.headers[.location] == nil)

            let placed = try await api.send(.post, "/orders", json: CommandAPIHarness.orderJSON(customer: customer))
            #expect(placed.status == 201)
            let order = try #require(placed.json["order_id"] as? String)
            #expect(placed.headers[.location] == "/orders/\(order)")

            let steps: [(HTTPRequest.Method, String, String?, Int)] = [
                (.post, "/orders/\(order)/items", #"{"sku": "B-2", "quantity": 1, "unit_price": "5.00"}"#, 2),
                (.post, "/orders/\(order)/items", #"{"sku": "B-2", "quantity": 3, "unit_price": "5"}"#, 3),
                (.delete, "/orders/\(order)/items/B-2", nil, 4),
                (.put, "/orders/\(order)/shipping-address",
                 #"{"line1": "2 High St", "line2": "Flat 3", "city": "Leeds", "postal_code": "LS1", "country": "GB"}"#, 5),
                (.post, "/orders/\(order)/confirm", nil, 6),
                (.put, "/orders/\(order)/shipping-address",
                 #"{"line1": "3 Low St", "city": "York", "postal_code": "YO1", "country": "GB"}"#, 7),
                (.post, "/orders/\(order)/ship", #"{"carrier": "DHL", "tracking_number": "123"}"#, 8),
            ]
            for (method, path, body, version) in steps {
                let answer = try await api.send(method, path, body: body.map { Array($0.utf8) })
                #expect(answer.status == 200, "\(method) \(path): \(answer.body)")
                #expect(answer.json["order_id"] as? String == order)
                #expect(answer.json["version"] as? Int == version)
            }

            let second = try await api.placeOrder(customer: customer)
            let confirmed = try await api.send(.post, "/orders/\(second)/confirm")
            #expect(confirmed.status == 200)
            let cancelled = try await api.send(.post, "/orders/\(second)/cancel", json: #"{"reason": "changed my mind"}"#)
            #expect(cancelled.status == 200)
            #expect(cancelled.json["version"] as? Int == 3)
            let third = try await api.placeOrder(customer: customer)
            #expect(try await api.send(.post, "/orders/\(third)/ship", body: []).status == 409)
            #expect(try await api.send(.post, "/orders/\(third)/confirm").status == 200)
            #expect(try await api.send(.post, "/orders/\(third)/ship", body: []).status == 200)
            #expect(try await api.eventCount() == 1 + 1 + 1 + 7 + 3 + 3)
        }
    }

    @Test func eventsCarryMetadataAndTheRequestID() async throws {
        try await CommandAPIHarness.run { api in
            let answer = try await api.send(.post, "/customers", json: #"{"name": "Ada", "email": "meta@example.com"}"#,
                                            headers: ["X-Request-Id": "trace-42"])
            #expect(answer.headers[HTTPField.Name("X-Request-Id")!] == "trace-42")
            let row = try await api.probe.query("SELECT metadata->>'correlation_id', metadata->>'command_id', metadata->>'causation_id' FROM events")[0]
            #expect(try row.decode(String.self, at: 0) == "trace-42")
            let commandID = try row.decode(String.self, at: 1)
            #expect(UUID(uuidString: commandID) != nil && commandID == commandID.lowercased())
            #expect(try row.decode(String.self, at: 2) == commandID)
        }
    }

    @Test func ifMatchRunsOnlyAtThatVersion() async throws {
        try await CommandAPIHarness.run { api in
            let customer = try await api.registerCustomer()
            let order = try await api.placeOrder(customer: customer)
            let item = #"{"sku": "C-3", "quantity": 1, "unit_price": "1.00"}"#
            let stale = try await api.send(.post, "/orders/\(order)/items", json: item, headers: ["If-Match": "\"2\""])
            #expect(stale.status == 412)
            #expect(stale.isProblem)
            #expect(try await api.eventCount() == 2)
            let current = try await api.send(.post, "/orders/\(order)/items", json: item, headers: ["If-Match": "\"1\""])
            #expect(current.status == 200)
            #expect(current.json["version"] as? Int == 2)
            let bare = try await api.send(.post, "/orders/\(order)/confirm", headers: ["If-Match": "2"])
            #expect(bare.status == 200)
            let onCreate = try await api.send(.post, "/customers", json: #"{"name": "B", "email": "b@example.com"}"#,
                                              headers: ["If-Match": "\"1\""])
            #expect(onCreate.status == 412)
            let unknown = try await api.send(.post, "/orders/\(UUID().uuidString)/confirm", headers: ["If-Match": "\"1\""])
            #expect(unknown.status == 404)
            #expect(try await api.eventCount() == 4)
        }
    }

    /// Five commands to one order, held at their append until all five have
    /// read the order (a gate on `events`), so all decide on version 1 and
    /// four lose the first race: this passes only if conflicts are retried.
    /// Each loses at most four races, inside the command service's budget of
    /// five attempts, so every command succeeds, each with its own version.
    /// (EventSourcingTests' writersHeldAtTheSameAppend shows the same set-up
    /// with one attempt: exactly one succeeds.)
    @Test func concurrentCommandsOnOneOrderAreRetriedNotLost() async throws {
        try await CommandAPIHarness.run { api in
            let customer = try await api.registerCustomer()
            let order = try await api.placeOrder(customer: customer)
            let writers = 5
            let answers = try await TableGate.race(writers, writingTo: "events", in: api.database.conninfo) { n in
                try await api.send(.post, "/orders/\(order)/items",
                                   json: #"{"sku": "S-\#(n)", "quantity": 1, "unit_price": "1.00"}"#)
            }
            #expect(answers.map(\.status) == Array(repeating: 200, count: writers), "\(answers.map(\.body))")
            // Every success reports its own version: none was lost or shared.
            let reported = answers.compactMap { $0.json["version"] as? Int }
            #expect(reported.sorted() == Array(2...(1 + writers)), "\(answers.map(\.body))")
            let versions = try await api.probe.query(
                "SELECT stream_version FROM events WHERE stream_id = \(UUID(uuidString: order)!) ORDER BY stream_version")
                .map { try $0.decode(Int.self, at: 0) }
            #expect(versions == Array(1...(1 + writers)))
        }
    }

    @Test func concurrentSignUpsWithOneEmailGiveOneCreatedOneConflict() async throws {
        try await CommandAPIHarness.run { api in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for n in 0..<2 {
                    group.addTask {
                        try await api.send(.post, "/customers",
                                           json: #"{"name": "Racer \#(n)", "email": "\#(n == 0 ? "race@example.com" : "RACE@example.COM")"}"#).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.sorted() == [201, 409])
            #expect(try await api.eventCount() == 1)
        }
    }

    @Test func databaseUnreachableIs503WithRetryAfter() async throws {
        try await CommandAPIHarness.run { api in
            // Kill every session of this test's database mid-test, then make it refuse new ones.
            let admin = try await Connection.connect(TestEnvironment.serverURL)
            try await admin.query("ALTER DATABASE \(unsafeRaw: quoteIdentifierForTest(api.database.name)) ALLOW_CONNECTIONS false")
            try await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(api.database.name) AND pid <> pg_backend_pid()")
            let answer = try await api.send(.post, "/customers", json: #"{"name": "Ada", "email": "down@example.com"}"#)
            #expect(answer.status == 503)
            #expect(answer.headers[.retryAfter] != nil)
            #expect(answer.isProblem)
            try await admin.query("ALTER DATABASE \(unsafeRaw: quoteIdentifierForTest(api.database.name)) ALLOW_CONNECTIONS true")
            await admin.close()
        }
    }
}

func quoteIdentifierForTest(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
