public import EventSourcing
public import Foundation
public import HTTPCommon
public import Hummingbird
public import LibPQ
import PostgresEventStore
public import ReadModel

/// A bounded context's read side: its projections, and its query routes,
/// each turning a request into one typed query answered from its views.
/// The query service serves the contexts its executable lists.
/// It also declares its streams' stored types, which the event feed's
/// filters accept.
public protocol QueryModule: ProjectionModule, StreamDeclaring {
    static func registerQueries(on routes: QueryRoutes)
}

/// A query of a context's views: its answer type, and the projections whose
/// views it reads (what a `Consistency-Token` must wait for, and what
/// `Consistency` reports on).
public protocol ViewQuery: Query {
    static var projections: [String] { get }
}

/// What a handler gets besides the query: the connection lent for this
/// request (on the read server), so the freshness check and the query share
/// it. Handlers pass it to their context's query functions, which own the SQL.
public struct QueryContext: Sendable {
    public var connection: Connection
}

/// What a context registers its queries with. Each route reads its path and
/// parameters into a query (nil: the path names nothing, a 404; every bad
/// parameter is collected in `QueryParameters` for one 422); `answer` reads
/// the views. Consistency, freshness and the answer's encoding are the
/// service's, the same for every context.
public struct QueryRoutes {
    let router: Router<AppRequestContext>
    let controller: QueryController

    /// - Parameter resource: what a 404 says there is no such one of
    ///   ("order"), for a lookup whose answer may be nil.
    public func get<Q: ViewQuery>(
        _ path: RouterPath, named resource: String? = nil,
        query: @escaping @Sendable (inout QueryParameters, PathParameters) throws -> Q?,
        answer: @escaping @Sendable (Q, QueryContext) async throws -> Q.Answer
    ) where Q.Answer: Encodable {
        controller.register(Q.self, handler: answer)
        let controller = controller
        router.get(path) { request, context in
            try await controller.serve(request, context, named: resource, query: query)
        }
    }
}

/// `GET /projections`: reads the checkpoints and the event log, no view.
public struct ListProjections: ViewQuery {
    public typealias Answer = [ProjectionStatus]
    public static let projections: [String] = []
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

    /// Every projection with a checkpoint row, plus the `known` ones that
    /// have none yet (the projector has not started them): those are at the
    /// start of the log.
    static func all(known: [String], on connection: Connection) async throws -> [ProjectionStatus] {
        typealias Row = (name: String, position: LogPosition, state: String, lastError: String?)
        var rows: [Row] = try await ProjectionCheckpoints.loadAll(on: connection).map {
            ($0.name, $0.position, $0.state.rawValue, $0.lastError)
        }
        for name in known where !rows.contains(where: { $0.name == name }) {
            rows.append((name, .start, ProjectionCheckpoint.State.running.rawValue, nil))
        }
        rows.sort { $0.name < $1.name }
        let lags = try await EventLog.lags(after: rows.map(\.position), on: connection)
        return zip(rows, lags).map { row, lag in
            ProjectionStatus(name: row.name, state: row.state, checkpoint: row.position.globalPosition,
                             lagEvents: lag.events, lastError: row.lastError)
        }
    }
}
