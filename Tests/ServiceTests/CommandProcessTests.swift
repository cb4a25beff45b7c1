import Foundation
import LibPQ
import TestSupport
import Testing

/// Two command-service processes on one database, as behind a load
/// balancer: they keep no state of their own, so concurrent commands to the
/// same streams through both behave as through one.
@Suite("Command service processes side by side")
struct CommandProcessTests {
    static func json(_ body: String) -> [String: Any] { QueryProcessTests.json(body) }

    @Test func concurrentWritesToOneStreamThroughTwoProcessesAreAllRetriedAndContiguous() async throws {
        try await TestDatabase.withMigrated { database in
            let services = [try await RunningService.start("command-service", database: database),
                            try await RunningService.start("command-service", database: database)]
            let registered = try await services[0].request(
                "POST", "/customers", body: #"{"name": "Two Doors", "email": "two@example.com"}"#)
            let customer = try #require(Self.json(registered.body)["customer_id"] as? String)
            let placed = try await services[1].request(
                "POST", "/orders", body: ShutdownTests.orderBody.replacingOccurrences(of: "CUSTOMER", with: customer))
            let order = try #require(Self.json(placed.body)["order_id"] as? String)

            // Five commands, alternating between the processes, all held at
            // their append until all have read the order: four lose the
            // first race whichever process they went through, and the retry
            // budget (five attempts) serves them all.
            let writers = 5
            let answers = try await TableGate.race(writers, writingTo: "events", in: database.conninfo) { n in
                try await services[n % 2].request("POST", "/orders/\(order)/items",
                                                  body: #"{"sku": "S-\#(n)", "quantity": 1, "unit_price": "1.00"}"#)
            }
            #expect(answers.map(\.status) == Array(repeating: 200, count: writers), "\(answers.map(\.body))")
            #expect(answers.compactMap { Self.json($0.body)["version"] as? Int }.sorted() == Array(2...(1 + writers)))
            let probe = try await database.connect()
            let versions = try await probe.query(
                "SELECT stream_version FROM events WHERE stream_id = \(UUID(uuidString: order)!) ORDER BY stream_version")
                .map { try $0.decode(Int.self, at: 0) }
            #expect(versions == Array(1...(1 + writers)))

            // One email, two sign-ups, one through each process, racing at
            // the append: one is created, the other a conflict.
            let emails = ["race@example.com", "RACE@example.COM"]
            let signUps = try await TableGate.race(2, writingTo: "events", in: database.conninfo) { n in
                try await services[n].request("POST", "/customers",
                                              body: #"{"name": "Racer \#(n)", "email": "\#(emails[n])"}"#).status
            }
            #expect(signUps.sorted() == [201, 409])
            #expect(try await ProjectionProbe.count(
                "SELECT count(*) FROM events WHERE event_type = 'customer.registered'", on: probe) == 2)

            // One Idempotency-Key, repeated through both processes at once:
            // one append, one answer.
            let key = "both-doors"
            let repeats = try await withThrowingTaskGroup(of: RunningService.HTTPAnswer.self) { group in
                for n in 0..<6 {
                    group.addTask {
                        try await services[n % 2].request("POST", "/orders/\(order)/confirm", headers: ["Idempotency-Key": key])
                    }
                }
                return try await group.reduce(into: [RunningService.HTTPAnswer]()) { $0.append($1) }
            }
            #expect(repeats.allSatisfy { $0.status == 200 }, "\(repeats.map(\.status))")
            #expect(Set(repeats.map(\.body)).count == 1)
            #expect(try await ProjectionProbe.count(
                "SELECT count(*) FROM events WHERE event_type = 'order.confirmed'", on: probe) == 1)

            for service in services { #expect(await service.stop() == 0) }
            await probe.close()
        }
    }
}
