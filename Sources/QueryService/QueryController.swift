import EventSourcing
import Foundation
import HTTPCommon
import HTTPTypes
import Hummingbird
import LibPQ
import ReadModel
import ShopDomain

/// The routes of API.md's "Query service": HTTP in, typed query on the bus,
/// HTTP out, each answer marked `Consistency: fresh` or `stale`.
///
/// A request is read in this order: the consistency headers (malformed: 400),
/// the query parameters (every bad one, and an out-of-range
/// `Consistency-Wait`, in one 422), then the wait for a `Consistency-Token`,
/// then the query on one connection of the read server.
public struct QueryController: Sendable {
    let bus: QueryBus<QueryContext>
    let pool: ConnectionPool
    let watcher: CheckpointWatcher

    /// - Parameters:
    ///   - pool: the server queries read from (a replica when configured).
    ///   - watcher: tracks that server's checkpoints for `Consistency-Token`.
    public init(pool: ConnectionPool, watcher: CheckpointWatcher, queries: ShopQueries = ShopQueries()) {
        bus = ShopQueryHandlers.makeBus(queries: queries)
        self.pool = pool
        self.watcher = watcher
    }

    static let pageSizes = 1...100
    static let pages = 1...Int(Int32.max)
    static let defaultPageSize = 20
    /// `to` is at most this many days after `from`: 366 days, both included.
    static let maxRangeDays = 365

    public func add(to router: Router<AppRequestContext>) {
        router.get("/orders/:id") { request, context in
            try await serve(request, context, named: "order") { _ in
                context.parameters.get("id", as: UUID.self).map { GetOrder(id: OrderID($0)) }
            }
        }
        router.get("/orders") { request, context in
            try await serve(request, context) { parameters in
                let customer = parameters.uuid("customer_id")
                let status = parameters.oneOf("status", Order.Status.self)
                let page = parameters.integer("page", default: 1, in: Self.pages)
                let pageSize = parameters.integer("page_size", default: Self.defaultPageSize, in: Self.pageSizes)
                return ListOrders(customerID: customer.map(CustomerID.init), status: status, page: page, pageSize: pageSize)
            }
        }
        router.get("/customers/:id") { request, context in
            try await serve(request, context, named: "customer") { _ in
                context.parameters.get("id", as: UUID.self).map { GetCustomer(id: CustomerID($0)) }
            }
        }
        router.get("/customers") { request, context in
            try await serve(request, context) { parameters in
                let page = parameters.integer("page", default: 1, in: Self.pages)
                let pageSize = parameters.integer("page_size", default: Self.defaultPageSize, in: Self.pageSizes)
                return ListCustomers(page: page, pageSize: pageSize)
            }
        }
        router.get("/reports/daily-sales") { request, context in
            try await serve(request, context) { parameters in
                let from = parameters.day("from"), to = parameters.day("to")
                guard let from, let to else { return GetDailySales?.none }
                if from > to {
                    parameters.problem("from", "must not be after to")
                } else if from.distance(to: to) > Self.maxRangeDays {
                    parameters.problem("to", "must be at most \(Self.maxRangeDays) days after from (366 days in all)")
                }
                return GetDailySales(from: from, to: to)
            }
        }
        router.get("/projections") { request, context in
            try await serve(request, context) { _ in ListProjections() }
        }
    }

    /// Reads the request into `Q` (nil: the path names nothing, a 404),
    /// waits or checks freshness, asks the bus, and answers: the answer as
    /// JSON, or a 404 for a nil answer of a lookup. Both carry `Consistency`.
    private func serve<Q: ShopQuery>(
        _ request: Request, _ context: AppRequestContext, named resource: String? = nil,
        query makeQuery: (inout QueryParameters) throws -> Q?
    ) async throws -> Response where Q.Answer: Encodable {
        let consistencyRequest = try ConsistencyRequest(request.headers)
        var parameters = QueryParameters(request)
        let query = try makeQuery(&parameters)
        try parameters.validated(adding: consistencyRequest.problems)
        guard let query else {
            // No amount of waiting makes a non-UUID name something.
            throw Self.notFound(resource, consistency: .fresh)
        }
        var consistency = Consistency.fresh
        if let token = consistencyRequest.token, !Q.projections.isEmpty {
            let reached = try await watcher.wait(for: Q.projections, toReach: token.position,
                                                 timeout: consistencyRequest.wait,
                                                 endingWhen: { await context.clientGone() })
            consistency = reached ? .fresh : .stale
        }
        let answer = try await pool.withConnection { connection in
            guard consistencyRequest.token == nil, !Q.projections.isEmpty else {
                return try await bus.ask(query, context: QueryContext(connection: connection))
            }
            // Checked before the query, in the same round trip: the answer
            // then includes at least every event committed when the check
            // found no lag.
            let (answer, lag) = try await connection.withLeadingStatement(ProjectionLag.statement(Q.projections)) {
                try await bus.ask(query, context: QueryContext(connection: $0))
            }
            consistency = try ProjectionLag.anyPending(in: lag) ? .stale : .fresh
            return answer
        }
        var headers = HTTPFields()
        headers[.consistency] = consistency.rawValue
        if let absent = answer as? any OptionalAnswer, absent.isNone {
            throw Self.notFound(resource, consistency: consistency)
        }
        return try JSONResponse(answer, headers: headers).response(from: request, context: context)
    }

    private static func notFound(_ resource: String?, consistency: Consistency) -> ProblemDetails {
        var detail = resource.map { "no such \($0)" } ?? "no such resource"
        if consistency == .stale {
            detail += " in the view yet; it lags behind the log (send a command's Consistency-Token to wait for it)"
        }
        var problem = ProblemDetails.notFound(detail)
        problem.extraHeaders[.consistency] = consistency.rawValue
        return problem
    }
}

/// A lookup's answer: nil when the view has no such row.
private protocol OptionalAnswer {
    var isNone: Bool { get }
}

extension Optional: OptionalAnswer {
    var isNone: Bool { self == nil }
}
