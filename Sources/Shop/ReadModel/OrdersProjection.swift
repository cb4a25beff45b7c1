public import EventSourcing
import Foundation
public import LibPQ
public import ReadModel
import ShopDomain
import Wire

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
/// Statements are set-based; see `ProjectionBatch`.
public struct OrdersProjection: DeclarativeProjection {
    public static let name = "orders"
    public static let tableNames = ["orders_view", "orders_view_lines", "orders_status_counts", "orders_customer_names"]

    public let schema: String
    /// Schema-qualified table names, for the statements here and the shop's queries.
    let view: String
    let lines: String
    let counts: String
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

    /// Names first: an order placed in the same round as its customer's
    /// registration reads the name from `orders_customer_names`.
    public var handlers: [ProjectionHandler] {
        [
            ProjectionHandler("customer.registered", "customer.renamed", codec: Customer.codec, row: { event, recorded in
                let name: PersonName = switch event {
                case let .registered(name, _, _), let .renamed(name, _): name
                }
                return ["customer_id": .id(recorded.stream.id), "name": .string(name.value)]
            }, write: customerNamed),
            ProjectionHandler("order.placed", codec: Order.codec, row: { event, recorded in
                guard case let .placed(customer, placedLines, address, at) = event else { return nil }
                let lines: [JSONValue] = placedLines.enumerated().map { position, line in
                    .object(["sku": .string(line.sku.value), "position": .int(position + 1),
                             "quantity": .int(line.quantity), "unit_price": .money(line.unitPrice)])
                }
                return Self.address(address).merging([
                    "order_id": .id(recorded.stream.id), "customer_id": .id(customer.uuid),
                    "item_count": .int(placedLines.itemCount), "total_amount": .money(placedLines.totalAmount),
                    "lines": .array(lines), "at": .time(at), "version": .int(recorded.streamVersion),
                ]) { $1 }
            }, write: placed),
            ProjectionHandler("order.item_added", codec: Order.codec, row: { event, recorded in
                guard case let .itemAdded(line, at) = event else { return nil }
                return ["order_id": .id(recorded.stream.id), "sku": .string(line.sku.value),
                        "quantity": .int(line.quantity), "unit_price": .money(line.unitPrice), "at": .time(at),
                        "version": .int(recorded.streamVersion)]
            }, write: itemAdded),
            ProjectionHandler("order.item_removed", codec: Order.codec, row: { event, recorded in
                guard case let .itemRemoved(sku, at) = event else { return nil }
                return ["order_id": .id(recorded.stream.id), "sku": .string(sku.value), "at": .time(at),
                        "version": .int(recorded.streamVersion)]
            }, write: itemRemoved),
            ProjectionHandler("order.shipping_address_changed", codec: Order.codec, row: { event, recorded in
                guard case let .shippingAddressChanged(address, at) = event else { return nil }
                return Self.address(address).merging([
                    "order_id": .id(recorded.stream.id), "at": .time(at), "version": .int(recorded.streamVersion),
                ]) { $1 }
            }, write: shippingAddressChanged),
            ProjectionHandler("order.confirmed", "order.shipped", "order.cancelled", codec: Order.codec,
                              row: { event, recorded in
                let status: Order.Status
                switch event {
                case .confirmed: status = .confirmed
                case .shipped: status = .shipped
                case .cancelled: status = .cancelled
                default: return nil
                }
                return ["order_id": .id(recorded.stream.id), "status": .string(status.rawValue), "at": .time(event.at),
                        "version": .int(recorded.streamVersion)]
            }, write: statusChanged),
        ]
    }

    private static func address(_ address: ShippingAddress) -> [String: JSONValue] {
        ["ship_line1": .string(address.line1), "ship_line2": .text(address.line2), "ship_city": .string(address.city),
         "ship_postal_code": .string(address.postalCode), "ship_country": .string(address.country.value)]
    }

    /// Remembers each name and writes it into the customer's orders (none, at
    /// registration, unless an order came first), through the customer index.
    private func customerNamed(_ rows: String) -> SQL {
        """
        WITH e AS (
            SELECT * FROM jsonb_to_recordset(\(rows)::jsonb) AS e(customer_id uuid, name text)
        ), named AS (
            INSERT INTO \(unsafeRaw: names) (customer_id, name) SELECT customer_id, name FROM e
            ON CONFLICT (customer_id) DO UPDATE SET name = excluded.name
        )
        UPDATE \(unsafeRaw: view) AS v SET customer_name = e.name
        FROM e WHERE v.customer_id = e.customer_id AND v.customer_name <> e.name
        """
    }

    /// Inserts the orders and their lines, taking each customer's name as
    /// known now, and counts them as pending.
    private func placed(_ rows: String) -> SQL {
        """
        WITH e AS (
            SELECT * FROM jsonb_to_recordset(\(rows)::jsonb) AS e(
                order_id uuid, customer_id uuid, item_count int, total_amount bigint, ship_line1 text, ship_line2 text,
                ship_city text, ship_postal_code text, ship_country text, at timestamptz, version int, lines jsonb)
        ), placed_lines AS (
            INSERT INTO \(unsafeRaw: lines) (order_id, sku, position, quantity, unit_price)
            SELECT e.order_id, l.sku, l.position, l.quantity, l.unit_price
            FROM e, jsonb_to_recordset(e.lines) AS l(sku text, position int, quantity int, unit_price bigint)
        ), counted AS (
            INSERT INTO \(unsafeRaw: counts) AS c (status, orders)
            SELECT \(Order.Status.pending.rawValue), count(*) FROM e
            ON CONFLICT (status) DO UPDATE SET orders = c.orders + excluded.orders
        )
        INSERT INTO \(unsafeRaw: view) (order_id, customer_id, customer_name, status, item_count, total_amount,
            ship_line1, ship_line2, ship_city, ship_postal_code, ship_country, created_at, updated_at, version)
        SELECT e.order_id, e.customer_id, coalesce(n.name, ''), \(Order.Status.pending.rawValue), e.item_count,
               e.total_amount, e.ship_line1, e.ship_line2, e.ship_city, e.ship_postal_code, e.ship_country,
               e.at, e.at, e.version
        FROM e LEFT JOIN \(unsafeRaw: names) AS n ON n.customer_id = e.customer_id
        """
    }

    /// Merges into the line of the same sku (same price, the decider made
    /// sure) or appends a line after the order's last one.
    private func itemAdded(_ rows: String) -> SQL {
        """
        WITH e AS (
            SELECT * FROM jsonb_to_recordset(\(rows)::jsonb) AS e(
                order_id uuid, sku text, quantity int, unit_price bigint, at timestamptz, version int)
        ), added AS (
            INSERT INTO \(unsafeRaw: lines) AS l (order_id, sku, position, quantity, unit_price)
            SELECT e.order_id, e.sku,
                   coalesce((SELECT max(position) FROM \(unsafeRaw: lines) WHERE order_id = e.order_id), 0) + 1,
                   e.quantity, e.unit_price
            FROM e
            ON CONFLICT (order_id, sku) DO UPDATE SET quantity = l.quantity + excluded.quantity
        )
        UPDATE \(unsafeRaw: view) AS v
        SET item_count = v.item_count + e.quantity, total_amount = v.total_amount + e.quantity * e.unit_price,
            updated_at = e.at, version = e.version
        FROM e WHERE v.order_id = e.order_id
        """
    }

    /// Deletes each line and takes what it held off its order's counts.
    private func itemRemoved(_ rows: String) -> SQL {
        """
        WITH e AS (
            SELECT * FROM jsonb_to_recordset(\(rows)::jsonb) AS e(order_id uuid, sku text, at timestamptz, version int)
        ), removed AS (
            DELETE FROM \(unsafeRaw: lines) AS l USING e WHERE l.order_id = e.order_id AND l.sku = e.sku
            RETURNING l.order_id, l.quantity, l.unit_price
        )
        UPDATE \(unsafeRaw: view) AS v
        SET item_count = v.item_count - coalesce(r.quantity, 0),
            total_amount = v.total_amount - coalesce(r.quantity * r.unit_price, 0),
            updated_at = e.at, version = e.version
        FROM e LEFT JOIN removed AS r ON r.order_id = e.order_id
        WHERE v.order_id = e.order_id
        """
    }

    private func shippingAddressChanged(_ rows: String) -> SQL {
        """
        UPDATE \(unsafeRaw: view) AS v
        SET ship_line1 = e.ship_line1, ship_line2 = e.ship_line2, ship_city = e.ship_city,
            ship_postal_code = e.ship_postal_code, ship_country = e.ship_country, updated_at = e.at, version = e.version
        FROM jsonb_to_recordset(\(rows)::jsonb) AS e(
            order_id uuid, ship_line1 text, ship_line2 text, ship_city text, ship_postal_code text, ship_country text,
            at timestamptz, version int)
        WHERE v.order_id = e.order_id
        """
    }

    /// Sets each status and moves the orders between the status counts (a
    /// cancellation may come from pending or confirmed: the old status is
    /// read in the same statement).
    private func statusChanged(_ rows: String) -> SQL {
        """
        WITH e AS (
            SELECT * FROM jsonb_to_recordset(\(rows)::jsonb) AS e(order_id uuid, status text, at timestamptz, version int)
        ), moved AS (
            SELECT v.status AS old_status, e.status AS new_status
            FROM \(unsafeRaw: view) AS v JOIN e ON v.order_id = e.order_id
            WHERE v.status <> e.status
        ), changed AS (
            UPDATE \(unsafeRaw: view) AS v SET status = e.status, updated_at = e.at, version = e.version
            FROM e WHERE v.order_id = e.order_id
        )
        INSERT INTO \(unsafeRaw: counts) AS c (status, orders)
        SELECT status, sum(delta) FROM (
            SELECT old_status AS status, -1 AS delta FROM moved
            UNION ALL
            SELECT new_status, 1 FROM moved
        ) AS m
        GROUP BY status
        ON CONFLICT (status) DO UPDATE SET orders = c.orders + excluded.orders
        """
    }
}
