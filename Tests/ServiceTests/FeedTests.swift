import EventFeed
import HTTPTypes
import EventSourcing
import Foundation
import LibPQ
import PostgresEventStore
@testable import QueryService
import TestSupport
import Testing
import Wire

/// `GET /events` as JSON pages (API.md "Event feed"), on the real router.
@Suite("Event feed: pages, cursors and filters")
struct FeedTests {
    /// A page as the client sees it.
    struct Page {
        var events: [[String: Any]]
        var next: String
        var types: [String] { events.compactMap { $0["event_type"] as? String } }
        var cursors: [String] { events.compactMap { $0["cursor"] as? String } }
    }

    static func page(_ answer: CommandAPIHarness.Answer) throws -> Page {
        #expect(answer.status == 200, "\(answer.body)")
        #expect(answer.headers[.contentType] == "application/json")
        return Page(events: answer.json["events"] as? [[String: Any]] ?? [], next: try #require(answer.json["next"] as? String))
    }

    /// The page at `path` once it holds `count` events: a transaction of
    /// another test on the shared server may hold the log's watermark back
    /// for a moment.
    static func page(_ api: QueryAPIHarness, _ path: String, holding count: Int) async throws -> Page {
        try await waitFor("\(path) holding \(count) events", within: Bound.projection) {
            let page = try Self.page(try await api.get(path))
            return page.events.count >= count ? page : nil
        }
    }

    @Test func pagesFollowTheLogAndNextResumesIt() async throws {
        try await QueryAPIHarness.run(projectorRunning: false) { api in
            let first = try await api.registerCustomer("Feed One")
            let order = try await api.placeOrder(customer: first.id)
            _ = try await api.run(.post, "/orders/\(order.id)/confirm")
            let second = try await api.registerCustomer("Feed Two")
            let all = try await Self.page(api, "/events", holding: 4)
            #expect(all.types == ["customer.registered", "order.placed", "order.confirmed", "customer.registered"])
            #expect(all.next == all.cursors.last)
            let event = all.events[1]
            #expect(event["stream_id"] as? String == order.id)
            #expect(event["stream_type"] as? String == "order")
            #expect(event["stream_version"] as? Int == 1)
            #expect(event["event_schema_version"] as? Int == 2)
            #expect((event["data"] as? [String: Any])?["customer_id"] as? String == first.id)
            let metadata = try #require(event["metadata"] as? [String: Any])
            #expect(Set(metadata.keys) == ["command_id", "correlation_id", "causation_id"])
            #expect((event["recorded_at"] as? String).flatMap(Timestamp.parse) != nil)
            #expect(all.events.map { $0["global_position"] as? Int ?? 0 } == all.events.map { $0["global_position"] as? Int ?? 0 }.sorted())
            #expect(all.events.last?["stream_id"] as? String == second.id)

            // Two at a time, each page resuming where the last one ended.
            let firstTwo = try Self.page(try await api.get("/events?limit=2"))
            #expect(firstTwo.cursors == Array(all.cursors.prefix(2)) && firstTwo.next == all.cursors[1])
            let nextTwo = try Self.page(try await api.get("/events?limit=2&after=\(firstTwo.next)"))
            #expect(nextTwo.cursors == Array(all.cursors.suffix(2)))
            // Nothing new: no events, and `next` is the cursor asked with.
            let caughtUp = try Self.page(try await api.get("/events?after=\(nextTwo.next)"))
            #expect(caughtUp.events.isEmpty && caughtUp.next == nextTwo.next)
            // The default page is 100 events.
            #expect(try Self.page(try await api.get("/events")).events.count == 4)
        }
    }

    @Test func filtersKeepTheirEventsAndTheCursorAdvancesOverTheRest() async throws {
        try await QueryAPIHarness.run(projectorRunning: false) { api in
            let customer = try await api.registerCustomer("Filtered")
            let order = try await api.placeOrder(customer: customer.id)
            _ = try await api.run(.post, "/orders/\(order.id)/confirm")
            _ = try await api.run(.post, "/items", json: #"{"sku": "FEED-1", "description": "a mug"}"#)
            let all = try await Self.page(api, "/events", holding: 4)

            let placed = try Self.page(try await api.get("/events?event_type=order.placed"))
            #expect(placed.types == ["order.placed"])
            // Past the confirmation and the item the filter left out.
            #expect(placed.next == all.next)
            let orders = try Self.page(try await api.get("/events?stream_type=order"))
            #expect(orders.types == ["order.placed", "order.confirmed"] && orders.next == all.next)
            let two = try Self.page(try await api.get("/events?stream_type=customer&stream_type=item"))
            #expect(two.types == ["customer.registered", "item.created"])
            let both = try Self.page(try await api.get("/events?stream_type=order&event_type=order.confirmed"))
            #expect(both.types == ["order.confirmed"])
            // A full page of kept events ends at its last event, not beyond.
            let one = try Self.page(try await api.get("/events?stream_type=order&limit=1"))
            #expect(one.types == ["order.placed"] && one.next == all.cursors[1])
            // Nothing kept: still past everything looked at.
            let none = try Self.page(try await api.get("/events?event_type=company.created"))
            #expect(none.events.isEmpty && none.next == all.next)
            let afterwards = try Self.page(try await api.get("/events?event_type=order.placed&after=\(placed.next)"))
            #expect(afterwards.events.isEmpty && afterwards.next == placed.next)
        }
    }

    @Test(arguments: [
        ("after=nonsense", [String: String]()), ("after=c1.1.2", [:]), ("after=e1.1", [:]), ("after=e1.-1.2", [:]),
        ("after=E1.1.2", [:]), ("", ["Last-Event-ID": "nonsense"]), ("after=e1.1.2", ["Last-Event-ID": "e1.x.%"]),
    ])
    func aMalformedCursorIsA400(_ query: String, headers: [String: String]) async throws {
        try await QueryAPIHarness.run(projectorRunning: false) { api in
            let answer = try await api.get("/events?\(query)", headers: headers)
            #expect(answer.status == 400, "\(query) \(headers): \(answer.body)")
            #expect(answer.headers[.contentType] == "application/problem+json")
            let detail = answer.json["detail"] as? String ?? ""
            #expect(detail.contains(headers.isEmpty ? "after" : "Last-Event-ID"), "\(detail)")
        }
    }

    @Test func badLimitsAndUnknownTypesAreOne422NamingEach() async throws {
        try await QueryAPIHarness.run(projectorRunning: false) { api in
            for limit in ["0", "1001", "ten", "1.5"] {
                let answer = try await api.get("/events?limit=\(limit)")
                #expect(answer.status == 422, "limit=\(limit)")
                #expect((answer.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "limit")
            }
            let answer = try await api.get("/events?limit=0&stream_type=order&stream_type=invoice&event_type=order.exploded")
            #expect(answer.status == 422, "\(answer.body)")
            let errors = answer.json["errors"] as? [[String: Any]] ?? []
            #expect(errors.compactMap { $0["field"] as? String }.sorted() == ["event_type", "limit", "stream_type"])
            let messages = errors.compactMap { $0["message"] as? String }.joined(separator: " ")
            #expect(messages.contains("'invoice'") && messages.contains("'order.exploded'") && !messages.contains("'order'"))
            // The known names come from the contexts' declarations.
            #expect(messages.contains("customer") && messages.contains("item") && messages.contains("company"))
            #expect(try await api.get("/events?limit=1000").status == 200)
        }
    }

    @Test func acceptListingTheEventStreamAsksForOne() {
        #expect(FeedRequest.acceptsEventStream(["text/event-stream"]))
        #expect(FeedRequest.acceptsEventStream(["application/json;q=0.5, Text/Event-Stream"]))
        #expect(!FeedRequest.acceptsEventStream(["text/event-stream;q=0"]))
        #expect(!FeedRequest.acceptsEventStream(["application/json", "*/*"]))
        #expect(!FeedRequest.acceptsEventStream([]))
    }

    @Test func cursorsRoundTripAndRejectOtherText() {
        let cursor = FeedCursor(LogPosition(transactionID: 123_456, globalPosition: 789))
        #expect(FeedCursor(cursor.description) == cursor)
        #expect(cursor.description.hasPrefix("e1."))
        #expect(FeedCursor(ConsistencyToken(cursor.position).description) == nil)
        #expect(FeedCursor.start.description == "e1.0.0")
    }
}
