import EventSourcing
import Foundation
public import HTTPCommon
import HTTPTypes
public import Hummingbird
public import LibPQ
import PostgresEventStore
import ReadModel

/// The query side of every context the service hosts, and `/projections`:
/// HTTP in, typed query on the bus, HTTP out, each answer marked
/// `Consistency: fresh` or `stale`. The routes come from the contexts
/// (`QueryModule`).
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
    public init(pool: ConnectionPool, watcher: CheckpointWatcher) {
        bus = QueryBus<QueryContext>()
        self.pool = pool
        self.watcher = watcher
    }

    /// Adds `/projections` and the routes of each of `contexts` to `router`.
    public func add(_ contexts: [any QueryModule.Type], to router: Router<AppRequestContext>) {
        let routes = QueryRoutes(router: router, controller: self)
        let known = ProjectionRegistry(contexts).names
        routes.get("/projections") { _, _ in ListProjections() } answer: { _, context in
            try await ProjectionStatus.all(known: known, on: context.connection)
        }
        for context in contexts { context.registerQueries(on: routes) }
    }

    func register<Q: ViewQuery>(_ type: Q.Type, handler: @escaping @Sendable (Q, QueryContext) async throws -> Q.Answer) {
        bus.register(type, handler: handler)
    }

    /// Reads the request into `Q` (nil: the path names nothing, a 404),
    /// waits or checks freshness, asks the bus, and answers: the answer as
    /// JSON, or a 404 for a nil answer of a lookup. Both carry `Consistency`.
    func serve<Q: ViewQuery>(
        _ request: Request, _ context: AppRequestContext, named resource: String?,
        query makeQuery: (inout QueryParameters, PathParameters) throws -> Q?
    ) async throws -> Response where Q.Answer: Encodable {
        let consistencyRequest = try ConsistencyRequest(request.headers)
        var parameters = QueryParameters(request)
        let query = try makeQuery(&parameters, PathParameters(context))
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
