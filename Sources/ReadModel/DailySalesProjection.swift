import EventSourcing
import Foundation
import LibPQ
import ShopDomain

/// Projects orders into `daily_sales_view`, one row per UTC day (of the
/// event's `at`) with activity: orders placed, orders cancelled (whatever
/// their status before), and revenue = the totals of orders confirmed that
/// day minus the totals of confirmed orders cancelled that day. An order
/// cancelled while pending never counted as revenue, so its cancellation
/// subtracts nothing.
///
/// It keeps its own `daily_sales_orders` (order → line amounts, total,
/// confirmed), because a confirmation or cancellation names only its order.
public struct DailySalesProjection: ReadModelProjection {
    public static let name = "daily_sales"
    public static let tableNames = ["daily_sales_view", "daily_sales_orders"]

    public let schema: String
    private let view: String
    private let orders: String

    public init(schema: String = "public") {
        self.schema = schema
        view = ReadModelSchema.qualified("daily_sales_view", in: schema)
        orders = ReadModelSchema.qualified("daily_sales_orders", in: schema)
    }

    public var name: String { Self.name }
    public var tables: [String] { Self.tableNames }

    /// Creates this projection's tables and indexes in `schema` (see `ReadModelSchema`).
    public static func createTables(in schema: String, on connection: Connection) async throws {
        try await ReadModelSchema.createTables(function: "daily_sales_projection_create_tables", in: schema,
                                               on: connection)
    }

    public func apply(_ events: [RecordedEvent], on connection: Connection) async throws {
        var batch = ProjectionBatch(projection: name)
        for recorded in events {
            guard case let .order(order, event) = try batch.decode(recorded) else { continue }
            let statement: SQL? = switch event {
            case let .placed(_, lines, _, at): placed(order, lines: lines, at: at)
            case let .itemAdded(line, _): itemAdded(order, line)
            case let .itemRemoved(sku, _): itemRemoved(order, sku)
            case let .confirmed(at): confirmed(order, at: at)
            case let .cancelled(_, at): cancelled(order, at: at)
            case .shippingAddressChanged, .shipped: nil
            }
            if let statement { batch.add(statement, for: recorded) }
        }
        try await batch.run(on: connection)
    }

    private func placed(_ order: OrderID, lines: [OrderLine], at: Date) -> SQL {
        let total = lines.reduce(Money.zero) { $0 + $1.lineTotal }
        return """
            WITH placed AS (
                INSERT INTO \(unsafeRaw: orders) (order_id, line_totals, total, confirmed)
                VALUES (\(order.uuid), \(LineTotalsJSON(lines).text)::jsonb, \(total.minorUnits), false)
            )
            INSERT INTO \(unsafeRaw: view) AS d (day, orders_placed, orders_cancelled, revenue)
            VALUES ((\(at)::timestamptz AT TIME ZONE 'UTC')::date, 1, 0, 0)
            ON CONFLICT (day) DO UPDATE SET orders_placed = d.orders_placed + 1
            """
    }

    private func itemAdded(_ order: OrderID, _ line: OrderLine) -> SQL {
        let amount = line.lineTotal.minorUnits
        return """
            UPDATE \(unsafeRaw: orders)
            SET line_totals = line_totals || jsonb_build_object(\(line.sku.value)::text,
                    coalesce((line_totals->>\(line.sku.value)::text)::bigint, 0) + \(amount)::bigint),
                total = total + \(amount)
            WHERE order_id = \(order.uuid)
            """
    }

    private func itemRemoved(_ order: OrderID, _ sku: Sku) -> SQL {
        """
        UPDATE \(unsafeRaw: orders)
        SET line_totals = line_totals - \(sku.value)::text,
            total = total - coalesce((line_totals->>\(sku.value)::text)::bigint, 0)
        WHERE order_id = \(order.uuid)
        """
    }

    private func confirmed(_ order: OrderID, at: Date) -> SQL {
        """
        WITH confirmed AS (
            UPDATE \(unsafeRaw: orders) SET confirmed = true
            WHERE order_id = \(order.uuid) AND NOT confirmed
            RETURNING total
        )
        INSERT INTO \(unsafeRaw: view) AS d (day, orders_placed, orders_cancelled, revenue)
        SELECT (\(at)::timestamptz AT TIME ZONE 'UTC')::date, 0, 0, total FROM confirmed
        ON CONFLICT (day) DO UPDATE SET revenue = d.revenue + excluded.revenue
        """
    }

    /// Counts the cancellation; takes the total back off revenue only if the
    /// order had been confirmed (then it counted on its confirmation day).
    private func cancelled(_ order: OrderID, at: Date) -> SQL {
        """
        INSERT INTO \(unsafeRaw: view) AS d (day, orders_placed, orders_cancelled, revenue)
        VALUES ((\(at)::timestamptz AT TIME ZONE 'UTC')::date, 0, 1,
                -coalesce((SELECT total FROM \(unsafeRaw: orders) WHERE order_id = \(order.uuid) AND confirmed), 0))
        ON CONFLICT (day) DO UPDATE
        SET orders_cancelled = d.orders_cancelled + 1, revenue = d.revenue + excluded.revenue
        """
    }
}
