public import CommandService
import EventSourcing
import Foundation
import HTTPCommon
public import ShopDomain
import Wire
import UUIDKit

/// The shop's typed commands: a parsed request body plus what the path names.
public struct RegisterCustomer: Sendable { public var request: RegisterCustomerRequest }
public struct RenameCustomer: Sendable { public var id: CustomerID; public var request: RenameCustomerRequest }
public struct PlaceOrder: Sendable { public var request: PlaceOrderRequest }
public struct AddOrderItem: Sendable { public var id: OrderID; public var request: AddItemRequest }
public struct RemoveOrderItem: Sendable { public var id: OrderID; public var sku: Sku }
public struct ChangeShippingAddress: Sendable { public var id: OrderID; public var request: ChangeShippingAddressRequest }
public struct ConfirmOrder: Sendable { public var id: OrderID }
public struct ShipOrder: Sendable { public var id: OrderID; public var request: ShipOrderRequest }
public struct CancelOrder: Sendable { public var id: OrderID; public var request: CancelOrderRequest }

/// The shop's command routes (API.md "Command service") and their handlers:
/// load, decide, append through `CommandContext.run`.
extension Shop: CommandModule {
    public static func registerCommands(on routes: CommandRoutes) {
        routes.post("/customers", creates: true) { input in
            RegisterCustomer(request: try RegisterCustomerRequest.parse(input.body))
        } handle: { command, context in
            let id = CustomerID(UUID.random())
            do {
                return try await context.run(Customer.self, Customer.codec, command.request.command(at: context.now),
                                             on: Customer.stream(id), as: id.resource, created: true,
                                             claims: Customer.claims(for:))
            } catch CommandRunError.claimTaken(let claim) where claim.scope == Customer.emailClaimScope {
                throw CommandRefused(.conflict, "A customer with this email already exists.")
            }
        }
        routes.put("/customers/:id/name") { input in
            RenameCustomer(id: try customerID(input), request: try RenameCustomerRequest.parse(input.body))
        } handle: { command, context in
            try await context.run(Customer.self, Customer.codec, command.request.command(at: context.now),
                                  on: Customer.stream(command.id), as: command.id.resource)
        }
        routes.post("/orders", creates: true) { input in
            PlaceOrder(request: try PlaceOrderRequest.parse(input.body))
        } handle: { command, context in
            // The customer must exist: checked in the append itself (a
            // customer stream begins with its registration, and customers
            // are never deleted, so a customer there now stays valid).
            let id = OrderID(UUID.random())
            return try await context.run(Order.self, Order.codec, command.request.command(at: context.now),
                                         on: Order.stream(id), as: id.resource, created: true,
                                         requiring: [RequiredStream(Customer.stream(command.request.customer),
                                                                    else: PlaceOrderRequest.unknownCustomer)])
        }
        routes.post("/orders/:id/items") { input in
            AddOrderItem(id: try orderID(input), request: try AddItemRequest.parse(input.body))
        } handle: { command, context in
            try await order(command.id, command.request.command(at: context.now), context)
        }
        routes.delete("/orders/:id/items/:sku") { input in
            let id = try orderID(input)
            // A sku that cannot exist cannot be on the order.
            guard let sku = input.path.parameter("sku").flatMap(Sku.init) else {
                throw ProblemDetails.notFound("no line with that sku on this order")
            }
            return RemoveOrderItem(id: id, sku: sku)
        } handle: { command, context in
            try await order(command.id, .removeItem(sku: command.sku, at: context.now), context)
        }
        routes.put("/orders/:id/shipping-address") { input in
            ChangeShippingAddress(id: try orderID(input), request: try ChangeShippingAddressRequest.parse(input.body))
        } handle: { command, context in
            try await order(command.id, command.request.command(at: context.now), context)
        }
        routes.post("/orders/:id/confirm") { input in
            ConfirmOrder(id: try orderID(input))
        } handle: { command, context in
            try await order(command.id, .confirm(at: context.now), context)
        }
        routes.post("/orders/:id/ship") { input in
            ShipOrder(id: try orderID(input), request: try ShipOrderRequest.parse(input.body))
        } handle: { command, context in
            try await order(command.id, command.request.command(at: context.now), context)
        }
        routes.post("/orders/:id/cancel") { input in
            CancelOrder(id: try orderID(input), request: try CancelOrderRequest.parse(input.body))
        } handle: { command, context in
            try await order(command.id, command.request.command(at: context.now), context)
        }
    }

    private static func order(_ id: OrderID, _ command: Order.Command, _ context: CommandContext) async throws -> CommandReply {
        try await context.run(Order.self, Order.codec, command, on: Order.stream(id), as: id.resource)
    }

    private static func customerID(_ input: CommandInput) throws -> CustomerID {
        guard let id = input.path.uuid("id") else { throw ProblemDetails.notFound("no such customer") }
        return CustomerID(id)
    }

    private static func orderID(_ input: CommandInput) throws -> OrderID {
        guard let id = input.path.uuid("id") else { throw ProblemDetails.notFound("no such order") }
        return OrderID(id)
    }
}

extension CustomerID {
    var resource: CommandReply.Resource {
        let id = uuid.lowercasedString
        return .init(idField: "customer_id", id: id, location: "/customers/\(id)")
    }
}

extension OrderID {
    var resource: CommandReply.Resource {
        let id = uuid.lowercasedString
        return .init(idField: "order_id", id: id, location: "/orders/\(id)")
    }
}
