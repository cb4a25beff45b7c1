import EventSourcing
import Foundation
import HTTPTypes
import LibPQ
import PostgresEventStore
import ReadModel
import ShopDomain
import TestSupport
import Testing

@Suite("Query service: routes, parameters and statuses")
struct QueryAPITests {
    // MARK: Lookups

    @Test func anOrderIsFoundWithEveryFieldAndUnknownOrNonUUIDIdsAre404() async throws {
        try await QueryAPIHarness.run { api in
            let customer = try await api.registerCustomer("Ada Lovelace")
            let order = try await api.placeOrder(customer: customer.id, items: """
                [{"sku": "A-1", "quantity": 2, "unit_price": "19.99"}, {"sku": "B-2", "quantity": 3, "unit_price": "0.10"}]
                """)
            try await api.caughtUp()

            let found = try await api.get("/orders/\(order.id)")
            #expect(found.status == 200, "\(found.body)")
            #expect(found.headers[.contentType] == "application/json")
            #expect(found.consistency == "fresh")
            let json = found.json
            #expect(json["order_id"] as? String == order.id)
            #expect(json["customer_id"] as? String == customer.id)
            #expect(json["customer_name"] as? String == "Ada Lovelace")
            #expect(json["status"] as? String == "pending")
            #expect(json["item_count"] as? Int == 5)
            #expect(json["total_amount"] as? String == "40.28")
            #expect(json["version"] as? Int == 1)
            let items = try #require(json["items"] as? [[String: Any]])
            #expect(items.map { $0["sku"] as? String } == ["A-1", "B-2"])
            #expect(items.map { $0["line_total"] as? String } == ["39.98", "0.30"])
            #expect(items.map { $0["unit_price"] as? String } == ["19.99", "0.10"])
            let address = try #require(json["shipping_address"] as? [String: Any])
            #expect(address["country"] as? String == "GB")
            for key in ["created_at", "updated_at"] {
                let time = try #require(json[key] as? String)
                #expect(time.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(time)")
            }

            let unknown = try await api.get("/orders/\(UUID().uuidString.lowercased())")
            #expect(unknown.status == 404)
            #expect(unknown.isProblem)
            #expect(unknown.consistency == "fresh")
            for path in ["/orders/not-a-uuid", "/orders/1234", "/customers/\(order.id)x"] {
                let notUUID = try await api.get(path)
                #expect(notUUID.status == 404, "\(path)")
                #expect(notUUID.isProblem)
                #expect(notUUID.consistency != nil)
            }
        }
    }

    @Test func aCustomerIsFoundWithTotalsAndNullLastOrderUntilTheFirstOrder() async throws {
        try await QueryAPIHarness.run { api in
            let ada = try await api.registerCustomer("Ada")
            let bob = try await api.registerCustomer("Bob")
            let kept = try await api.placeOrder(customer: ada.id)
            let dropped = try await api.placeOrder(customer: ada.id)
            _ = try await api.run(.post, "/orders/\(dropped.id)/cancel", json: #"{"reason": "no"}"#)
            _ = kept
            try await api.caughtUp()

            let found = try await api.get("/customers/\(ada.id)")
            #expect(found.status == 200, "\(found.body)")
            #expect(found.consistency == "fresh")
            #expect(found.json["customer_id"] as? String == ada.id)
            #expect(found.json["name"] as? String == "Ada")
            #expect(found.json["order_count"] as? Int == 2)
            #expect(found.json["total_spent"] as? String == "39.98")
            #expect(found.json["last_order_at"] is String)
            #expect(found.json["version"] as? Int == 1)
            #expect((found.json["email"] as? String)?.hasSuffix("@example.com") == true)

            let withoutOrders = try await api.get("/customers/\(bob.id)")
            #expect(withoutOrders.status == 200)
            #expect(withoutOrders.json["last_order_at"] is NSNull)
            #expect(withoutOrders.json["total_spent"] as? String == "0.00")

            let unknown = try await api.get("/customers/\(UUID().uuidString)")
            #expect(unknown.status == 404 && unknown.isProblem && unknown.consistency == "fresh")
            #expect(try await api.get("/customers/nobody").status == 404)
        }
    }

    // MARK: Lists

    @Test func ordersArePagedNewestFirstWithEdgePages() async throws {
        try await QueryAPIHarness.run { api in
            // Placed through the domain at times a second apart: distinct
            // created_at without waiting for the clock.
            let shop = ShopWriter(store: PostgresEventStore(pool: api.probe))
            let customer = try await shop.registerCustomer("Pager")
            var placed: [String] = []
            for n in 0..<5 {
                let id = try await Self.place(shop, customer, quantity: 1, price: "1.00",
                                              at: Self.time("2026-03-01T10:00:0\(n)Z"))
                placed.append(id.description)
            }
            try await api.caughtUp()
            let newestFirst = Array(placed.reversed())
            func ids(_ answer: QueryAPIHarness.Answer) -> [String] { answer.items.compactMap { $0["order_id"] as? String } }

            let defaults = try await api.get("/orders")
            #expect(defaults.status == 200)
            #expect(ids(defaults) == newestFirst)
            #expect(defaults.json["page"] as? Int == 1)
            #expect(defaults.json["page_size"] as? Int == 20)
            #expect(defaults.json["total"] as? Int == 5)
            #expect(Set(defaults.items[0].keys) == ["order_id", "customer_id", "customer_name", "status", "item_count",
                                                    "total_amount", "created_at", "updated_at"])

            let first = try await api.get("/orders?page=1&page_size=2")
            #expect(ids(first) == Array(newestFirst[0..<2]))
            let last = try await api.get("/orders?page=3&page_size=2")
            #expect(ids(last) == [newestFirst[4]])
            #expect(last.json["total"] as? Int == 5)
            let pastTheEnd = try await api.get("/orders?page=4&page_size=2")
            #expect(pastTheEnd.status == 200)
            #expect(pastTheEnd.items.isEmpty)
            #expect(pastTheEnd.json["total"] as? Int == 5)
            #expect(pastTheEnd.json["page"] as? Int == 4)
            let farPastTheEnd = try await api.get("/orders?page=2147483647&page_size=100")
            #expect(farPastTheEnd.status == 200 && farPastTheEnd.items.isEmpty)

            let one = try await api.get("/orders?page_size=1&page=2")
            #expect(ids(one) == [newestFirst[1]])
            let hundred = try await api.get("/orders?page_size=100")
            #expect(ids(hundred) == newestFirst)
            #expect(hundred.json["page_size"] as? Int == 100)
            // As in JSON bodies, 2.0 counts as 2.
            #expect(ids(try await api.get("/orders?page=2.0&page_size=2")) == Array(newestFirst[2..<4]))
        }
    }

    @Test(arguments: [
        ("page_size=0", ["page_size"]), ("page_size=101", ["page_size"]), ("page=0", ["page"]),
        ("page=-1", ["page"]), ("page=abc", ["page"]), ("page_size=1.5", ["page_size"]), ("page=", ["page"]),
        ("page=2147483648", ["page"]), ("page=1&page=2", ["page"]), ("status=lost", ["status"]),
        ("status=PENDING", ["status"]), ("customer_id=nope", ["customer_id"]),
        ("customer_id=nope&status=lost&page=0&page_size=101", ["customer_id", "status", "page", "page_size"]),
    ])
    func badOrderListParametersAreA422NamingEachOne(_ query: String, _ fields: [String]) async throws {
        try await QueryAPIHarness.run(projectorRunning: false) { api in
            let answer = try await api.get("/orders?\(query)")
            #expect(answer.status == 422, "\(query): \(answer.body)")
            #expect(answer.isProblem)
            #expect(answer.errorFields == fields, "\(query): \(answer.body)")
            #expect(answer.json["type"] as? String == "https://chronicle.dev/problems/validation")
        }
    }

    @Test func badCustomerListParametersAndAnOutOfRangeWaitAreNamedTogether() async throws {
        try await QueryAPIHarness.run(projectorRunning: false) { api in
            let both = try await api.get("/customers?page=0&page_size=0")
            #expect(both.status == 422)
            #expect(both.errorFields == ["page", "page_size"])
            let withWait = try await api.get("/customers?page_size=101", headers: ["Consistency-Wait": "30001"])
            #expect(withWait.status == 422)
            #expect(withWait.errorFields == ["Consistency-Wait", "page_size"])
        }
    }

    @Test func ordersFilterByCustomerAndStatus() async throws {
        try await QueryAPIHarness.run { api in
            let ada = try await api.registerCustomer("Ada")
            let bob = try await api.registerCustomer("Bob")
            let pending = try await api.placeOrder(customer: ada.id)
            let confirmed = try await api.placeOrder(customer: ada.id)
            _ = try await api.run(.post, "/orders/\(confirmed.id)/confirm")
            let cancelled = try await api.placeOrder(customer: ada.id)
            _ = try await api.run(.post, "/orders/\(cancelled.id)/cancel", json: #"{"reason": "no"}"#)
            let bobs = try await api.placeOrder(customer: bob.id)
            _ = try await api.run(.post, "/orders/\(bobs.id)/confirm")
            try await api.caughtUp()
            func ids(_ query: String) async throws -> Set<String> {
                let answer = try await api.get("/orders?\(query)")
                #expect(answer.status == 200, "\(query): \(answer.body)")
                #expect(answer.json["total"] as? Int == answer.items.count, "\(query)")
                return Set(answer.items.compactMap { $0["order_id"] as? String })
            }
            #expect(try await ids("customer_id=\(ada.id)") == [pending.id, confirmed.id, cancelled.id])
            #expect(try await ids("customer_id=\(ada.id.uppercased())") == [pending.id, confirmed.id, cancelled.id])
            #expect(try await ids("customer_id=\(bob.id)") == [bobs.id])
            #expect(try await ids("status=confirmed") == [confirmed.id, bobs.id])
            #expect(try await ids("status=cancelled") == [cancelled.id])
            #expect(try await ids("status=shipped") == [])
            #expect(try await ids("customer_id=\(ada.id)&status=confirmed") == [confirmed.id])
            #expect(try await ids("customer_id=\(bob.id)&status=pending") == [])
            #expect(try await ids("customer_id=\(UUID().uuidString.lowercased())") == [])
            let statuses = try await api.get("/orders?customer_id=\(ada.id)").items.compactMap { $0["status"] as? String }
            #expect(Set(statuses) == ["pending", "confirmed", "cancelled"])
        }
    }

    @Test func customersAreOrderedByNameThenIDAndPaged() async throws {
        try await QueryAPIHarness.run { api in
            var byName: [String: [String]] = [:]
            for name in ["Bob", "alice", "Alice", "Bob", "Émile", "Zoë"] {
                byName[name, default: []].append(try await api.registerCustomer(name).id)
            }
            try await api.caughtUp()
            // Code point order: upper case before lower case, then accents.
            let expected = ["Alice", "Bob", "Bob", "Zoë", "alice", "Émile"]
            let all = try await api.get("/customers?page_size=100")
            #expect(all.status == 200)
            #expect(all.consistency == "fresh")
            #expect(all.items.compactMap { $0["name"] as? String } == expected)
            #expect(all.items.filter { $0["name"] as? String == "Bob" }.compactMap { $0["customer_id"] as? String }
                    == byName["Bob"]!.sorted())
            #expect(all.json["total"] as? Int == 6)
            #expect(Set(all.items[0].keys) == ["customer_id", "name", "email", "order_count", "total_spent",
                                               "last_order_at", "version"])

            let second = try await api.get("/customers?page=2&page_size=4")
            #expect(second.items.compactMap { $0["name"] as? String } == ["alice", "Émile"])
            #expect(try await api.get("/customers?page=3&page_size=4").items.isEmpty)
            #expect(try await api.get("/customers?page_size=1").items.compactMap { $0["name"] as? String } == ["Alice"])
            let defaults = try await api.get("/customers")
            #expect(defaults.json["page"] as? Int == 1 && defaults.json["page_size"] as? Int == 20)
        }
    }

    // MARK: Daily sales

    @Test func dailySalesCountsAndRevenueInExactDecimalsAcrossDays() async throws {
        try await QueryAPIHarness.run { api in
            let shop = ShopWriter(store: PostgresEventStore(pool: api.probe))
            let customer = try await shop.registerCustomer("Reporter")
            let day1 = Self.time("2026-03-01T10:00:00Z"), day2 = Self.time("2026-03-02T23:59:59Z")
            let day4 = Self.time("2026-03-04T00:00:00Z"), day5 = Self.time("2026-03-05T12:00:00Z")
            let a = try await Self.place(shop, customer, quantity: 2, price: "4.50", at: day1)     // 9.00
            let b = try await Self.place(shop, customer, quantity: 1, price: "10.10", at: day1)    // 10.10
            try await shop.order(a, .confirm(at: day1))
            try await shop.order(a, .cancel(reason: "late", at: day2))       // confirmed: −9.00 on day 2
            try await shop.order(b, .confirm(at: day2))                      // +10.10 on day 2
            let c = try await Self.place(shop, customer, quantity: 7, price: "0.07", at: day2)
            try await shop.order(c, .cancel(reason: "oops", at: day2))       // pending: no revenue change
            let d = try await Self.place(shop, customer, quantity: 3, price: "0.10", at: day4)     // 0.30
            try await shop.order(d, .confirm(at: day4))
            try await shop.order(d, .cancel(reason: "gone", at: day5))       // −0.30 on day 5
            try await api.caughtUp()

            let report = try await api.get("/reports/daily-sales?from=2026-03-01&to=2026-03-31")
            #expect(report.status == 200, "\(report.body)")
            #expect(report.consistency == "fresh")
            let days = try #require(report.json["days"] as? [[String: Any]])
            #expect(days.map { $0["date"] as? String } == ["2026-03-01", "2026-03-02", "2026-03-04", "2026-03-05"])
            #expect(days.map { $0["orders_placed"] as? Int } == [2, 1, 1, 0])
            #expect(days.map { $0["orders_cancelled"] as? Int } == [0, 2, 0, 1])
            #expect(days.map { $0["revenue"] as? String } == ["9.00", "1.10", "0.30", "-0.30"])

            let oneDay = try await api.get("/reports/daily-sales?from=2026-03-02&to=2026-03-02")
            #expect((oneDay.json["days"] as? [[String: Any]])?.map { $0["date"] as? String } == ["2026-03-02"])
            let empty = try await api.get("/reports/daily-sales?from=2026-03-03&to=2026-03-03")
            #expect(empty.status == 200 && empty.body == #"{"days":[]}"#)
            // 366 days, both ends included, is the most.
            #expect(try await api.get("/reports/daily-sales?from=2026-03-01&to=2027-03-01").status == 200)
            #expect(try await api.get("/reports/daily-sales?from=2024-01-01&to=2024-12-31").status == 200)
        }
    }

    @Test(arguments: [
        ("from=2026-03-02&to=2026-03-01", ["from"]), ("from=2026-03-01&to=2027-03-02", ["to"]),
        ("from=2024-01-01&to=2025-01-01", ["to"]), ("from=2026-02-30&to=2026-03-01", ["from"]),
        ("from=2026-3-1&to=2026-03-01", ["from"]), ("from=2026-03-01", ["to"]), ("to=2026-03-01", ["from"]),
        ("", ["from", "to"]), ("from=yesterday&to=2026-13-01", ["from", "to"]),
        ("from=2026-03-01T00:00:00Z&to=2026-03-02", ["from"]), ("from=2026-03-01&to=2026-03-02&to=2026-03-03", ["to"]),
    ])
    func badDailySalesRangesAreA422NamingTheParameter(_ query: String, _ fields: [String]) async throws {
        try await QueryAPIHarness.run(projectorRunning: false) { api in
            let answer = try await api.get("/reports/daily-sales?\(query)")
            #expect(answer.status == 422, "\(query): \(answer.body)")
            #expect(answer.isProblem)
            #expect(answer.errorFields == fields, "\(query): \(answer.body)")
        }
    }

    static func time(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    static func place(_ shop: ShopWriter, _ customer: CustomerID, quantity: Int, price: String, at time: Date)
        async throws -> OrderID {
        let id = OrderID(UUID())
        try await shop.order(id, .place(
            customer: customer, lines: [OrderLine(sku: Sku("SKU-\(quantity)")!, quantity: quantity,
                                                  unitPrice: Money(parsing: price)!)],
            shippingAddress: ShippingAddress(line1: "1 Main St", city: "Berlin", postalCode: "10117",
                                             country: "DE"), at: time))
        return id
    }

    // MARK: Projections

    @Test func projectionsShowStateCheckpointLagAndLastError() async throws {
        try await QueryAPIHarness.run(projectorRunning: false) { api in
            let before = try await api.get("/projections")
            #expect(before.status == 200, "\(before.body)")
            #expect(before.consistency == "fresh")
            #expect(before.array.map { $0["name"] as? String } == ProjectionRegistry.served.names.sorted())
            _ = try await api.registerCustomer("Lagging")
            _ = try await api.registerCustomer("Lagging Too")
            let lagging = try await api.get("/projections")
            for projection in lagging.array {
                #expect(Set(projection.keys) == ["name", "state", "checkpoint", "lag_events", "last_error"])
                #expect(projection["state"] as? String == "running")
                #expect(projection["checkpoint"] as? Int == 0)
                #expect(projection["lag_events"] as? Int == 2)
                #expect(projection["last_error"] is NSNull)
            }

            api.projector.start()
            try await api.caughtUp()
            let caughtUp = try await api.get("/projections")
            #expect(caughtUp.array.count == ProjectionRegistry.served.names.count)
            for projection in caughtUp.array {
                #expect(projection["checkpoint"] as? Int == 2, "\(caughtUp.body)")
                #expect(projection["lag_events"] as? Int == 0)
                #expect(projection["last_error"] is NSNull)
            }
            // A token does not make /projections wait: it reads no view.
            let withToken = try await api.get("/projections", after: "c1.zzzzzz.zzzzzz", waitMilliseconds: 30000)
            #expect(withToken.status == 200 && withToken.consistency == "fresh")

            // A failed projection shows its error: ProjectorTests'
            // poisonEventStopsOnlyItsProjectionVisiblyAndResumesAfterAFix
            // checks it through a real failure.
        }
    }

    // MARK: Headers

    @Test(arguments: ["nope", "", "c1.", "c1.1", "c1.a.b.c", "c1.A.B", "c2.1.1", "c1.-1.1", "c1.1.-1", "c1.1 .1"])
    func aMalformedConsistencyTokenIsA400(_ token: String) async throws {
        try await QueryAPIHarness.run(projectorRunning: false) { api in
            for path in ["/orders", "/customers/\(UUID())", "/reports/daily-sales?from=2026-01-01&to=2026-01-02",
                         "/projections"] {
                let answer = try await api.get(path, headers: ["Consistency-Token": token])
                #expect(answer.status == 400, "\(path) with '\(token)': \(answer.body)")
                #expect(answer.isProblem)
                #expect(answer.json["type"] as? String == "https://chronicle.dev/problems/bad-request")
            }
        }
    }

    @Test(arguments: [("abc", 400), ("1.5", 400), ("", 400), ("5s", 400), ("0x10", 400), ("30001", 422),
                      ("-1", 422), ("99999999999999999999999", 422), ("0", 200), ("30000", 200), ("+100", 200)])
    func consistencyWaitIsCheckedEvenWithoutAToken(_ wait: String, _ status: Int) async throws {
        try await QueryAPIHarness.run(projectorRunning: false) { api in
            for path in ["/orders", "/projections"] {
                let answer = try await api.get(path, headers: ["Consistency-Wait": wait])
                #expect(answer.status == status, "\(path) with '\(wait)': \(answer.body)")
                if status == 422 { #expect(answer.errorFields == ["Consistency-Wait"]) }
                if status != 200 { #expect(answer.isProblem) }
            }
        }
    }

    @Test func anUnreachableDatabaseIsA503WithRetryAfter() async throws {
        try await QueryAPIHarness.withUnreachableDatabase { client in
            for (path, headers) in [("/orders", [:]), ("/customers/\(UUID())", [:]), ("/projections", [:]),
                                    ("/orders", ["Consistency-Token": "c1.1.1"])] as [(String, [String: String])] {
                let answer = try await QueryAPIHarness.send(client, .get, path, headers: headers)
                #expect(answer.status == 503, "\(path): \(answer.body)")
                #expect(answer.isProblem)
                #expect(answer.headers[.retryAfter] != nil)
            }
        }
    }
}
