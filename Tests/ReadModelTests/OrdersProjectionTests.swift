import EventSourcing
import Foundation
import LibPQ
import ReadModel
import Shop
import ShopDomain
import TestSupport
import Testing
import Wire

@Suite("Orders projection and order queries")
struct OrdersProjectionTests {
    let ada = Fixture.customer(1)
    let order = Fixture.order(1)

    @Test func orderViewFollowsLinesTotalsAndStatus() async throws {
        try await withConnection { connection in
            var log = EventLog()
            log.append(.registered(name: "Ada Lovelace", email: "ada@example.org", at: time("2026-11-24T09:00:00.000Z")),
                       to: ada)
            log.append(.placed(customer: ada, lines: [Fixture.mugs, Fixture.tea], shippingAddress: Fixture.berlin,
                               at: time("2026-11-24T10:15:30.123Z")), to: order)
            try await project(log.events, on: connection)

            var view = try #require(try await queries.order(id: order, on: connection))
            #expect(view.customerName == "Ada Lovelace")
            #expect(view.status == .pending)
            #expect(view.items == [OrderLineView(sku: "MUG", quantity: 2, unitPrice: "4.50"),
                                   OrderLineView(sku: "TEA-01", quantity: 1, unitPrice: "19.99")])
            #expect(view.itemCount == 3)
            #expect(view.totalAmount == "28.99")
            #expect(view.version == 1)
            #expect(view.createdAt == view.updatedAt)

            var mark = log.events.count
            log.append(.itemAdded(OrderLine(sku: "MUG", quantity: 1, unitPrice: "4.50"), at: time("2026-11-24T10:16:00.000Z")),
                       to: order)
            log.append(.itemAdded(OrderLine(sku: "SPOON", quantity: 6, unitPrice: "0.50"), at: time("2026-11-24T10:17:00.000Z")),
                       to: order)
            log.append(.itemRemoved(sku: "TEA-01", at: time("2026-11-24T10:18:00.000Z")), to: order)
            try await project(log.since(mark), on: connection)

            view = try #require(try await queries.order(id: order, on: connection))
            #expect(view.items == [OrderLineView(sku: "MUG", quantity: 3, unitPrice: "4.50"),
                                   OrderLineView(sku: "SPOON", quantity: 6, unitPrice: "0.50")])
            #expect(view.items.map(\.lineTotal) == ["13.50", "3.00"])
            #expect(view.itemCount == 9)
            #expect(view.totalAmount == "16.50")
            #expect(view.version == 4)
            #expect(Timestamp.format(view.updatedAt) == "2026-11-24T10:18:00.000Z")
            #expect(Timestamp.format(view.createdAt) == "2026-11-24T10:15:30.123Z")

            mark = log.events.count
            log.append(.shippingAddressChanged(Fixture.paris, at: time("2026-11-24T11:00:00.000Z")), to: order)
            log.append(.confirmed(at: time("2026-11-24T12:00:00.000Z")), to: order)
            try await project(log.since(mark), on: connection)
            view = try #require(try await queries.order(id: order, on: connection))
            #expect(view.status == .confirmed)
            #expect(view.shippingAddress == Fixture.paris)
            #expect(view.version == 6)

            mark = log.events.count
            log.append(.shipped(carrier: "DHL", trackingNumber: "JD0001", at: time("2026-11-25T08:00:00.000Z")), to: order)
            try await project(log.since(mark), on: connection)
            view = try #require(try await queries.order(id: order, on: connection))
            #expect(view.status == .shipped)
            #expect(try json(view) == """
                {"created_at":"2026-11-24T10:15:30.123Z","customer_id":"c0000000-0000-4000-8000-000000000001",\
                "customer_name":"Ada Lovelace","item_count":9,"items":[\
                {"line_total":"13.50","quantity":3,"sku":"MUG","unit_price":"4.50"},\
                {"line_total":"3.00","quantity":6,"sku":"SPOON","unit_price":"0.50"}],\
                "order_id":"00000000-0000-4000-8000-000000000001",\
                "shipping_address":{"city":"Paris","country":"FR","line1":"1 Rue de Rivoli","line2":"Apt 4","postal_code":"75001"},\
                "status":"shipped","total_amount":"16.50","updated_at":"2026-11-25T08:00:00.000Z","version":7}
                """)
        }
    }

    @Test func addressWithoutLine2OmitsIt() async throws {
        try await withConnection { connection in
            var log = EventLog()
            log.append(.placed(customer: ada, lines: [Fixture.mugs], shippingAddress: Fixture.paris,
                               at: time("2026-11-24T10:00:00.000Z")), to: order)
            log.append(.shippingAddressChanged(Fixture.berlin, at: time("2026-11-24T10:01:00.000Z")), to: order)
            try await project(log.events, on: connection)
            let view = try #require(try await queries.order(id: order, on: connection))
            #expect(view.shippingAddress == Fixture.berlin)
            #expect(try json(view).contains(
                #""shipping_address":{"city":"Berlin","country":"DE","line1":"Unter den Linden 1","postal_code":"10117"}"#))
        }
    }

    @Test func cancelledOrderAndReaddedLineGoesLast() async throws {
        try await withConnection { connection in
            var log = EventLog()
            log.append(.placed(customer: ada, lines: [Fixture.mugs, Fixture.tea], shippingAddress: Fixture.berlin,
                               at: time("2026-11-24T10:00:00.000Z")), to: order)
            log.append(.itemRemoved(sku: "MUG", at: time("2026-11-24T10:01:00.000Z")), to: order)
            log.append(.itemAdded(OrderLine(sku: "MUG", quantity: 5, unitPrice: "4.00"), at: time("2026-11-24T10:02:00.000Z")),
                       to: order)
            log.append(.cancelled(reason: "changed my mind", at: time("2026-11-24T10:03:00.000Z")), to: order)
            try await project(log.events, on: connection)
            let view = try #require(try await queries.order(id: order, on: connection))
            #expect(view.items.map(\.sku) == ["TEA-01", "MUG"])
            #expect(view.totalAmount == "39.99")
            #expect(view.itemCount == 6)
            #expect(view.status == .cancelled)
            #expect(view.version == 4)
        }
    }

    @Test func unknownOrderIsNil() async throws {
        try await withConnection { connection in
            let missing = try await queries.order(id: Fixture.order(99), on: connection)
            #expect(missing == nil)
        }
    }

    @Test func renameFansOutToEveryOrderOfTheCustomer() async throws {
        try await withConnection { connection in
            var log = EventLog()
            let bob = Fixture.customer(2)
            log.append(.registered(name: "Ada", email: "ada@example.org", at: time("2026-11-24T09:00:00.000Z")), to: ada)
            log.append(.registered(name: "Bob", email: "bob@example.org", at: time("2026-11-24T09:00:00.000Z")), to: bob)
            let start = time("2026-11-24T10:00:00.000Z")
            for n in 1...100 {
                log.append(.placed(customer: ada, lines: [Fixture.mugs], shippingAddress: Fixture.berlin,
                                   at: start.addingTimeInterval(Double(n))), to: Fixture.order(n))
            }
            log.append(.placed(customer: bob, lines: [Fixture.tea], shippingAddress: Fixture.berlin, at: start),
                       to: Fixture.order(101))
            try await project(log.events, on: connection)

            let mark = log.events.count
            log.append(.renamed(name: #"Ada "Countess" King \ 🙂"#, at: time("2026-11-25T09:00:00.000Z")), to: ada)
            try await project(log.since(mark), on: connection)

            let page = try await queries.orders(customerID: ada, status: nil, page: 1, pageSize: 100, on: connection)
            #expect(page.total == 100)
            #expect(page.items.count == 100)
            #expect(page.items.allSatisfy { $0.customerName == #"Ada "Countess" King \ 🙂"# })
            // The rename is not an order event: versions and times stay.
            #expect(page.items.allSatisfy { $0.createdAt == $0.updatedAt })
            let bobs = try await queries.orders(customerID: bob, status: nil, page: 1, pageSize: 10, on: connection)
            #expect(bobs.items.map(\.customerName) == ["Bob"])
            let one = try #require(try await queries.order(id: Fixture.order(7), on: connection))
            #expect(one.customerName == #"Ada "Countess" King \ 🙂"#)
            #expect(one.version == 1)
        }
    }

    @Test func orderForUnseenCustomerGetsTheNameOnRegistration() async throws {
        try await withConnection { connection in
            var log = EventLog()
            log.append(.placed(customer: ada, lines: [Fixture.mugs], shippingAddress: Fixture.berlin,
                               at: time("2026-11-24T10:00:00.000Z")), to: order)
            try await project(log.events, on: connection)
            #expect(try await queries.order(id: order, on: connection)?.customerName == "")

            let mark = log.events.count
            log.append(.registered(name: "Ada", email: "ada@example.org", at: time("2026-11-24T10:05:00.000Z")), to: ada)
            try await project(log.since(mark), on: connection)
            #expect(try await queries.order(id: order, on: connection)?.customerName == "Ada")
            // The customers projection counts the order seen before the registration.
            let customer = try #require(try await queries.customer(id: ada, on: connection))
            #expect(customer.orderCount == 1)
            #expect(customer.totalSpent == "9.00")
            #expect(customer.lastOrderAt.map(Timestamp.format) == "2026-11-24T10:00:00.000Z")
        }
    }

    @Test func oldSchemaVersionIsUpcastBeforeProjection() async throws {
        try await withConnection { connection in
            var log = EventLog()
            let v1 = #"{"address":{"city":"Berlin","country":"DE","line1":"Unter den Linden 1","postal_code":"10117"},"#
                + #""at":"2026-11-24T10:00:00.000Z","customer_id":"c0000000-0000-4000-8000-000000000001","#
                + #""lines":[{"quantity":3,"sku":"MUG","unit_price_cents":450}]}"#
            log.append(EncodedEvent(type: "order.placed", schemaVersion: 1, data: Array(v1.utf8)),
                       to: Order.stream(order))
            try await project(log.events, on: connection)
            let view = try #require(try await queries.order(id: order, on: connection))
            #expect(view.items == [OrderLineView(sku: "MUG", quantity: 3, unitPrice: "4.50")])
            #expect(view.totalAmount == "13.50")
            #expect(view.shippingAddress == Fixture.berlin)
        }
    }
}
