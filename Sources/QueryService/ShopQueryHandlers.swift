import EventSourcing
import Foundation
import LibPQ
import PostgresEventStore
import ReadModel
import ShopDomain

/// A query of the shop's read side: its answer type, and the projections
/// whose views it reads (what a `Consistency-Token` must wait for, and what
/// `Consistency` reports on).
public protocol ShopQuery: Query {
    static var projections: [String] { get }
}

/// `GET /orders/{id}`.
public struct GetOrder: ShopQuery {
    public typealias Answer = OrderView?
    public static let projections = [OrdersProjection.name]
    public var id: OrderID
}

/// `GET /orders`.
public struct ListOrders: ShopQuery {
    public typealias Answer = Page<OrderSummary>
    public static let projections = [OrdersProjection.name]
    public var customerID: CustomerID?
    public var status: Order.Status?
    public var page: Int
    public var pageSize: Int
}

/// `GET /customers/{id}`.
public struct GetCustomer: ShopQuery {
    public typealias Answer = CustomerView?
    public static let projections = [CustomersProjection.name]
    public var id: CustomerID
}

/// `GET /customers`.
public struct ListCustomers: ShopQuery {
    public typealias Answer = Page<CustomerView>
    public static let projections = [CustomersProjection.name]
    public var page: Int
    public var pageSize: Int
}

/// `GET /reports/daily-sales`.
public struct GetDailySales: ShopQuery {
    public typealias Answer = DailySalesReport
    public static let projections = [DailySalesProjection.name]
    public var from: Day
    public var to: Day
}

/// `GET /projections`: reads the checkpoints and the event log, no view.
public struct ListProjections: ShopQuery {
    public typealias Answer = [ProjectionStatus]
    public static let projections: [String] = []
}

/// What a handler gets besides the query: the connection lent for this
/// request (on the read server), so the freshness check and the query share it.
public struct QueryContext: Sendable {
    public var connection: Connection
}

/// One projection in `GET /projections`:
/// `{"name", "state", "checkpoint", "lag_events", "last_error"}`.
public struct ProjectionStatus: Encodable, Sendable, Equatable {
    public var name: String
    public var state: String
    /// The global position of the last event applied (0 before the first).
    public var checkpoint: Int64
    public var lagEvents: Int
    public var lastError: String?

    enum CodingKeys: String, CodingKey {
        case name, state, checkpoint, lagEvents = "lag_events", lastError = "last_error"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(state, forKey: .state)
        try container.encode(checkpoint, forKey: .checkpoint)
        try container.encode(lagEvents, forKey: .lagEvents)
        // The contract wants `"last_error": null`, not a missing key.
        try container.encode(lastError, forKey: .lastError)
    }
}

/// Registers one handler per query type, each one statement (or a few, for
/// `/projections`) through `ShopQueries` on the lent connection.
public enum ShopQueryHandlers {
    public static func makeBus(queries: ShopQueries = ShopQueries()) -> QueryBus<QueryContext> {
        let bus = QueryBus<QueryContext>()
        bus.register(GetOrder.self) { query, context in
            try await queries.order(id: query.id, on: context.connection)
        }
        bus.register(ListOrders.self) { query, context in
            try await queries.orders(customerID: query.customerID, status: query.status, page: query.page,
                                     pageSize: query.pageSize, on: context.connection)
        }
        bus.register(GetCustomer.self) { query, context in
            try await queries.customer(id: query.id, on: context.connection)
        }
        bus.register(ListCustomers.self) { query, context in
            try await queries.customers(page: query.page, pageSize: query.pageSize, on: context.connection)
        }
        bus.register(GetDailySales.self) { query, context in
            try await queries.dailySales(from: query.from, to: query.to, on: context.connection)
        }
        bus.register(ListProjections.self) { _, context in
            try await projectionStatuses(on: context.connection)
        }
        return bus
    }

    /// Every projection with a checkpoint row, plus the shop's projections
    /// that have none yet (the projector has not started them): those are at
    /// the start of the log.
    static func projectionStatuses(on connection: Connection) async throws -> [ProjectionStatus] {
        typealias Row = (name: String, position: LogPosition, state: String, lastError: String?)
        var rows: [Row] = try await ProjectionCheckpoints.loadAll(on: connection).map {
            ($0.name, $0.position, $0.state.rawValue, $0.lastError)
        }
        for name in ShopProjections.names where !rows.contains(where: { $0.name == name }) {
            rows.append((name, .start, ProjectionCheckpoint.State.running.rawValue, nil))
        }
        var statuses: [ProjectionStatus] = []
        for row in rows.sorted(by: { $0.name < $1.name }) {
            let lag = try await EventLog.lag(after: row.position, on: connection)
            statuses.append(ProjectionStatus(name: row.name, state: row.state,
                                             checkpoint: row.position.globalPosition,
                                             lagEvents: lag.events, lastError: row.lastError))
        }
        return statuses
    }
}
