import EventSourcing
import Foundation
import LibPQ
import ReadModel
import Shop
import ShopDomain
import TestSupport
import Testing

@Suite("Daily sales projection and report")
struct DailySalesProjectionTests {
    let ada = Fixture.customer(1)

    /// Day 1: A, B, C placed, A confirmed. Day 2: B confirmed, C cancelled
    /// while pending, D placed and grown. Day 3: A cancelled (confirmed on day
    /// 1), D confirmed. Day 4: nothing. Day 5: D cancelled, B shipped.
    @Test func revenueCountsConfirmationsMinusConfirmedCancellations() async throws {
        try await withConnection { connection in
            var log = EventLog()
            let (a, b, c, d) = (Fixture.order(1), Fixture.order(2), Fixture.order(3), Fixture.order(4))
            func line(_ price: Money) -> [OrderLine] { [OrderLine(sku: "X", quantity: 1, unitPrice: price)] }
            log.append(.placed(customer: ada, lines: line("10.10"), shippingAddress: Fixture.berlin,
                               at: time("2026-11-24T00:00:00.000Z")), to: a)
            log.append(.placed(customer: ada, lines: line("20.20"), shippingAddress: Fixture.berlin,
                               at: time("2026-11-24T08:00:00.000Z")), to: b)
            log.append(.placed(customer: ada, lines: line("0.30"), shippingAddress: Fixture.berlin,
                               at: time("2026-11-24T09:00:00.000Z")), to: c)
            log.append(.confirmed(at: time("2026-11-24T23:59:59.999Z")), to: a)
            log.append(.confirmed(at: time("2026-11-25T00:00:00.000Z")), to: b)
            log.append(.cancelled(reason: "no", at: time("2026-11-25T01:00:00.000Z")), to: c)
            log.append(.placed(customer: ada, lines: line("5.55"), shippingAddress: Fixture.berlin,
                               at: time("2026-11-25T02:00:00.000Z")), to: d)
            log.append(.itemAdded(OrderLine(sku: "Y", quantity: 3, unitPrice: "0.37"), at: time("2026-11-25T03:00:00.000Z")),
                       to: d)
            log.append(.cancelled(reason: "no", at: time("2026-11-26T10:00:00.000Z")), to: a)
            log.append(.confirmed(at: time("2026-11-26T11:00:00.000Z")), to: d)
            log.append(.cancelled(reason: "no", at: time("2026-11-28T10:00:00.000Z")), to: d)
            log.append(.shipped(carrier: nil, trackingNumber: nil, at: time("2026-11-28T11:00:00.000Z")), to: b)
            try await project(log.events, on: connection)

            let report = try await queries.dailySales(from: "2026-11-01", to: "2026-11-30", on: connection)
            #expect(report.days == [
                DailySales(date: "2026-11-24", ordersPlaced: 3, ordersCancelled: 0, revenue: "10.10"),
                DailySales(date: "2026-11-25", ordersPlaced: 1, ordersCancelled: 1, revenue: "20.20"),
                DailySales(date: "2026-11-26", ordersPlaced: 0, ordersCancelled: 1, revenue: "-3.44"),
                DailySales(date: "2026-11-28", ordersPlaced: 0, ordersCancelled: 1, revenue: "-6.66"),
            ])
            #expect(try json(report) == """
                {"days":[{"date":"2026-11-24","orders_cancelled":0,"orders_placed":3,"revenue":"10.10"},\
                {"date":"2026-11-25","orders_cancelled":1,"orders_placed":1,"revenue":"20.20"},\
                {"date":"2026-11-26","orders_cancelled":1,"orders_placed":0,"revenue":"-3.44"},\
                {"date":"2026-11-28","orders_cancelled":1,"orders_placed":0,"revenue":"-6.66"}]}
                """)

            // Both ends are included; days outside are not.
            let middle = try await queries.dailySales(from: "2026-11-25", to: "2026-11-26", on: connection)
            #expect(middle.days.map(\.date) == ["2026-11-25", "2026-11-26"])
            let quiet = try await queries.dailySales(from: "2026-11-27", to: "2026-11-27", on: connection)
            #expect(quiet.days.isEmpty)
            #expect(try json(quiet) == #"{"days":[]}"#)
        }
    }

    @Test func smallAmountsAddUpExactly() async throws {
        try await withConnection { connection in
            var log = EventLog()
            for n in 1...30 {
                let order = Fixture.order(n)
                log.append(.placed(customer: ada, lines: [OrderLine(sku: "DIME", quantity: 1, unitPrice: "0.10")],
                                   shippingAddress: Fixture.berlin, at: time("2026-11-24T10:00:00.000Z")), to: order)
                log.append(.confirmed(at: time("2026-11-24T11:00:00.000Z")), to: order)
            }
            log.append(.placed(customer: ada, lines: [OrderLine(sku: "BIG", quantity: 1000, unitPrice: "9999999.99")],
                               shippingAddress: Fixture.berlin, at: time("2026-11-24T10:00:00.000Z")), to: Fixture.order(31))
            log.append(.confirmed(at: time("2026-11-24T12:00:00.000Z")), to: Fixture.order(31))
            try await project(log.events, on: connection)
            let report = try await queries.dailySales(from: "2026-11-24", to: "2026-11-24", on: connection)
            #expect(report.days == [DailySales(date: "2026-11-24", ordersPlaced: 31, ordersCancelled: 0,
                                               revenue: "9999999993.00")])
        }
    }

    @Test func dayParsesOnlyRealDates() {
        let parse: (String) -> Day? = Day.init
        #expect(parse("2024-02-29")?.description == "2024-02-29")
        #expect(parse("2023-02-29") == nil)
        #expect(parse("2026-1-01") == nil)
        #expect(parse("2026-01-01T") == nil)
        #expect(parse("+026-01-01") == nil)
        #expect(parse("0000-01-01") == nil)
        #expect(parse("２026-01-01") == nil)
        #expect(Day("2026-11-24").distance(to: "2027-11-24") == 365)
        #expect(Day(containing: time("2026-11-24T23:59:59.999Z")) == "2026-11-24")
        #expect(Day(containing: time("1969-12-31T23:59:59.999Z")) == "1969-12-31")
        #expect(Day(containing: time("2000-03-01T00:00:00.000Z")) == "2000-03-01")
        #expect(Day(containing: time("2024-02-29T12:00:00.000Z")).daysSinceEpoch == 19782)
    }
}
