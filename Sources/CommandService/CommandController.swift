import EventSourcing
import Foundation
import HTTPCommon
import HTTPTypes
import Hummingbird
import LibPQ
import PostgresEventStore
import ShopDomain

extension HTTPField.Name {
    public static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    public static let consistencyToken = HTTPField.Name("Consistency-Token")!
}

/// The routes of API.md's "Command service": HTTP in, typed command on the
/// bus, HTTP out. Every answer, success or rejection, is built as a
/// `StoredResponse` first, so an `Idempotency-Key` can keep it verbatim.
public struct CommandController: Sendable {
    let bus: CommandBus<CommandContext, CommandReply>
    let store: PostgresEventStore
    let idempotency: IdempotencyStore
    let clock: @Sendable () -> Date

    public init(store: PostgresEventStore, idempotency: IdempotencyStore, clock: @escaping @Sendable () -> Date = Date.init) {
        self.bus = ShopCommandHandlers.makeBus()
        self.store = store
        self.idempotency = idempotency
        self.clock = clock
    }

    public func add(to router: Router<AppRequestContext>) {
        router.post("/customers") { request, context in
            try await handle(request, context, creates: true) { body, _ in
                RegisterCustomer(request: try RegisterCustomerRequest.parse(body))
            }
        }
        router.put("/customers/:id/name") { request, context in
            try await handle(request, context) { body, context in
                RenameCustomer(id: try customerID(context), request: try RenameCustomerRequest.parse(body))
            }
        }
        router.post("/orders") { request, context in
            try await handle(request, context, creates: true) { body, _ in
                PlaceOrder(request: try PlaceOrderRequest.parse(body))
            }
        }
        router.post("/orders/:id/items") { request, context in
            try await handle(request, context) { body, context in
                AddOrderItem(id: try orderID(context), request: try AddItemRequest.parse(body))
            }
        }
        router.delete("/orders/:id/items/:sku") { request, context in
            try await handle(request, context) { _, context in
                let id = try orderID(context)
                // A sku that cannot exist cannot be on the order.
                guard let sku = context.parameters.get("sku").flatMap(Sku.init) else {
                    throw ProblemDetails.notFound("no line with that sku on this order")
                }
                return RemoveOrderItem(id: id, sku: sku)
            }
        }
        router.put("/orders/:id/shipping-address") { request, context in
            try await handle(request, context) { body, context in
                ChangeShippingAddress(id: try orderID(context), request: try ChangeShippingAddressRequest.parse(body))
            }
        }
        router.post("/orders/:id/confirm") { request, context in
            try await handle(request, context) { _, context in ConfirmOrder(id: try orderID(context)) }
        }
        router.post("/orders/:id/ship") { request, context in
            try await handle(request, context) { body, context in
                ShipOrder(id: try orderID(context), request: try ShipOrderRequest.parse(body))
            }
        }
        router.post("/orders/:id/cancel") { request, context in
            try await handle(request, context) { body, context in
                CancelOrder(id: try orderID(context), request: try CancelOrderRequest.parse(body))
            }
        }
    }

    private func customerID(_ context: AppRequestContext) throws -> CustomerID {
        guard let id = context.parameters.get("id", as: UUID.self) else { throw ProblemDetails.notFound("no such customer") }
        return CustomerID(id)
    }

    private func orderID(_ context: AppRequestContext) throws -> OrderID {
        guard let id = context.parameters.get("id", as: UUID.self) else { throw ProblemDetails.notFound("no such order") }
        return OrderID(id)
    }

    /// Headers, body, idempotency, dispatch, answer.
    private func handle<C: Sendable>(
        _ request: Request, _ context: AppRequestContext, creates: Bool = false,
        command makeCommand: @escaping @Sendable ([UInt8], AppRequestContext) throws -> C
    ) async throws -> Response {
        let precondition = try CommandHeaders.precondition(request.headers)
        let key = try CommandHeaders.idempotencyKey(request.headers)
        let body = Array(buffer: try await request.body.collect(upTo: context.maxUploadSize))
        let respond: @Sendable (any EventStore) async throws -> StoredResponse = { store in
            try await answer(creates: creates) {
                let command = try makeCommand(body, context)
                let commandID = UUID()
                let metadata = EventMetadata(commandID: commandID, correlationID: context.requestID,
                                             causationID: commandID.uuidString.lowercased())
                return try await bus.dispatch(command, context: CommandContext(
                    store: store, precondition: precondition, metadata: metadata, now: clock()))
            }
        }
        let stored: StoredResponse
        if let key {
            let canonical = Array("\(request.method.rawValue) \(request.uri.path)\n".utf8) + body
            do {
                stored = try await idempotency.run(key: key, request: canonical, command: respond)
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

extension StoredResponse {
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
        return StoredResponse(status: statusCode, headers: headers, body: Array(try ShopJSON.encoder.encode(self)))
    }
}
