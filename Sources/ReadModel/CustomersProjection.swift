import EventSourcing
import Foundation
import LibPQ
import ShopDomain

/// Projects customers into `customers_view`: name, email, and from their
/// orders `order_count` (all of them), `total_spent` (the totals of those not
/// cancelled, following items added and removed while pending) and
/// `last_order_at`.
///
/// The order events name only their order, so this projection keeps its own
/// `customers_orders` (order → customer, line amounts, total, cancelled) and
/// applies each order event as a delta to the customer's row.
///
/// `customers_count` keeps how many customers there are, for the total of
/// the customer list.
///
/// A registration sums the orders already seen for the customer: none with
/// our write side (an order needs a registered customer, and the log is
/// applied in order), but the counts stay exact if that ever changes.
public struct CustomersProjection: ReadModelProjection {
    public static let name = "customers"
    public static let tableNames = ["customers_view", "customers_count", "customers_orders"]

    public let schema: String
    private let view: String
    private let count: String
    private let orders: String

    public init(schema: String = "public") {
        self.schema = schema
        view = ReadModelSchema.qualified("customers_view", in: schema)
        count = ReadModelSchema.qualified("customers_count", in: schema)
        orders = ReadModelSchema.qualified("customers_orders", in: schema)
    }

    public var name: String { Self.name }
    public var tables: [String] { Self.tableNames }

    /// Creates this projection's tables and indexes in `schema` (see `ReadModelSchema`).
    public static func createTables(in schema: String, on connection: Connection) async throws {
        try await ReadModelSchema.createTables(function: "customers_projection_create_tables", in: schema,
                                               on: connection)
    }

    public func apply(_ events: [RecordedEvent], on connection: Connection) async throws {
        var batch = ProjectionBatch(projection: name)
        for recorded in events {
            let statement: SQL? = switch try batch.decode(recorded) {
            case let .customer(customer, .registered(name, email, _)):
                registered(customer, name: name, email: email, version: recorded.streamVersion)
            case let .customer(customer, .renamed(name, _)):
                """
                UPDATE \(unsafeRaw: view) SET name = \(name.value), version = \(recorded.streamVersion)
                WHERE customer_id = \(customer.uuid)
                """
            case let .order(order, .placed(customer, lines, _, at)):
                placed(order, customer: customer, lines: lines, at: at)
            case let .order(order, .itemAdded(line, _)):
                itemAdded(order, line)
            case let .order(order, .itemRemoved(sku, _)):
                itemRemoved(order, sku)
            case let .order(order, .cancelled(_, _)):
                cancelled(order)
            case .order(_, .shippingAddressChanged), .order(_, .confirmed), .order(_, .shipped):
                nil
            }
            if let statement { batch.add(statement, for: recorded) }
        }
        try await batch.run(on: connection)
    }

    private func registered(_ customer: CustomerID, name: PersonName, email: Email, version: Int) -> SQL {
        """
        WITH counted AS (
            UPDATE \(unsafeRaw: count) SET customers = customers + 1
        )
        INSERT INTO \(unsafeRaw: view) (customer_id, name, email, order_count, total_spent, last_order_at, version)
        SELECT \(customer.uuid)::uuid, \(name.value)::text, \(email.value)::text, count(*),
               coalesce(sum(total) FILTER (WHERE NOT cancelled), 0), max(created_at), \(version)::int
        FROM \(unsafeRaw: orders) WHERE customer_id = \(customer.uuid)
        """
    }

    private func placed(_ order: OrderID, customer: CustomerID, lines: [OrderLine], at: Date) -> SQL {
        let total = lines.reduce(Money.zero) { $0 + $1.lineTotal }
        return """
            WITH placed AS (
                INSERT INTO \(unsafeRaw: orders) (order_id, customer_id, line_totals, total, cancelled, created_at)
                VALUES (\(order.uuid), \(customer.uuid), \(LineTotalsJSON(lines).text)::jsonb, \(total.minorUnits),
                        false, \(at))
            )
            UPDATE \(unsafeRaw: view)
            SET order_count = order_count + 1, total_spent = total_spent + \(total.minorUnits),
                last_order_at = greatest(last_order_at, \(at)::timestamptz)
            WHERE customer_id = \(customer.uuid)
            """
    }

    private func itemAdded(_ order: OrderID, _ line: OrderLine) -> SQL {
        let amount = line.lineTotal.minorUnits
        return """
            WITH changed AS (
                UPDATE \(unsafeRaw: orders)
                SET line_totals = line_totals || jsonb_build_object(\(line.sku.value)::text,
                        coalesce((line_totals->>\(line.sku.value)::text)::bigint, 0) + \(amount)::bigint),
                    total = total + \(amount)
                WHERE order_id = \(order.uuid)
                RETURNING customer_id, cancelled
            )
            UPDATE \(unsafeRaw: view) AS c SET total_spent = c.total_spent + \(amount)
            FROM changed WHERE c.customer_id = changed.customer_id AND NOT changed.cancelled
            """
    }

    /// The event names only the sku: the amount comes from `line_totals`.
    private func itemRemoved(_ order: OrderID, _ sku: Sku) -> SQL {
        """
        WITH removed AS (
            SELECT customer_id, cancelled, coalesce((line_totals->>\(sku.value)::text)::bigint, 0) AS amount
            FROM \(unsafeRaw: orders) WHERE order_id = \(order.uuid)
        ), changed AS (
            UPDATE \(unsafeRaw: orders) AS o
            SET line_totals = o.line_totals - \(sku.value)::text, total = o.total - removed.amount
            FROM removed WHERE o.order_id = \(order.uuid)
        )
        UPDATE \(unsafeRaw: view) AS c SET total_spent = c.total_spent - removed.amount
        FROM removed WHERE c.customer_id = removed.customer_id AND NOT removed.cancelled
        """
    }

    private func cancelled(_ order: OrderID) -> SQL {
        """
        WITH cancelled AS (
            UPDATE \(unsafeRaw: orders) SET cancelled = true
            WHERE order_id = \(order.uuid) AND NOT cancelled
            RETURNING customer_id, total
        )
        UPDATE \(unsafeRaw: view) AS c SET total_spent = c.total_spent - cancelled.total
        FROM cancelled WHERE c.customer_id = cancelled.customer_id
        """
    }
}

/// An order's line amounts as one JSON object, sku → quantity × unit price
/// in minor units: what a projection needs to take a removed line off a total.
struct LineTotalsJSON {
    let text: String

    init(_ lines: [OrderLine]) {
        var text = "{"
        for (index, line) in lines.enumerated() {
            if index > 0 { text += "," }
            text += "\(JSONString(line.sku.value)):\(line.lineTotal.minorUnits)"
        }
        self.text = text + "}"
    }
}
