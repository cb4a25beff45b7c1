import EventSourcing
import Foundation
import ShopDomain

/// The typed commands the command service dispatches on its bus: a parsed
/// request body plus what the path names.
public struct RegisterCustomer: Sendable { public var request: RegisterCustomerRequest }
public struct RenameCustomer: Sendable { public var id: CustomerID; public var request: RenameCustomerRequest }
public struct PlaceOrder: Sendable { public var request: PlaceOrderRequest }
public struct AddOrderItem: Sendable { public var id: OrderID; public var request: AddItemRequest }
public struct RemoveOrderItem: Sendable { public var id: OrderID; public var sku: Sku }
public struct ChangeShippingAddress: Sendable { public var id: OrderID; public var request: ChangeShippingAddressRequest }
public struct ConfirmOrder: Sendable { public var id: OrderID }
public struct ShipOrder: Sendable { public var id: OrderID; public var request: ShipOrderRequest }
public struct CancelOrder: Sendable { public var id: OrderID; public var request: CancelOrderRequest }

/// What a handler needs besides the command: where to load and append, the
/// caller's `If-Match`, the metadata to stamp on events, and the time.
public struct CommandContext: Sendable {
    public var store: any EventStore
    public var precondition: VersionPrecondition
    public var metadata: EventMetadata
    public var now: Date
}

/// `If-Match` as the handlers see it.
public enum VersionPrecondition: Sendable, Equatable {
    /// No header: conflicts are retried.
    case none
    /// `If-Match: *`: the aggregate must exist; conflicts are retried.
    case exists
    /// `If-Match: "3"`: the aggregate must be at exactly this version.
    case version(Int)
}

/// What a successful command produced, for the HTTP answer.
public struct CommandReply: Sendable, Equatable {
    public enum Aggregate: Sendable, Equatable { case customer, order }

    public var aggregate: Aggregate
    public var id: UUID
    public var created: Bool
    public var version: Int
    public var position: LogPosition
}

/// A command the domain accepted in form but the current state refuses for a
/// reason outside one decider (an unknown customer on a new order).
public struct CommandInputRejected: Error, Sendable {
    public var problem: RequestProblem
}

/// Registers one handler per command type: load, decide, append through the
/// `CommandRunner`, with the retry rules of `VersionPrecondition`.
public enum ShopCommandHandlers {
    static let maxAttempts = 5

    public static func makeBus() -> CommandBus<CommandContext, CommandReply> {
        let bus = CommandBus<CommandContext, CommandReply>()
        bus.register(RegisterCustomer.self) { command, context in
            try await run(Customer.self, Customer.codec, .register(command.request, context.now), on: CustomerID(UUID()),
                          context: context, created: true, claims: Customer.claims(for:))
        }
        bus.register(RenameCustomer.self) { command, context in
            try await run(Customer.self, Customer.codec, command.request.command(at: context.now), on: command.id,
                          context: context)
        }
        bus.register(PlaceOrder.self) { command, context in
            // Customers are never deleted, so a customer seen now stays valid.
            let customer = try await CommandRunner<Customer>(store: context.store, codec: Customer.codec)
                .load(Customer.stream(command.request.customer))
            guard customer.state.isRegistered else {
                throw CommandInputRejected(problem: PlaceOrderRequest.unknownCustomer)
            }
            return try await run(Order.self, Order.codec, command.request.command(at: context.now), on: OrderID(UUID()),
                                 context: context, created: true)
        }
        bus.register(AddOrderItem.self) { command, context in
            try await run(Order.self, Order.codec, command.request.command(at: context.now), on: command.id, context: context)
        }
        bus.register(RemoveOrderItem.self) { command, context in
            try await run(Order.self, Order.codec, .removeItem(sku: command.sku, at: context.now), on: command.id,
                          context: context)
        }
        bus.register(ChangeShippingAddress.self) { command, context in
            try await run(Order.self, Order.codec, command.request.command(at: context.now), on: command.id, context: context)
        }
        bus.register(ConfirmOrder.self) { command, context in
            try await run(Order.self, Order.codec, .confirm(at: context.now), on: command.id, context: context)
        }
        bus.register(ShipOrder.self) { command, context in
            try await run(Order.self, Order.codec, command.request.command(at: context.now), on: command.id, context: context)
        }
        bus.register(CancelOrder.self) { command, context in
            try await run(Order.self, Order.codec, command.request.command(at: context.now), on: command.id, context: context)
        }
        return bus
    }

    private static func run<D: Decider, ID: AggregateIdentifier>(
        _ decider: D.Type, _ codec: EventCodec<D.Event>, _ command: D.Command, on id: ID, context: CommandContext,
        created: Bool = false, claims: @escaping @Sendable ([D.Event]) -> [UniqueClaim] = { _ in [] }
    ) async throws -> CommandReply {
        let runner = CommandRunner<D>(store: context.store, codec: codec, maxAttempts: maxAttempts)
        let ifMatch: Int? = switch context.precondition {
        case .version(let version): version
        case .none, .exists: nil
        }
        if created, context.precondition != .none {
            // If-Match on a create: no current version can match (RFC 9110 §13.1.1).
            throw CommandRunError.preconditionFailed(expected: ifMatch ?? -1, actual: 0)
        }
        let outcome = try await runner.run(command, on: id.stream, streamIsNew: created, ifMatch: ifMatch,
                                           metadata: context.metadata, claims: claims)
        return CommandReply(aggregate: ID.aggregate, id: id.uuid, created: created, version: outcome.streamVersion,
                            position: outcome.position)
    }
}

/// The id types of our two aggregates, as the handlers need them.
protocol AggregateIdentifier: Sendable {
    var uuid: UUID { get }
    var stream: StreamName { get }
    static var aggregate: CommandReply.Aggregate { get }
}

extension CustomerID: AggregateIdentifier {
    var stream: StreamName { Customer.stream(self) }
    static var aggregate: CommandReply.Aggregate { .customer }
}

extension OrderID: AggregateIdentifier {
    var stream: StreamName { Order.stream(self) }
    static var aggregate: CommandReply.Aggregate { .order }
}

extension Customer.Command {
    static func register(_ request: RegisterCustomerRequest, _ now: Date) -> Customer.Command {
        request.command(at: now)
    }
}
