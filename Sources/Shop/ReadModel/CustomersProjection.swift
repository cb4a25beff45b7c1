public import EventSourcing
import Foundation
public import LibPQ
public import ReadModel
import ShopDomain

/// Projects customers into `customers_view`: name, email, and from their
/// orders `order_count` (all of them), `total_spent` (the totals of those not
/// cancelled, following items added and removed while pending) and
/// `last_order_at`.
///
/// The order events name only their order, so this projection keeps its own
/// `customers_orders` (order → customer, line amounts, total, cancelled) and
/// applies each order event as a delta to the customer's row.
/// `customers_count` keeps how many customers there are, for the total of
/// the customer list.
///
/// A registration sums the orders already seen for the customer: none with
/// our write side (an order needs a registered customer, and the log is
/// applied in order), but the counts stay exact if that ever changes.
/// Statements are set-based; see `ProjectionBatch`.
public struct CustomersProjection: DeclarativeProjection {
    public static let name = "customers"
    public static let tableNames = ["customers_view", "customers_count", "customers_orders"]

    public let schema: String
    /// Schema-qualified table names, for the statements here and the shop's queries.
    let view: String
    let count: String
    private let orders: String

    public init(schema: String = "public") {
        self.schema = schema
        view = ReadModelSchema.qualified("customers_view", in: schema)
        count = ReadModelSchema.qualified("customers_count", in: schema)
        orders = ReadModelSchema.qualified("customers_orders", in: schema)
    }

    public var name: String { Self.name }
    public var tables: [String] { Self.tableNames }

    public var handlers: [ProjectionHandler] {
        [
            ProjectionHandler("customer.registered", codec: Customer.codec, row: { event, recorded in
                guard case let .registered(name, email, _) = event else { return nil }
                return ["customer_id": .id(recorded.stream.id), "name": .string(name.value),
                        "email": .string(email.value), "version": .int(recorded.streamVersion)]
            }, write: registered),
            ProjectionHandler("customer.renamed", codec: Customer.codec, row: { event, recorded in
                guard case let .renamed(name, _) = event else { return nil }
                return ["customer_id": .id(recorded.stream.id), "name": .string(name.value),
                        "version": .int(recorded.streamVersion)]
            }, write: renamed),
            .orderPlaced(write: placed),
            .orderItemAdded(write: itemAdded),
            .orderItemRemoved(write: itemRemoved),
            ProjectionHandler("order.cancelled", codec: Order.codec, row: { _, recorded in
                ["order_id": .id(recorded.stream.id)]
            }, write: cancelled),
        ]
    }

    private func registered(_ rows: String) -> SQL {
        """
        WITH e AS (
            SELECT * FROM jsonb_to_recordset(\(rows)::jsonb) AS e(customer_id uuid, name text, email text, version int)
        ), counted AS (
            INSERT INTO \(unsafeRaw: count) AS c (singleton, customers) SELECT true, count(*) FROM e
            ON CONFLICT (singleton) DO UPDATE SET customers = c.customers + excluded.customers
        )
        INSERT INTO \(unsafeRaw: view) (customer_id, name, email, order_count, total_spent, last_order_at, version)
        SELECT e.customer_id, e.name, e.email, count(o.order_id),
               coalesce(sum(o.total) FILTER (WHERE NOT o.cancelled), 0), max(o.created_at), e.version
        FROM e LEFT JOIN \(unsafeRaw: orders) AS o ON o.customer_id = e.customer_id
        GROUP BY e.customer_id, e.name, e.email, e.version
        """
    }

    private func renamed(_ rows: String) -> SQL {
        """
        UPDATE \(unsafeRaw: view) AS c SET name = e.name, version = e.version
        FROM jsonb_to_recordset(\(rows)::jsonb) AS e(customer_id uuid, name text, version int)
        WHERE c.customer_id = e.customer_id
        """
    }

    private func placed(_ rows: String) -> SQL {
        """
        WITH e AS (
            SELECT * FROM jsonb_to_recordset(\(rows)::jsonb) AS e(
                order_id uuid, customer_id uuid, line_totals jsonb, total bigint, at timestamptz)
        ), placed AS (
            INSERT INTO \(unsafeRaw: orders) (order_id, customer_id, line_totals, total, cancelled, created_at)
            SELECT order_id, customer_id, line_totals, total, false, at FROM e
        )
        UPDATE \(unsafeRaw: view) AS c
        SET order_count = c.order_count + d.orders, total_spent = c.total_spent + d.total,
            last_order_at = greatest(c.last_order_at, d.last_at)
        FROM (SELECT customer_id, count(*) AS orders, sum(total) AS total, max(at) AS last_at
              FROM e GROUP BY customer_id) AS d
        WHERE c.customer_id = d.customer_id
        """
    }

    private func itemAdded(_ rows: String) -> SQL {
        """
        WITH changed AS (
            UPDATE \(unsafeRaw: orders) AS o
            SET line_totals = o.line_totals
                    || jsonb_build_object(e.sku, coalesce((o.line_totals->>e.sku)::bigint, 0) + e.amount),
                total = o.total + e.amount
            FROM jsonb_to_recordset(\(rows)::jsonb) AS e(order_id uuid, sku text, amount bigint)
            WHERE o.order_id = e.order_id
            RETURNING o.customer_id, o.cancelled, e.amount
        )
        UPDATE \(unsafeRaw: view) AS c SET total_spent = c.total_spent + d.amount
        FROM (SELECT customer_id, sum(amount) AS amount FROM changed WHERE NOT cancelled GROUP BY customer_id) AS d
        WHERE c.customer_id = d.customer_id
        """
    }

    /// The event names only the sku: the amount comes from `line_totals`.
    private func itemRemoved(_ rows: String) -> SQL {
        """
        WITH removed AS (
            SELECT o.order_id, o.customer_id, o.cancelled, e.sku,
                   coalesce((o.line_totals->>e.sku)::bigint, 0) AS amount
            FROM \(unsafeRaw: orders) AS o
            JOIN jsonb_to_recordset(\(rows)::jsonb) AS e(order_id uuid, sku text) ON o.order_id = e.order_id
        ), changed AS (
            UPDATE \(unsafeRaw: orders) AS o SET line_totals = o.line_totals - r.sku, total = o.total - r.amount
            FROM removed AS r WHERE o.order_id = r.order_id
        )
        UPDATE \(unsafeRaw: view) AS c SET total_spent = c.total_spent - d.amount
        FROM (SELECT customer_id, sum(amount) AS amount FROM removed WHERE NOT cancelled GROUP BY customer_id) AS d
        WHERE c.customer_id = d.customer_id
        """
    }

    private func cancelled(_ rows: String) -> SQL {
        """
        WITH cancelled AS (
            UPDATE \(unsafeRaw: orders) AS o SET cancelled = true
            FROM jsonb_to_recordset(\(rows)::jsonb) AS e(order_id uuid)
            WHERE o.order_id = e.order_id AND NOT o.cancelled
            RETURNING o.customer_id, o.total
        )
        UPDATE \(unsafeRaw: view) AS c SET total_spent = c.total_spent - d.total
        FROM (SELECT customer_id, sum(total) AS total FROM cancelled GROUP BY customer_id) AS d
        WHERE c.customer_id = d.customer_id
        """
    }
}
