import EventSourcing
import Foundation
public import QueryService
public import ReadModel
public import ShopDomain

/// `GET /orders/{id}`.
public struct GetOrder: ViewQuery {
    public typealias Answer = OrderView?
    public static let projections = [OrdersProjection.name]
    public var id: OrderID
}

/// `GET /orders`.
public struct ListOrders: ViewQuery {
    public typealias Answer = Page<OrderSummary>
    public static let projections = [OrdersProjection.name]
    public var customerID: CustomerID?
    public var status: Order.Status?
    public var page: Int
    public var pageSize: Int
}

/// `GET /customers/{id}`.
public struct GetCustomer: ViewQuery {
    public typealias Answer = CustomerView?
    public static let projections = [CustomersProjection.name]
    public var id: CustomerID
}

/// `GET /customers`.
public struct ListCustomers: ViewQuery {
    public typealias Answer = Page<CustomerView>
    public static let projections = [CustomersProjection.name]
    public var page: Int
    public var pageSize: Int
}

/// `GET /reports/daily-sales`.
public struct GetDailySales: ViewQuery {
    public typealias Answer = DailySalesReport
    public static let projections = [DailySalesProjection.name]
    public var from: Day
    public var to: Day
}

/// The shop's query routes (API.md "Query service"), each one statement
/// through `ShopQueries` on the lent connection.
extension Shop: QueryModule {
    /// `to` is at most this many days after `from`: 366 days, both included.
    static let maxRangeDays = 365

    public static func registerQueries(on routes: QueryRoutes) {
        let queries = ShopQueries()
        routes.get("/orders/:id", named: "order") { _, path in
            path.uuid("id").map { GetOrder(id: OrderID($0)) }
        } answer: { query, context in
            try await queries.order(id: query.id, on: context.connection)
        }
        routes.get("/orders") { parameters, _ in
            let customer = parameters.uuid("customer_id")
            let status = parameters.oneOf("status", Order.Status.self)
            let (page, pageSize) = parameters.pagination()
            return ListOrders(customerID: customer.map(CustomerID.init), status: status, page: page, pageSize: pageSize)
        } answer: { query, context in
            try await queries.orders(customerID: query.customerID, status: query.status, page: query.page,
                                     pageSize: query.pageSize, on: context.connection)
        }
        routes.get("/customers/:id", named: "customer") { _, path in
            path.uuid("id").map { GetCustomer(id: CustomerID($0)) }
        } answer: { query, context in
            try await queries.customer(id: query.id, on: context.connection)
        }
        routes.get("/customers") { parameters, _ in
            let (page, pageSize) = parameters.pagination()
            return ListCustomers(page: page, pageSize: pageSize)
        } answer: { query, context in
            try await queries.customers(page: query.page, pageSize: query.pageSize, on: context.connection)
        }
        routes.get("/reports/daily-sales") { parameters, _ in
            let from = parameters.day("from"), to = parameters.day("to")
            guard let from, let to else { return GetDailySales?.none }
            if from > to {
                parameters.problem("from", "must not be after to")
            } else if from.distance(to: to) > maxRangeDays {
                parameters.problem("to", "must be at most \(maxRangeDays) days after from (366 days in all)")
            }
            return GetDailySales(from: from, to: to)
        } answer: { query, context in
            try await queries.dailySales(from: query.from, to: query.to, on: context.connection)
        }
    }
}
