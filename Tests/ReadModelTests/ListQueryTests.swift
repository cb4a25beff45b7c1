import EventSourcing
import Foundation
import LibPQ
import ReadModel
import ShopDomain
import TestSupport
import Testing
import Wire

@Suite("List queries: pagination, filters, ordering")
struct ListQueryTests {
    /// 25 orders of three customers, a minute apart (orders 24 and 25 at the
    /// same time), every fourth confirmed and every fifth cancelled.
    static func orders() -> EventLog {
        var log = EventLog()
        for n in 1...3 {
            log.append(.registered(name: try! PersonName(validating: "Customer \(n)"), email: Email("c\(n)@example.org")!,
                                   at: time("2026-11-24T09:00:00.000Z")), to: Fixture.customer(n))
        }
        let start = time("2026-11-24T10:00:00.000Z")
        for n in 1...25 {
            let order = Fixture.order(n)
            log.append(.placed(customer: Fixture.customer(n % 3 + 1), lines: [Fixture.mugs], shippingAddress: Fixture.berlin,
                               at: start.addingTimeInterval(Double(min(n, 24) * 60))), to: order)
            if n % 4 == 0 { log.append(.confirmed(at: start.addingTimeInterval(3600)), to: order) }
            if n % 5 == 0 { log.append(.cancelled(reason: "no", at: start.addingTimeInterval(3600)), to: order) }
        }
        return log
    }

    @Test func ordersNewestFirstAcrossPages() async throws {
        try await withConnection { connection in
            try await project(Self.orders().events, on: connection)
            // Newest first; 25 and 24 share a time, so the higher id comes first.
            let expected = [25, 24] + Array((1...23).reversed())
            var seen: [Int] = []
            for page in 1...3 {
                let result = try await queries.orders(customerID: nil, status: nil, page: page, pageSize: 10, on: connection)
                #expect(result.total == 25)
                #expect(result.page == page)
                #expect(result.pageSize == 10)
                #expect(result.items.count == (page < 3 ? 10 : 5))
                seen += result.items.map { Int($0.orderID.description.suffix(12))! }
            }
            #expect(seen == expected)

            let past = try await queries.orders(customerID: nil, status: nil, page: 4, pageSize: 10, on: connection)
            #expect(past == Page(items: [], page: 4, pageSize: 10, total: 25))
            #expect(try json(past) == #"{"items":[],"page":4,"page_size":10,"total":25}"#)
            let farPast = try await queries.orders(customerID: nil, status: nil, page: .max, pageSize: 100, on: connection)
            #expect(farPast.items.isEmpty && farPast.total == 25)
            let one = try await queries.orders(customerID: nil, status: nil, page: 2, pageSize: 1, on: connection)
            #expect(one.items.map(\.orderID) == [Fixture.order(24)])
        }
    }

    @Test func ordersFilterByCustomerStatusOrBoth() async throws {
        try await withConnection { connection in
            try await project(Self.orders().events, on: connection)
            func ids(_ customer: Int?, _ status: Order.Status?) async throws -> (total: Int, ids: [Int]) {
                let page = try await queries.orders(customerID: customer.map(Fixture.customer), status: status,
                                                    page: 1, pageSize: 100, on: connection)
                return (page.total, page.items.map { Int($0.orderID.description.suffix(12))! })
            }
            let statusOf: (Int) -> Order.Status = { $0 % 5 == 0 ? .cancelled : $0 % 4 == 0 ? .confirmed : .pending }
            let newestFirst = [25, 24] + Array((1...23).reversed())
            for customer in [nil, 1, 2, 3] as [Int?] {
                for status in [nil] + Order.Status.allCases as [Order.Status?] {
                    let expected = newestFirst.filter { n in
                        (customer.map { n % 3 + 1 == $0 } ?? true) && (status.map { statusOf(n) == $0 } ?? true)
                    }
                    let result = try await ids(customer, status)
                    #expect(result.ids == expected, "customer \(String(describing: customer)), status \(String(describing: status))")
                    #expect(result.total == expected.count)
                }
            }
            let summary = try #require(try await queries.orders(customerID: Fixture.customer(1), status: .confirmed,
                                                                page: 1, pageSize: 1, on: connection).items.first)
            #expect(try json(summary) == """
                {"created_at":"2026-11-24T10:24:00.000Z","customer_id":"c0000000-0000-4000-8000-000000000001",\
                "customer_name":"Customer 1","item_count":2,"order_id":"00000000-0000-4000-8000-000000000024",\
                "status":"confirmed","total_amount":"9.00","updated_at":"2026-11-24T11:00:00.000Z"}
                """)
        }
    }

    @Test func emptyTablesGiveEmptyPages() async throws {
        try await withConnection { connection in
            let orders = try await queries.orders(customerID: nil, status: nil, page: 1, pageSize: 20, on: connection)
            #expect(orders == Page(items: [], page: 1, pageSize: 20, total: 0))
            let customers = try await queries.customers(page: 1, pageSize: 20, on: connection)
            #expect(customers == Page(items: [], page: 1, pageSize: 20, total: 0))
        }
    }

    @Test func customersByNameThenId() async throws {
        try await withConnection { connection in
            var log = EventLog()
            // Code point order: upper case before lower case, "É" after "z";
            // equal names by id.
            let names: [(Int, PersonName)] = [(1, "ada"), (2, "Zed"), (3, "Élodie"), (4, "Ada"), (5, "Ada"),
                                              (6, "Bob"), (7, "zoë")]
            for (n, name) in names.reversed() {
                log.append(.registered(name: name, email: Email("c\(n)@example.org")!, at: time("2026-11-24T09:00:00.000Z")),
                           to: Fixture.customer(n))
            }
            try await project(log.events, on: connection)
            let all = try await queries.customers(page: 1, pageSize: 100, on: connection)
            #expect(all.total == 7)
            #expect(all.items.map(\.name) == ["Ada", "Ada", "Bob", "Zed", "ada", "zoë", "Élodie"])
            #expect(all.items.prefix(2).map(\.customerID) == [Fixture.customer(4), Fixture.customer(5)])

            let second = try await queries.customers(page: 2, pageSize: 3, on: connection)
            #expect(second.items.map(\.name) == ["Zed", "ada", "zoë"])
            let last = try await queries.customers(page: 3, pageSize: 3, on: connection)
            #expect(last.items.map(\.name) == ["Élodie"])
            let past = try await queries.customers(page: 4, pageSize: 3, on: connection)
            #expect(past == Page(items: [], page: 4, pageSize: 3, total: 7))

            let page = try await queries.customers(page: 1, pageSize: 1, on: connection)
            #expect(try json(page) == """
                {"items":[{"customer_id":"c0000000-0000-4000-8000-000000000004","email":"c4@example.org",\
                "last_order_at":null,"name":"Ada","order_count":0,"total_spent":"0.00","version":1}],\
                "page":1,"page_size":1,"total":7}
                """)
        }
    }
}
