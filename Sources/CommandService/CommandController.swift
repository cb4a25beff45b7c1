import EventSourcing
public import Foundation
public import HTTPCommon
public import HTTPTypes
public import Hummingbird
import LibPQ
public import PostgresEventStore
import Wire
import UUIDKit

extension HTTPField.Name {
    public static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    public static let consistencyToken = HTTPField.Name("Consistency-Token")!
}

/// The command side of every context the service hosts: HTTP in, typed
/// command on the bus, HTTP out. Every answer, success or rejection, is
/// built as a `StoredResponse` first, so an `Idempotency-Key` can keep it
/// verbatim. The routes come from the contexts (`CommandModule`).
public struct CommandController: Sendable {
    let bus: CommandBus<CommandContext, CommandReply>
    let store: PostgresEventStore
    let idempotency: IdempotencyStore
    let clock: @Sendable () -> Date

    public init(store: PostgresEventStore, idempotency: IdempotencyStore, clock: @escaping @Sendable () -> Date = Date.init) {
        self.bus = CommandBus<CommandContext, CommandReply>()
        self.store = store
        self.idempotency = idempotency
        self.clock = clock
    }

    /// Adds the routes of each of `contexts` to `router`.
    public func add(_ contexts: [any CommandModule.Type], to router: Router<AppRequestContext>) {
        let routes = CommandRoutes(router: router, controller: self)
        for context in contexts { context.registerCommands(on: routes) }
    }

    func register<C: Sendable>(_ type: C.Type, handler: @escaping CommandBus<CommandContext, CommandReply>.Handler<C>) {
        bus.register(type, handler: handler)
    }

    /// Headers, body, idempotency, dispatch, answer.
    func handle<C: Sendable>(
        _ request: Request, _ context: AppRequestContext, creates: Bool,
        command makeCommand: @escaping @Sendable (CommandInput) throws -> C
    ) async throws -> Response {
        let precondition = try CommandHeaders.precondition(request.headers)
        let key = try CommandHeaders.idempotencyKey(request.headers)
        let body = Array(buffer: try await request.body.collect(upTo: context.maxUploadSize))
        let respond: @Sendable (any EventStore) async throws -> StoredResponse = { store in
            try await answer(creates: creates) {
                let command = try makeCommand(CommandInput(body: body, path: PathParameters(context)))
                let commandID = UUID.random()
                let metadata = EventMetadata(commandID: commandID, correlationID: context.requestID,
                                             causationID: commandID.lowercasedString)
                return try await bus.dispatch(command, context: CommandContext(
                    store: store, precondition: precondition, metadata: metadata, now: clock()))
            }
        }
        let stored: StoredResponse
        if let key {
            let canonical = Array("\(request.method.rawValue) \(request.uri.path)\n".utf8) + body
            do {
                stored = try StoredResponse.decoded(try await idempotency.run(key: key, request: canonical) { store in
                    try await respond(store).encoded()
                })
            } catch IdempotencyError.keyReused {
                throw ProblemDetails.validation(
                    [.init(field: "Idempotency-Key", message: "was already used with a different request")],
                    detail: "This Idempotency-Key was first used with another method, path or body.")
            }
        } else {
            // One connection for the command's reads and its append.
            stored = try await store.pool.withConnection { try await respond(store.bound(to: $0)) }
        }
        return stored.response
    }

    /// Runs the command and turns its outcome into the answer to keep; errors
    /// that must not be kept (database unavailable) are rethrown.
    private func answer(creates: Bool,
                        _ run: () async throws -> CommandReply) async throws -> StoredResponse {
        do {
            return try CommandAnswer.success(try await run())
        } catch {
            guard let problem = CommandAnswer.problem(for: error, creates: creates) else { throw error }
            return try problem.stored()
        }
    }
}

/// A response as it is kept for an `Idempotency-Key`: status, the headers
/// that matter to a client, and the body bytes; the idempotency store keeps
/// its encoding (JSON, the body in base64) as one opaque value.
struct StoredResponse: Sendable, Equatable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    init(status: Int, headers: [String: String] = [:], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The kept form; only a command with an `Idempotency-Key` pays for it.
    private struct Kept: Codable {
        var status: Int
        var headers: [String: String]
        var body: Data
    }

    func encoded() throws -> [UInt8] {
        try JSONBytesEncoder.encode(Kept(status: status, headers: headers, body: Data(body)))
    }

    static func decoded(_ bytes: [UInt8]) throws -> StoredResponse {
        let kept = try WireJSON.decoder.decode(Kept.self, from: Data(bytes))
        return StoredResponse(status: kept.status, headers: kept.headers, body: Array(kept.body))
    }

    var response: Response {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        return Response(status: HTTPResponse.Status(code: status), headers: fields,
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension ProblemDetails {
    func stored() throws -> StoredResponse {
        var headers = ["Content-Type": "application/problem+json"]
        for field in extraHeaders { headers[field.name.canonicalName] = field.value }
        return StoredResponse(status: statusCode, headers: headers, body: try JSONBytesEncoder.encode(self))
    }
}
