public import EventSourcing
import Foundation
public import LibPQ
public import ReadModel
import ShopDomain
import Wire

/// Projects orders into `daily_sales_view`, one row per UTC day (of the
/// event's `at`) with activity: orders placed, orders cancelled (whatever
/// their status before), and revenue = the totals of orders confirmed that
/// day minus the totals of confirmed orders cancelled that day. An order
/// cancelled while pending never counted as revenue, so its cancellation
/// subtracts nothing.
///
/// It keeps its own `daily_sales_orders` (order → line amounts, total,
/// confirmed), because a confirmation or cancellation names only its order.
/// Statements are set-based; see `ProjectionBatch`.
public struct DailySalesProjection: DeclarativeProjection {
    public static let name = "daily_sales"
    public static let tableNames = ["daily_sales_view", "daily_sales_orders"]

    public let schema: String
    /// Schema-qualified table names, for the statements here and the shop's queries.
    let view: String
    private let orders: String

    public init(schema: String = "public") {
        self.schema = schema
        view = ReadModelSchema.qualified("daily_sales_view", in: schema)
        orders = ReadModelSchema.qualified("daily_sales_orders", in: schema)
    }

    public var name: String { Self.name }
    public var tables: [String] { Self.tableNames }

    public var handlers: [ProjectionHandler] {
        [
            .orderPlaced(write: placed),
            .orderItemAdded(write: itemAdded),
            .orderItemRemoved(write: itemRemoved),
            ProjectionHandler("order.confirmed", codec: Order.codec, row: { event, recorded in
                ["order_id": .id(recorded.stream.id), "at": .time(event.at)]
            }, write: confirmed),
            ProjectionHandler("order.cancelled", codec: Order.codec, row: { event, recorded in
                ["order_id": .id(recorded.stream.id), "at": .time(event.at)]
            }, write: cancelled),
        ]
    }

    private func placed(_ rows: String) -> SQL {
        """
        WITH e AS (
            SELECT * FROM jsonb_to_recordset(\(rows)::jsonb) AS e(order_id uuid, line_totals jsonb, total bigint,
                                                                  at timestamptz)
        ), placed AS (
            INSERT INTO \(unsafeRaw: orders) (order_id, line_totals, total, confirmed)
            SELECT order_id, line_totals, total, false FROM e
        )
        INSERT INTO \(unsafeRaw: view) AS d (day, orders_placed, orders_cancelled, revenue)
        SELECT (at AT TIME ZONE 'UTC')::date, count(*), 0, 0 FROM e GROUP BY 1
        ON CONFLICT (day) DO UPDATE SET orders_placed = d.orders_placed + excluded.orders_placed
        """
    }

    private func itemAdded(_ rows: String) -> SQL {
        """
        UPDATE \(unsafeRaw: orders) AS o
        SET line_totals = o.line_totals
                || jsonb_build_object(e.sku, coalesce((o.line_totals->>e.sku)::bigint, 0) + e.amount),
            total = o.total + e.amount
        FROM jsonb_to_recordset(\(rows)::jsonb) AS e(order_id uuid, sku text, amount bigint)
        WHERE o.order_id = e.order_id
        """
    }

    private func itemRemoved(_ rows: String) -> SQL {
        """
        UPDATE \(unsafeRaw: orders) AS o
        SET line_totals = o.line_totals - e.sku, total = o.total - coalesce((o.line_totals->>e.sku)::bigint, 0)
        FROM jsonb_to_recordset(\(rows)::jsonb) AS e(order_id uuid, sku text)
        WHERE o.order_id = e.order_id
        """
    }

    /// Adds each confirmed order's total (as it stands now) to its day.
    private func confirmed(_ rows: String) -> SQL {
        """
        WITH confirmed AS (
            UPDATE \(unsafeRaw: orders) AS o SET confirmed = true
            FROM jsonb_to_recordset(\(rows)::jsonb) AS e(order_id uuid, at timestamptz)
            WHERE o.order_id = e.order_id AND NOT o.confirmed
            RETURNING o.total, e.at
        )
        INSERT INTO \(unsafeRaw: view) AS d (day, orders_placed, orders_cancelled, revenue)
        SELECT (at AT TIME ZONE 'UTC')::date, 0, 0, sum(total) FROM confirmed GROUP BY 1
        ON CONFLICT (day) DO UPDATE SET revenue = d.revenue + excluded.revenue
        """
    }

    /// Counts each cancellation; takes the total back off revenue only if the
    /// order had been confirmed (then it counted on its confirmation day).
    private func cancelled(_ rows: String) -> SQL {
        """
        INSERT INTO \(unsafeRaw: view) AS d (day, orders_placed, orders_cancelled, revenue)
        SELECT (e.at AT TIME ZONE 'UTC')::date, 0, count(*), -coalesce(sum(o.total) FILTER (WHERE o.confirmed), 0)
        FROM jsonb_to_recordset(\(rows)::jsonb) AS e(order_id uuid, at timestamptz)
        LEFT JOIN \(unsafeRaw: orders) AS o ON o.order_id = e.order_id
        GROUP BY 1
        ON CONFLICT (day) DO UPDATE
        SET orders_cancelled = d.orders_cancelled + excluded.orders_cancelled, revenue = d.revenue + excluded.revenue
        """
    }
}
