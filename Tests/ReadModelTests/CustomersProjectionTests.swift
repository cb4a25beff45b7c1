import EventSourcing
import Foundation
import LibPQ
import ReadModel
import Shop
import ShopDomain
import TestSupport
import Testing
import Wire

@Suite("Customers projection and customer queries")
struct CustomersProjectionTests {
    let ada = Fixture.customer(1)

    @Test func customerWithoutOrdersHasNullLastOrder() async throws {
        try await withConnection { connection in
            var log = EventLog()
            log.append(.registered(name: "Ada Lovelace", email: "Ada@Example.org", at: time("2026-11-24T09:00:00.000Z")),
                       to: ada)
            try await project(log.events, on: connection)
            let view = try #require(try await queries.customer(id: ada, on: connection))
            #expect(try json(view) == """
                {"customer_id":"c0000000-0000-4000-8000-000000000001","email":"Ada@Example.org",\
                "last_order_at":null,"name":"Ada Lovelace","order_count":0,"total_spent":"0.00","version":1}
                """)
            #expect(try await queries.customer(id: Fixture.customer(2), on: connection) == nil)
        }
    }

    @Test func orderCountAndTotalSpentFollowItemsAndCancellations() async throws {
        try await withConnection { connection in
            var log = EventLog()
            let (first, second) = (Fixture.order(1), Fixture.order(2))
            log.append(.registered(name: "Ada", email: "ada@example.org", at: time("2026-11-24T09:00:00.000Z")), to: ada)
            log.append(.placed(customer: ada, lines: [Fixture.mugs, Fixture.tea], shippingAddress: Fixture.berlin,
                               at: time("2026-11-24T10:00:00.000Z")), to: first)
            log.append(.placed(customer: ada, lines: [OrderLine(sku: "PEN", quantity: 10, unitPrice: "1.00")],
                               shippingAddress: Fixture.berlin, at: time("2026-11-24T11:00:00.000Z")), to: second)
            try await project(log.events, on: connection)
            func check(count: Int, spent: Money, version: Int = 1, name: String = "Ada",
                       sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let view = try #require(try await queries.customer(id: ada, on: connection), sourceLocation: sourceLocation)
                #expect(view.orderCount == count, sourceLocation: sourceLocation)
                #expect(view.totalSpent == spent, sourceLocation: sourceLocation)
                #expect(view.version == version, sourceLocation: sourceLocation)
                #expect(view.name == name, sourceLocation: sourceLocation)
                #expect(view.lastOrderAt.map(Timestamp.format) == "2026-11-24T11:00:00.000Z", sourceLocation: sourceLocation)
            }
            try await check(count: 2, spent: "38.99")

            var mark = log.events.count
            log.append(.itemAdded(OrderLine(sku: "MUG", quantity: 1, unitPrice: "4.50"), at: time("2026-11-24T12:00:00.000Z")),
                       to: first)
            try await project(log.since(mark), on: connection)
            try await check(count: 2, spent: "43.49")

            mark = log.events.count
            log.append(.itemRemoved(sku: "TEA-01", at: time("2026-11-24T12:01:00.000Z")), to: first)
            try await project(log.since(mark), on: connection)
            try await check(count: 2, spent: "23.50")

            mark = log.events.count
            log.append(.cancelled(reason: "no", at: time("2026-11-24T12:02:00.000Z")), to: second)
            try await project(log.since(mark), on: connection)
            try await check(count: 2, spent: "13.50")

            mark = log.events.count
            log.append(.confirmed(at: time("2026-11-24T12:03:00.000Z")), to: first)
            log.append(.shippingAddressChanged(Fixture.paris, at: time("2026-11-24T12:04:00.000Z")), to: first)
            try await project(log.since(mark), on: connection)
            try await check(count: 2, spent: "13.50")

            mark = log.events.count
            log.append(.cancelled(reason: "no", at: time("2026-11-24T12:05:00.000Z")), to: first)
            log.append(.renamed(name: "Ada King", at: time("2026-11-24T12:06:00.000Z")), to: ada)
            try await project(log.since(mark), on: connection)
            try await check(count: 2, spent: "0.00", version: 2, name: "Ada King")
        }
    }

    @Test func shippedOrdersStillCount() async throws {
        try await withConnection { connection in
            var log = EventLog()
            let order = Fixture.order(1)
            log.append(.registered(name: "Ada", email: "ada@example.org", at: time("2026-11-24T09:00:00.000Z")), to: ada)
            log.append(.placed(customer: ada, lines: [Fixture.tea], shippingAddress: Fixture.berlin,
                               at: time("2026-11-24T10:00:00.000Z")), to: order)
            log.append(.confirmed(at: time("2026-11-24T10:01:00.000Z")), to: order)
            log.append(.shipped(carrier: nil, trackingNumber: nil, at: time("2026-11-24T10:02:00.000Z")), to: order)
            try await project(log.events, on: connection)
            let view = try #require(try await queries.customer(id: ada, on: connection))
            #expect(view.orderCount == 1)
            #expect(view.totalSpent == "19.99")
        }
    }
}
