public import ReadModel
public import ShopDomain

/// `GET /reports/daily-sales`: `{"days": [...]}`, oldest first, only days
/// with activity.
public struct DailySalesReport: Equatable, Sendable, Encodable {
    public var days: [DailySales]

    public init(days: [DailySales]) { self.days = days }
}

/// One UTC day: `{"date", "orders_placed", "orders_cancelled", "revenue"}`.
public struct DailySales: Equatable, Sendable {
    public var date: Day
    /// Orders created that day.
    public var ordersPlaced: Int
    /// Orders cancelled that day, whatever their status before.
    public var ordersCancelled: Int
    /// Totals of orders confirmed that day minus totals of confirmed orders
    /// cancelled that day; may be negative.
    public var revenue: Money

    public init(date: Day, ordersPlaced: Int, ordersCancelled: Int, revenue: Money) {
        self.date = date
        self.ordersPlaced = ordersPlaced
        self.ordersCancelled = ordersCancelled
        self.revenue = revenue
    }
}

extension DailySales: Encodable {
    enum CodingKeys: String, CodingKey {
        case date, ordersPlaced = "orders_placed", ordersCancelled = "orders_cancelled", revenue
    }
}
