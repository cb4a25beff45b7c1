import Foundation
public import LibPQ
public import ReadModel
public import ShopDomain

/// The query service's reads of the read tables. Each function takes a
/// connection the caller lends (from its pool) and runs one statement, so
/// what it returns (a page and its total, an order and its lines) comes from
/// one snapshot.
///
/// Every list query is served by an index (see the migration and the EXPLAIN
/// tests): orders newest first by `orders_view_by_created`, or by customer /
/// status through `orders_view_by_customer` / `orders_view_by_status`;
/// customers by `customers_view_by_name`; daily sales by the date key. List
/// totals come from the projections' counters (`orders_status_counts`,
/// `customers_count`) rather than a count over the whole table; a total for
/// one customer counts that customer's rows through the customer index.
public struct ShopQueries: Sendable {
    public let schema: String
    /// The tables are the projections' own: their names are written there only.
    private let orders: OrdersProjection
    private let customers: CustomersProjection
    private let dailySales: DailySalesProjection

    public init(schema: String = "public") {
        self.schema = schema
        orders = OrdersProjection(schema: schema)
        customers = CustomersProjection(schema: schema)
        dailySales = DailySalesProjection(schema: schema)
    }

    private var ordersView: String { orders.view }
    private var orderLines: String { orders.lines }
    private var orderCounts: String { orders.counts }
    private var customersView: String { customers.view }
    private var customerCount: String { customers.count }
    private var dailySalesView: String { dailySales.view }

    // MARK: Orders

    /// The order, or nil if the orders projection has not seen it.
    public func order(id: OrderID, on connection: Connection) async throws -> OrderView? {
        let rows = try await connection.query(orderStatement(id: id))
        guard let first = rows.first else { return nil }
        var order = try OrderView(
            orderID: OrderID(first.decode(UUID.self, named: "order_id")),
            customerID: CustomerID(first.decode(UUID.self, named: "customer_id")),
            customerName: first.decode(String.self, named: "customer_name"),
            status: first.status(),
            items: [],
            itemCount: first.decode(Int.self, named: "item_count"),
            totalAmount: Money(minorUnits: first.decode(Int64.self, named: "total_amount")),
            shippingAddress: ShippingAddress(
                line1: first.decode(String.self, named: "ship_line1"),
                line2: first.decode(String?.self, named: "ship_line2"),
                city: first.decode(String.self, named: "ship_city"),
                postalCode: first.decode(String.self, named: "ship_postal_code"),
                country: first.decoded(named: "ship_country", CountryCode.init)),
            createdAt: first.decode(Date.self, named: "created_at"),
            updatedAt: first.decode(Date.self, named: "updated_at"),
            version: first.decode(Int.self, named: "version"))
        for row in rows where try row.decode(String?.self, named: "sku") != nil {
            order.items.append(try OrderLineView(
                sku: row.decoded(named: "sku", Sku.init),
                quantity: row.decode(Int.self, named: "quantity"),
                unitPrice: Money(minorUnits: row.decode(Int64.self, named: "unit_price"))))
        }
        return order
    }

    /// Orders newest first (`created_at` descending, then `order_id`
    /// descending so equal times keep one order), optionally only one
    /// customer's and/or one status.
    public func orders(customerID: CustomerID?, status: Order.Status?, page: Int, pageSize: Int,
                       on connection: Connection) async throws -> Page<OrderSummary> {
        let rows = try await connection.query(ordersStatement(customerID: customerID, status: status,
                                                              page: page, pageSize: pageSize))
        return try Page(rows: rows, page: page, pageSize: pageSize, key: "order_id") { row in
            try OrderSummary(
                orderID: OrderID(row.decode(UUID.self, named: "order_id")),
                customerID: CustomerID(row.decode(UUID.self, named: "customer_id")),
                customerName: row.decode(String.self, named: "customer_name"),
                status: row.status(),
                itemCount: row.decode(Int.self, named: "item_count"),
                totalAmount: Money(minorUnits: row.decode(Int64.self, named: "total_amount")),
                createdAt: row.decode(Date.self, named: "created_at"),
                updatedAt: row.decode(Date.self, named: "updated_at"))
        }
    }

    // MARK: Customers

    /// The customer, or nil if the customers projection has not seen it.
    public func customer(id: CustomerID, on connection: Connection) async throws -> CustomerView? {
        try await ViewLookup.row(Self.customerColumns, of: customersView, key: "customer_id", equals: id.uuid,
                                 on: connection, CustomerView.init(row:))
    }

    /// Customers by name (code point order), then id.
    public func customers(page: Int, pageSize: Int, on connection: Connection) async throws -> Page<CustomerView> {
        let rows = try await connection.query(customersStatement(page: page, pageSize: pageSize))
        return try Page(rows: rows, page: page, pageSize: pageSize, key: "customer_id", item: CustomerView.init(row:))
    }

    // MARK: Reports

    /// Days from `from` to `to`, both included, that had activity, oldest first.
    public func dailySales(from: Day, to: Day, on connection: Connection) async throws -> DailySalesReport {
        let rows = try await connection.query(dailySalesStatement(from: from, to: to))
        return DailySalesReport(days: try rows.map { row in
            try DailySales(date: row.decode(Day.self, named: "day"),
                           ordersPlaced: row.decode(Int.self, named: "orders_placed"),
                           ordersCancelled: row.decode(Int.self, named: "orders_cancelled"),
                           revenue: Money(minorUnits: row.decode(Int64.self, named: "revenue")))
        })
    }

    // MARK: Statements (internal for the EXPLAIN tests)

    func orderStatement(id: OrderID) -> SQL {
        """
        SELECT v.order_id, v.customer_id, v.customer_name, v.status, v.item_count, v.total_amount,
               v.ship_line1, v.ship_line2, v.ship_city, v.ship_postal_code, v.ship_country,
               v.created_at, v.updated_at, v.version, l.sku, l.quantity, l.unit_price
        FROM \(unsafeRaw: ordersView) AS v LEFT JOIN \(unsafeRaw: orderLines) AS l ON l.order_id = v.order_id
        WHERE v.order_id = \(id.uuid)
        ORDER BY l.position
        """
    }

    /// One statement for the page and the total, so both come from one
    /// snapshot in one round trip. The total is a one-row subquery left-joined
    /// to the page, so a page past the end still brings it (with NULL items).
    /// Each filter combination has its own text (and prepared plan) rather than
    /// `($1 IS NULL OR …)`, which a generic plan could not serve from an index.
    func ordersStatement(customerID: CustomerID?, status: Order.Status?, page: Int, pageSize: Int) -> SQL {
        var conditions: [String] = []
        var bindings: [PostgresBinding] = []
        if let customerID {
            bindings.append(PostgresBinding(customerID.uuid))
            conditions.append("customer_id = $\(bindings.count)")
        }
        if let status {
            bindings.append(PostgresBinding(status.rawValue))
            conditions.append("status = $\(bindings.count)")
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let total = switch (customerID, status) {
        case (nil, nil): "SELECT coalesce(sum(orders), 0)::bigint AS n FROM \(orderCounts)"
        case (nil, _?): "SELECT coalesce((SELECT orders FROM \(orderCounts) \(filter)), 0) AS n"
        case (_?, _): "SELECT count(*) AS n FROM \(ordersView) \(filter)"
        }
        let (limit, offset) = Page<OrderSummary>.window(page: page, pageSize: pageSize)
        bindings += [PostgresBinding(limit), PostgresBinding(offset)]
        return SQL(unsafeRaw: """
            SELECT total.n AS total, p.order_id, p.customer_id, p.customer_name, p.status, p.item_count,
                   p.total_amount, p.created_at, p.updated_at
            FROM (\(total)) AS total
            LEFT JOIN (
                SELECT order_id, customer_id, customer_name, status, item_count, total_amount, created_at, updated_at
                FROM \(ordersView) \(filter)
                ORDER BY created_at DESC, order_id DESC
                LIMIT $\(bindings.count - 1) OFFSET $\(bindings.count)
            ) AS p ON true
            ORDER BY p.created_at DESC, p.order_id DESC
            """, bindings: bindings)
    }

    static let customerColumns = "customer_id, name, email, order_count, total_spent, last_order_at, version"

    /// As `ordersStatement`: page and total in one statement.
    func customersStatement(page: Int, pageSize: Int) -> SQL {
        PageStatement.make(columns: Self.customerColumns, from: customersView, orderBy: ["name", "customer_id"],
                           total: .counter("SELECT coalesce((SELECT customers FROM \(unsafeRaw: customerCount)), 0) AS n"),
                           page: page, pageSize: pageSize)
    }

    func dailySalesStatement(from: Day, to: Day) -> SQL {
        """
        SELECT day, orders_placed, orders_cancelled, revenue FROM \(unsafeRaw: dailySalesView)
        WHERE day BETWEEN \(from)::date AND \(to)::date
        ORDER BY day
        """
    }
}

extension CustomerView {
    init(row: Row) throws {
        try self.init(customerID: CustomerID(row.decode(UUID.self, named: "customer_id")),
                      name: row.decode(String.self, named: "name"),
                      email: row.decode(String.self, named: "email"),
                      orderCount: row.decode(Int.self, named: "order_count"),
                      totalSpent: Money(minorUnits: row.decode(Int64.self, named: "total_spent")),
                      lastOrderAt: row.decode(Date?.self, named: "last_order_at"),
                      version: row.decode(Int.self, named: "version"))
    }
}

extension Row {
    func status() throws -> Order.Status {
        try decoded(named: "status", Order.Status.init(rawValue:))
    }

    /// A text column through a failable domain initializer (values the
    /// projections wrote, so a failure means a corrupt table).
    func decoded<T>(named name: String, _ make: (String) -> T?) throws -> T {
        let text = try decode(String.self, named: name)
        guard let value = make(text) else {
            throw PostgresError(kind: .decoding, message: "column \(name) holds '\(text.prefix(64))', not a \(T.self)")
        }
        return value
    }
}
