import Foundation
import LibPQ
import PostgresEventStore
import ShopDomain
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `chronicle-admin tail`: the feed as JSON lines, live until Ctrl-C.
@Suite("chronicle-admin tail")
struct FeedTailTests {
    static var admin: URL { TestEnvironment.binDirectory.appendingPathComponent("chronicle-admin") }

    /// The JSON objects among a tail's output lines.
    static func lines(_ output: String) -> [[String: Any]] {
        output.split(separator: "\n").filter { $0.hasPrefix("{") }.map { QueryProcessTests.json(String($0)) }
    }

    @Test func printsTheFeedLiveAndEndsCleanlyOnCtrlC() async throws {
        try await TestDatabase.withMigrated { database in
            try await database.withPool(maxConnections: 1) { pool in
                let shop = ShopWriter(store: PostgresEventStore(pool: pool))
                let customer = try await shop.registerCustomer("Tailed")
                try await shop.placeOrder(for: customer)
                let tail = try ChildProcess(Self.admin, ["tail", "--database-url", database.conninfo])
                try await waitUntil("two lines", within: Bound.projection) { Self.lines(tail.output).count == 2 }
                try await shop.rename(customer, to: "Tailed Live")
                try await waitUntil("the live line", within: Bound.projection) { Self.lines(tail.output).count == 3 }
                let lines = Self.lines(tail.output)
                #expect(lines.compactMap { $0["event_type"] as? String }
                        == ["customer.registered", "order.placed", "customer.renamed"])
                #expect(lines.allSatisfy { ($0["cursor"] as? String)?.hasPrefix("e1.") == true && $0["data"] is [String: Any] })
                tail.signal(SIGINT)
                #expect(await tail.wait(timeout: Bound.drain) == 0, "\(tail.output)")

                // Resumed after the second line's cursor, filtered to orders' events: nothing yet, then the next one.
                let cursor = try #require(lines[1]["cursor"] as? String)
                let resumed = try ChildProcess(Self.admin, ["tail", "--database-url", database.conninfo, "--after", cursor,
                                                            "--stream-type", "order"])
                try await shop.order(OrderID(UUID(uuidString: try #require(lines[1]["stream_id"] as? String))!),
                                     .confirm(at: shop.now))
                try await waitUntil("the confirmation", within: Bound.projection) { Self.lines(resumed.output).count == 1 }
                #expect(Self.lines(resumed.output).first?["event_type"] as? String == "order.confirmed")
                resumed.signal(SIGINT)
                #expect(await resumed.wait(timeout: Bound.drain) == 0, "\(resumed.output)")
            }
        }
    }

    @Test(arguments: [(["--after", "nonsense"], "--after"), (["--stream-type", "invoice"], "'invoice'"),
                      (["--event-type", "order.exploded"], "'order.exploded'")])
    func aBadCursorOrAnUnknownTypeIsAMessageAndAFailure(_ arguments: [String], mentions: String) async throws {
        try await TestDatabase.withMigrated { database in
            let (status, output) = try await ChildProcess.run(Self.admin, ["tail", "--database-url", database.conninfo] + arguments)
            #expect(status != 0)
            #expect(output.contains(mentions), "\(output)")
            #expect(output.split(separator: "\n").count <= 2, "\(output)")
        }
    }
}
