import EventSourcing
import Foundation
import LibPQ
public import ReadModel
import Shop
import ShopDomain
import TestSupport
import Wire

// Literal spellings of the domain's values come from TestSupport.
extension Day: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = Day(value)! }
}

/// `"2026-11-24T10:15:30.123Z"` as a Date.
func time(_ text: String) -> Date { Timestamp.parse(text)! }

enum Fixture {
    static let berlin = ShippingAddress(line1: "Unter den Linden 1", city: "Berlin", postalCode: "10117", country: "DE")
    static let paris = ShippingAddress(line1: "1 Rue de Rivoli", line2: "Apt 4", city: "Paris", postalCode: "75001",
                                       country: "FR")
    static let mugs = OrderLine(sku: "MUG", quantity: 2, unitPrice: "4.50")
    static let tea = OrderLine(sku: "TEA-01", quantity: 1, unitPrice: "19.99")

    /// Ids that sort in the order of `n` (PostgreSQL compares uuids bytewise).
    static func customer(_ n: Int) -> CustomerID { CustomerID(uuid(prefix: "c", n)) }
    static func order(_ n: Int) -> OrderID { OrderID(uuid(prefix: "0", n)) }

    private static func uuid(prefix: Character, _ n: Int) -> UUID {
        let digits = String(n)
        let tail = String(repeating: "0", count: 12 - digits.count) + digits
        return UUID(uuidString: "\(prefix)0000000-0000-4000-8000-\(tail)")!
    }
}

/// The shop's events in a test log, encoded by its codecs.
typealias EventLog = TestEventLog

extension TestEventLog {
    @discardableResult
    mutating func append(_ event: Customer.Event, to customer: CustomerID) -> RecordedEvent {
        append(event, Customer.codec, to: Customer.stream(customer), at: event.at)
    }

    @discardableResult
    mutating func append(_ event: Order.Event, to order: OrderID) -> RecordedEvent {
        append(event, Order.codec, to: Order.stream(order), at: event.at)
    }
}

/// Applies `events` through the shop's projections (unless told others),
/// each in its own transaction as the projector does.
func project(_ events: [RecordedEvent], through projections: [any ReadModelProjection] = ProjectionRegistry.shop.all(),
             on connection: Connection) async throws {
    try await TestSupport.project(events, through: projections, on: connection)
}

let queries = ShopQueries()

/// The contents of the shop's projections' tables in `schema`.
func snapshot(_ schema: String = "public", on connection: Connection) async throws -> [String: String] {
    try await TestSupport.snapshot(of: .shop, schema, on: connection)
}
