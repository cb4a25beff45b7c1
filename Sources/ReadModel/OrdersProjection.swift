import EventSourcing
import Foundation
import LibPQ
import ShopDomain

/// Projects orders into `orders_view` (one row per order, as the order
/// queries show it) and `orders_view_lines` (its lines), with the customer's
/// current name denormalized into every order.
///
/// The names come from this projection's own `orders_customer_names`, fed by
/// customer.registered and customer.renamed: a rename rewrites the name in
/// every order of the customer with one statement. An order placed for a
/// customer this projection has not seen (our write side cannot do that, as
/// placing checks the customer exists and the log is applied in order) gets
/// an empty name, filled in when the registration arrives.
///
/// `orders_status_counts` keeps how many orders have each status, for the
/// totals of order lists not filtered by customer.
///
/// An event for an order this projection has not seen changes nothing: a
/// stream's first event is order.placed, and the log is applied in order.
public struct OrdersProjection: ReadModelProjection {
    public static let name = "orders"
    public static let tableNames = ["orders_view", "orders_view_lines", "orders_status_counts", "orders_customer_names"]

    public let schema: String
    private let view: String
    private let lines: String
    private let counts: String
    private let names: String

    public init(schema: String = "public") {
        self.schema = schema
        view = ReadModelSchema.qualified("orders_view", in: schema)
        lines = ReadModelSchema.qualified("orders_view_lines", in: schema)
        counts = ReadModelSchema.qualified("orders_status_counts", in: schema)
        names = ReadModelSchema.qualified("orders_customer_names", in: schema)
    }

    public var name: String { Self.name }
    public var tables: [String] { Self.tableNames }

    /// Creates this projection's tables and indexes in `schema` (see `ReadModelSchema`).
    public static func createTables(in schema: String, on connection: Connection) async throws {
        try await ReadModelSchema.createTables(function: "orders_projection_create_tables", in: schema, on: connection)
    }

    public func apply(_ events: [RecordedEvent], on connection: Connection) async throws {
        var batch = ProjectionBatch(projection: name)
        for recorded in events {
            switch try batch.decode(recorded) {
            case let .customer(customer, .registered(name, _, _)), let .customer(customer, .renamed(name, _)):
                batch.add(customerNamed(customer, name), for: recorded)
            case let .order(order, event):
                batch.add(orderChanged(order, event, version: recorded.streamVersion), for: recorded)
            }
        }
        try await batch.run(on: connection)
    }

    /// Remembers the name and writes it into the customer's orders (none, at
    /// registration, unless an order came first). Served by the customer index.
    private func customerNamed(_ customer: CustomerID, _ name: PersonName) -> SQL {
        """
        WITH named AS (
            INSERT INTO \(unsafeRaw: names) (customer_id, name) VALUES (\(customer.uuid), \(name.value))
            ON CONFLICT (customer_id) DO UPDATE SET name = excluded.name
        )
        UPDATE \(unsafeRaw: view) SET customer_name = \(name.value)
        WHERE customer_id = \(customer.uuid) AND customer_name <> \(name.value)
        """
    }

    private func orderChanged(_ order: OrderID, _ event: Order.Event, version: Int) -> SQL {
        switch event {
        case let .placed(customer, placedLines, address, at):
            placed(order, customer: customer, lines: placedLines, address: address, at: at, version: version)
        case let .itemAdded(line, at):
            itemAdded(order, line, at: at, version: version)
        case let .itemRemoved(sku, at):
            itemRemoved(order, sku, at: at, version: version)
        case let .shippingAddressChanged(address, at):
            """
            UPDATE \(unsafeRaw: view)
            SET ship_line1 = \(address.line1), ship_line2 = \(address.line2), ship_city = \(address.city),
                ship_postal_code = \(address.postalCode), ship_country = \(address.country.value),
                updated_at = \(at), version = \(version)
            WHERE order_id = \(order.uuid)
            """
        case let .confirmed(at):
            statusChanged(order, to: .confirmed, at: at, version: version)
        case let .shipped(_, _, at):
            statusChanged(order, to: .shipped, at: at, version: version)
        case let .cancelled(_, at):
            statusChanged(order, to: .cancelled, at: at, version: version)
        }
    }

    /// Inserts the order and its lines, and counts it as pending; the name is
    /// looked up in the same statement.
    private func placed(_ order: OrderID, customer: CustomerID, lines placedLines: [OrderLine],
                        address: ShippingAddress, at: Date, version: Int) -> SQL {
        let itemCount = placedLines.reduce(0) { $0 + $1.quantity }
        let total = placedLines.reduce(Money.zero) { $0 + $1.lineTotal }
        return """
            WITH placed_lines AS (
                INSERT INTO \(unsafeRaw: lines) (order_id, sku, position, quantity, unit_price)
                SELECT \(order.uuid)::uuid, line->>'sku', position::int, (line->>'quantity')::int,
                       (line->>'unit_price')::bigint
                FROM jsonb_array_elements(\(LinesJSON(placedLines).text)::jsonb) WITH ORDINALITY AS l(line, position)
            ), counted AS (
                UPDATE \(unsafeRaw: counts) SET orders = orders + 1 WHERE status = \(Order.Status.pending.rawValue)
            )
            INSERT INTO \(unsafeRaw: view) (order_id, customer_id, customer_name, status, item_count, total_amount,
                ship_line1, ship_line2, ship_city, ship_postal_code, ship_country, created_at, updated_at, version)
            VALUES (\(order.uuid), \(customer.uuid),
                coalesce((SELECT name FROM \(unsafeRaw: names) WHERE customer_id = \(customer.uuid)), ''),
                \(Order.Status.pending.rawValue), \(itemCount), \(total.minorUnits),
                \(address.line1), \(address.line2), \(address.city), \(address.postalCode), \(address.country.value),
                \(at), \(at), \(version))
            """
    }

    /// Merges into the line of the same sku (same price, the decider made
    /// sure) or appends a line after the last one.
    private func itemAdded(_ order: OrderID, _ line: OrderLine, at: Date, version: Int) -> SQL {
        """
        WITH added AS (
            INSERT INTO \(unsafeRaw: lines) AS l (order_id, sku, position, quantity, unit_price)
            VALUES (\(order.uuid), \(line.sku.value),
                (SELECT coalesce(max(position), 0) + 1 FROM \(unsafeRaw: lines) WHERE order_id = \(order.uuid)),
                \(line.quantity), \(line.unitPrice.minorUnits))
            ON CONFLICT (order_id, sku) DO UPDATE SET quantity = l.quantity + excluded.quantity
        )
        UPDATE \(unsafeRaw: view)
        SET item_count = item_count + \(line.quantity), total_amount = total_amount + \(line.lineTotal.minorUnits),
            updated_at = \(at), version = \(version)
        WHERE order_id = \(order.uuid)
        """
    }

    /// Deletes the line and takes what it held off the order's counts.
    private func itemRemoved(_ order: OrderID, _ sku: Sku, at: Date, version: Int) -> SQL {
        """
        WITH removed AS (
            DELETE FROM \(unsafeRaw: lines) WHERE order_id = \(order.uuid) AND sku = \(sku.value)
            RETURNING quantity, unit_price
        )
        UPDATE \(unsafeRaw: view)
        SET item_count = item_count - coalesce((SELECT sum(quantity) FROM removed), 0),
            total_amount = total_amount - coalesce((SELECT sum(quantity * unit_price) FROM removed), 0),
            updated_at = \(at), version = \(version)
        WHERE order_id = \(order.uuid)
        """
    }

    /// Sets the status and moves the order from its old status's count to
    /// the new one's (a cancellation may come from pending or confirmed).
    private func statusChanged(_ order: OrderID, to status: Order.Status, at: Date, version: Int) -> SQL {
        """
        WITH old AS (
            SELECT status FROM \(unsafeRaw: view) WHERE order_id = \(order.uuid)
        ), changed AS (
            UPDATE \(unsafeRaw: view) SET status = \(status.rawValue), updated_at = \(at), version = \(version)
            WHERE order_id = \(order.uuid)
        )
        UPDATE \(unsafeRaw: counts) AS c
        SET orders = c.orders + CASE WHEN c.status = old.status THEN -1 ELSE 1 END
        FROM old
        WHERE c.status IN (old.status, \(status.rawValue)) AND old.status <> \(status.rawValue)
        """
    }
}

/// Order lines as one JSON parameter, `[{"sku", "quantity", "unit_price"}]`
/// with prices in minor units, unpacked by `jsonb_array_elements`: one
/// statement inserts all lines of an order.
struct LinesJSON {
    let text: String

    init(_ lines: [OrderLine]) {
        var text = "["
        for (index, line) in lines.enumerated() {
            if index > 0 { text += "," }
            text += #"{"sku":\#(JSONString(line.sku.value)),"quantity":\#(line.quantity),"unit_price":\#(line.unitPrice.minorUnits)}"#
        }
        self.text = text + "]"
    }
}

/// `text` as a JSON string literal. Skus cannot hold characters that need
/// escaping today; this does not rely on it.
func JSONString(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}
