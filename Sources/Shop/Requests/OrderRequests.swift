public import CommandService
import EventSourcing
public import Foundation
public import ShopDomain
public import Wire

/// `POST /orders`: `{"customer_id", "items": [{"sku", "quantity", "unit_price"}], "shipping_address"}`.
///
/// `customer_id` is a UUID in either case; whether that customer exists is
/// for the HTTP layer to ask the store (a 422 on `customer_id` when not).
/// `items` holds 1–100 lines with distinct skus: a repeated sku is an error
/// on the later item's `sku`. Beyond 100 items only the count is reported,
/// so that a huge body cannot produce a huge answer.
public struct PlaceOrderRequest: CommandRequest {
    public typealias Target = Order

    public var customer: CustomerID
    public var lines: [OrderLine]
    public var shippingAddress: ShippingAddress

    public init(customer: CustomerID, lines: [OrderLine], shippingAddress: ShippingAddress) {
        self.customer = customer
        self.lines = lines
        self.shippingAddress = shippingAddress
    }

    public static func parse(_ body: [UInt8]) throws(RequestProblem) -> PlaceOrderRequest {
        let object = try FieldReader.object(from: body)
        var reader = FieldReader()
        let customer = reader.customerID("customer_id", in: object)
        let lines = reader.lines("items", in: object)
        let address = reader.object("shipping_address", in: object).flatMap { reader.shippingAddress(in: $0) }
        return try reader.result { () -> PlaceOrderRequest? in
            guard let customer, let lines, let address else { return nil }
            return PlaceOrderRequest(customer: customer, lines: lines, shippingAddress: address)
        }
    }

    public func command(at time: Date) -> Order.Command {
        .place(customer: customer, lines: lines, shippingAddress: shippingAddress, at: time)
    }

    /// The 422 to answer when `customer` names no registered customer, worded
    /// like the other field errors.
    public static let unknownCustomer = RequestProblem.invalid([
        FieldError(field: "customer_id", message: "must name a registered customer"),
    ])
}

/// `POST /orders/{id}/items`: `{"sku", "quantity", "unit_price"}`.
public struct AddItemRequest: CommandRequest {
    public typealias Target = Order

    public var line: OrderLine

    public init(line: OrderLine) {
        self.line = line
    }

    public static func parse(_ body: [UInt8]) throws(RequestProblem) -> AddItemRequest {
        let object = try FieldReader.object(from: body)
        var reader = FieldReader()
        let line = reader.orderLine(in: object)
        return try reader.result { line.map(AddItemRequest.init) }
    }

    public func command(at time: Date) -> Order.Command {
        .addItem(line, at: time)
    }
}

/// `PUT /orders/{id}/shipping-address`: the address object itself,
/// `{"line1", "line2"?, "city", "postal_code", "country"}`. `line2` may be
/// absent or `null`; when given it follows the same rule as the others.
public struct ChangeShippingAddressRequest: CommandRequest {
    public typealias Target = Order

    public var shippingAddress: ShippingAddress

    public init(shippingAddress: ShippingAddress) {
        self.shippingAddress = shippingAddress
    }

    public static func parse(_ body: [UInt8]) throws(RequestProblem) -> ChangeShippingAddressRequest {
        let object = try FieldReader.object(from: body)
        var reader = FieldReader()
        let address = reader.shippingAddress(in: object)
        return try reader.result { address.map(ChangeShippingAddressRequest.init) }
    }

    public func command(at time: Date) -> Order.Command {
        .changeShippingAddress(shippingAddress, at: time)
    }
}

/// `POST /orders/{id}/ship`: `{"carrier"?, "tracking_number"?}`. Both are
/// optional (absent or `null`); when given they are text of 1–200
/// characters. An empty body means neither.
public struct ShipOrderRequest: CommandRequest {
    public typealias Target = Order

    public var carrier: String?
    public var trackingNumber: String?

    public init(carrier: String? = nil, trackingNumber: String? = nil) {
        self.carrier = carrier
        self.trackingNumber = trackingNumber
    }

    public static func parse(_ body: [UInt8]) throws(RequestProblem) -> ShipOrderRequest {
        let object = try FieldReader.object(from: body, emptyBodyIsEmptyObject: true)
        var reader = FieldReader()
        let carrier = reader.optionalText("carrier", in: object, rule: .shipmentDetail)
        let trackingNumber = reader.optionalText("tracking_number", in: object, rule: .shipmentDetail)
        return try reader.result { () -> ShipOrderRequest? in
            guard let carrier, let trackingNumber else { return nil }
            return ShipOrderRequest(carrier: carrier, trackingNumber: trackingNumber)
        }
    }

    public func command(at time: Date) -> Order.Command {
        .ship(carrier: carrier, trackingNumber: trackingNumber, at: time)
    }
}

/// `POST /orders/{id}/cancel`: `{"reason"}`, 1–500 characters after trimming.
public struct CancelOrderRequest: CommandRequest {
    public typealias Target = Order

    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }

    public static func parse(_ body: [UInt8]) throws(RequestProblem) -> CancelOrderRequest {
        let object = try FieldReader.object(from: body)
        var reader = FieldReader()
        let reason = reader.text("reason", in: object, rule: .cancellationReason)
        return try reader.result { reason.map(CancelOrderRequest.init) }
    }

    public func command(at time: Date) -> Order.Command {
        .cancel(reason: reason, at: time)
    }
}

extension FieldReader {
    /// The order lines of the array `key`: see `PlaceOrderRequest`.
    mutating func lines(_ key: String, in object: BodyObject) -> [OrderLine]? {
        guard let items = array(key, in: object) else { return nil }
        guard (1...Order.maxLines).contains(items.count) else {
            fail(object.path(of: key), "must contain between 1 and \(Order.maxLines) items")
            return nil
        }
        var lines: [OrderLine] = []
        var firstItemWithSku: [Sku: Int] = [:]
        for (index, item) in items.enumerated() {
            let path = "\(object.path(of: key))[\(index)]"
            guard let itemObject = self.object(item, at: path) else { continue }
            let sku = sku("sku", in: itemObject)
            if let sku {
                if let first = firstItemWithSku[sku] {
                    fail(itemObject.path(of: "sku"), "repeats the sku of \(object.path(of: key))[\(first)]")
                } else {
                    firstItemWithSku[sku] = index
                }
            }
            let quantity = quantity("quantity", in: itemObject)
            let unitPrice = unitPrice("unit_price", in: itemObject)
            if let sku, let quantity, let unitPrice {
                lines.append(OrderLine(sku: sku, quantity: quantity, unitPrice: unitPrice))
            }
        }
        return lines.count == items.count ? lines : nil
    }
}
