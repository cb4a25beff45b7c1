public import CommandService
import EventSourcing
public import Foundation
import HTTPCommon
public import CatalogDomain
public import Wire

/// `POST /items`: `{"sku", "description"}`.
public struct CreateItemRequest: CommandRequest {
    public typealias Target = Item

    public var sku: ItemSku
    public var description: ItemDescription

    public static func parse(_ body: [UInt8]) throws(RequestProblem) -> CreateItemRequest {
        let object = try FieldReader.object(from: body)
        var reader = FieldReader()
        let sku = reader.value("sku", in: object, invalid: PathSafeCode.violation(maxLength: ItemSku.maxLength), ItemSku.init)
        let description = reader.checked("description", in: object, ItemDescription.init(validating:))
        return try reader.result { () -> CreateItemRequest? in
            guard let sku, let description else { return nil }
            return CreateItemRequest(sku: sku, description: description)
        }
    }

    public func command(at time: Date) -> Item.Command {
        .create(sku: sku, description: description, at: time)
    }
}

/// `PUT /items/{sku}/description`: `{"description"}`.
public struct ChangeItemDescriptionRequest: CommandRequest {
    public typealias Target = Item

    public var description: ItemDescription

    public static func parse(_ body: [UInt8]) throws(RequestProblem) -> ChangeItemDescriptionRequest {
        let object = try FieldReader.object(from: body)
        var reader = FieldReader()
        let description = reader.checked("description", in: object, ItemDescription.init(validating:))
        return try reader.result { description.map(ChangeItemDescriptionRequest.init) }
    }

    public func command(at time: Date) -> Item.Command {
        .changeDescription(description, at: time)
    }
}

/// The catalog's typed commands: a parsed body plus what the path names.
public struct CreateItem: Sendable { public var request: CreateItemRequest }
public struct ChangeItemDescription: Sendable { public var sku: ItemSku; public var request: ChangeItemDescriptionRequest }

/// The catalog's command routes (API.md "Catalog: items"). The sku names
/// the stream, so a create of a sku that exists meets that stream and is
/// refused by the decider (409), and an unknown sku's stream is empty (404).
extension Catalog: CommandModule {
    public static func registerCommands(on routes: CommandRoutes) {
        routes.post("/items", creates: true) { input in
            CreateItem(request: try CreateItemRequest.parse(input.body))
        } handle: { command, context in
            let sku = command.request.sku
            return try await context.run(Item.self, Item.codec, command.request.command(at: context.now),
                                         on: Item.stream(sku), as: sku.resource, created: true)
        }
        routes.put("/items/:sku/description") { input in
            // A path segment that cannot be a sku names no item.
            guard let sku = input.path.parameter("sku").flatMap(ItemSku.init) else {
                throw ProblemDetails.notFound("no such item")
            }
            return ChangeItemDescription(sku: sku, request: try ChangeItemDescriptionRequest.parse(input.body))
        } handle: { command, context in
            try await context.run(Item.self, Item.codec, command.request.command(at: context.now),
                                  on: Item.stream(command.sku), as: command.sku.resource)
        }
    }
}

extension ItemSku {
    var resource: CommandReply.Resource {
        .init(idField: "sku", id: value, location: "/items/\(value)")
    }
}
