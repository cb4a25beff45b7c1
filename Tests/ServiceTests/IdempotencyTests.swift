import Foundation
import HTTPTypes
import TestSupport
import Testing

@Suite("Command service: Idempotency-Key")
struct IdempotencyTests {
    @Test func repeatReturnsTheFirstResponseAndAppendsNothing() async throws {
        try await CommandAPIHarness.run { api in
            let body = #"{"name": "Ada", "email": "once@example.com"}"#
            let first = try await api.send(.post, "/customers", json: body, headers: ["Idempotency-Key": "key-1"])
            let again = try await api.send(.post, "/customers", json: body, headers: ["Idempotency-Key": "key-1"])
            #expect(first.status == 201)
            #expect(again.status == 201)
            #expect(again.body == first.body)
            #expect(again.headers[.location] == first.headers[.location])
            #expect(try await api.eventCount() == 1)
        }
    }

    @Test func rejectionsAreKeptToo() async throws {
        try await CommandAPIHarness.run { api in
            let customer = try await api.registerCustomer()
            let order = try await api.placeOrder(customer: customer)
            let first = try await api.send(.post, "/orders/\(order)/ship", headers: ["Idempotency-Key": "ship-early"])
            #expect(first.status == 409)
            #expect(try await api.send(.post, "/orders/\(order)/confirm").status == 200)
            // Now shipping would succeed, but this key already answered 409.
            let again = try await api.send(.post, "/orders/\(order)/ship", headers: ["Idempotency-Key": "ship-early"])
            #expect(again.status == 409)
            #expect(again.body == first.body)
            #expect(try await api.eventCount() == 3)
        }
    }

    @Test func sameKeyWithADifferentRequestIs422() async throws {
        try await CommandAPIHarness.run { api in
            let first = try await api.send(.post, "/customers", json: #"{"name": "Ada", "email": "k@example.com"}"#,
                                           headers: ["Idempotency-Key": "shared"])
            #expect(first.status == 201)
            let otherBody = try await api.send(.post, "/customers", json: #"{"name": "Bob", "email": "bob@example.com"}"#,
                                               headers: ["Idempotency-Key": "shared"])
            #expect(otherBody.status == 422)
            #expect(otherBody.errorFields == ["Idempotency-Key"])
            let customer = try #require(first.json["customer_id"] as? String)
            let otherPath = try await api.send(.put, "/customers/\(customer)/name", json: #"{"name": "Ada", "email": "k@example.com"}"#,
                                               headers: ["Idempotency-Key": "shared"])
            #expect(otherPath.status == 422)
            #expect(try await api.eventCount() == 1)
        }
    }

    @Test func twentyConcurrentRepeatsAppendOnceAndAgree() async throws {
        try await CommandAPIHarness.run { api in
            let customer = try await api.registerCustomer()
            let body = CommandAPIHarness.orderJSON(customer: customer)
            let answers = try await withThrowingTaskGroup(of: CommandAPIHarness.Answer.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await api.send(.post, "/orders", json: body, headers: ["Idempotency-Key": "burst"]) }
                }
                return try await group.reduce(into: [CommandAPIHarness.Answer]()) { $0.append($1) }
            }
            #expect(answers.allSatisfy { $0.status == 201 })
            #expect(Set(answers.map(\.body)).count == 1)
            #expect(try await api.eventCount() == 2)
        }
    }

    /// The first request with the key loses its database connection in the
    /// middle of its transaction, after the key was taken and before its
    /// events: a 503. The key is not kept: a repeat runs the command for real.
    @Test func aFirstAnswerOf503IsNotKept() async throws {
        try await CommandAPIHarness.run { api in
            let customer = try await api.registerCustomer()
            let body = CommandAPIHarness.orderJSON(customer: customer)
            let headers = ["Idempotency-Key": "lost-connection"]
            let gate = try await TableGate.close("events", in: api.database.conninfo)
            let first = Task { try await api.send(.post, "/orders", json: body, headers: headers) }
            let command = try await gate.waitForWaiting(1)[0]
            // Its transaction has written already (the key's row): it holds a transaction id.
            #expect(try await api.probe.query(
                "SELECT count(*) FROM pg_locks WHERE pid = \(command) AND locktype = 'transactionid' AND granted")[0]
                .decode(Int.self, at: 0) == 1)
            try await gate.terminate(command)
            let unavailable = try await first.value
            #expect(unavailable.status == 503, "\(unavailable.body)")
            #expect(unavailable.headers[.retryAfter] != nil)
            try await gate.open()

            let again = try await api.send(.post, "/orders", json: body, headers: headers)
            #expect(again.status == 201, "the 503 was kept: \(again.status) \(again.body)")
            #expect(again.json["order_id"] is String)
            #expect(try await api.eventCount() == 2)
            // Now the key holds the 201.
            let third = try await api.send(.post, "/orders", json: body, headers: headers)
            #expect(third.status == 201 && third.body == again.body)
            #expect(try await api.eventCount() == 2)
        }
    }

    @Test(arguments: ["", String(repeating: "k", count: 256), "has space", "tab\there", "ünïcode"])
    func malformedKeyIs400(_ key: String) async throws {
        try await CommandAPIHarness.run { api in
            let answer = try await api.send(.post, "/customers", json: #"{"name": "Ada", "email": "m@example.com"}"#,
                                            headers: ["Idempotency-Key": key])
            #expect(answer.status == 400)
            #expect(try await api.eventCount() == 0)
        }
    }
}
