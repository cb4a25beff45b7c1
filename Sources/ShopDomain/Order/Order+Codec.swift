public import EventSourcing
import Foundation
import Wire

// The stored shapes below are a contract with every reader of the event
// table, so they are spelled out here rather than derived from the Swift
// types: renaming a Swift property must not change history's format.
extension Order {
    /// Stored type strings and the current schema version of each.
    static let storedTypes: [String: Int] = [
        "order.placed": 2,
        "order.item_added": 1,
        "order.item_removed": 1,
        "order.shipping_address_changed": 1,
        "order.confirmed": 1,
        "order.shipped": 1,
        "order.cancelled": 1,
    ]

    /// The stream type and its stored event types, for readers of the whole
    /// log (the event feed's filters).
    public static let declaredStream = StreamDeclaration(streamType: streamType, eventTypes: storedTypes.keys)

    static let upcaster = Upcaster()
        .adding("order.placed", from: 1, upcastPlacedFromV1)

    public static let codec = EventCodec<Event>(encode: encode, decode: decode)

    private static func encode(_ event: Event) throws -> EncodedEvent {
        func stored(_ payload: some Encodable, as type: String) throws -> EncodedEvent {
            try EventData.encode(payload, type: type, schemaVersion: storedTypes[type]!)
        }
        switch event {
        case let .placed(customer, lines, address, at):
            return try stored(PlacedData(customer: customer, lines: lines.map(StoredLine.init),
                                         shippingAddress: StoredAddress(address), at: at), as: "order.placed")
        case let .itemAdded(line, at):
            return try stored(ItemAddedData(sku: line.sku, quantity: line.quantity, unitPrice: line.unitPrice, at: at),
                              as: "order.item_added")
        case let .itemRemoved(sku, at):
            return try stored(ItemRemovedData(sku: sku, at: at), as: "order.item_removed")
        case let .shippingAddressChanged(address, at):
            return try stored(ShippingAddressChangedData(shippingAddress: StoredAddress(address), at: at),
                              as: "order.shipping_address_changed")
        case let .confirmed(at):
            return try stored(ConfirmedData(at: at), as: "order.confirmed")
        case let .shipped(carrier, trackingNumber, at):
            return try stored(ShippedData(carrier: carrier, trackingNumber: trackingNumber, at: at), as: "order.shipped")
        case let .cancelled(reason, at):
            return try stored(CancelledData(reason: reason, at: at), as: "order.cancelled")
        }
    }

    private static func decode(_ stored: EncodedEvent) throws -> Event {
        let event = try EventData.upcast(stored, streamType: streamType, knownTypes: storedTypes, upcaster: upcaster)
        switch event.type {
        case "order.placed":
            let data = try EventData.decode(PlacedData.self, from: event)
            return .placed(customer: data.customer, lines: data.lines.map(\.line),
                           shippingAddress: data.shippingAddress.address, at: data.at)
        case "order.item_added":
            let data = try EventData.decode(ItemAddedData.self, from: event)
            return .itemAdded(OrderLine(sku: data.sku, quantity: data.quantity, unitPrice: data.unitPrice), at: data.at)
        case "order.item_removed":
            let data = try EventData.decode(ItemRemovedData.self, from: event)
            return .itemRemoved(sku: data.sku, at: data.at)
        case "order.shipping_address_changed":
            let data = try EventData.decode(ShippingAddressChangedData.self, from: event)
            return .shippingAddressChanged(data.shippingAddress.address, at: data.at)
        case "order.confirmed":
            return .confirmed(at: try EventData.decode(ConfirmedData.self, from: event).at)
        case "order.shipped":
            let data = try EventData.decode(ShippedData.self, from: event)
            return .shipped(carrier: data.carrier, trackingNumber: data.trackingNumber, at: data.at)
        case "order.cancelled":
            let data = try EventData.decode(CancelledData.self, from: event)
            return .cancelled(reason: data.reason, at: data.at)
        default:
            throw EventDecodingError.unknownEventType(event.type, streamType: streamType)
        }
    }

    /// `order.placed` v2: `{"at", "customer_id", "lines": [line], "shipping_address": address}`.
    private struct PlacedData: Codable {
        var customer: CustomerID
        var lines: [StoredLine]
        var shippingAddress: StoredAddress
        var at: Date

        enum CodingKeys: String, CodingKey {
            case customer = "customer_id", lines, shippingAddress = "shipping_address", at
        }
    }

    /// `order.item_added` v1: `{"at", "quantity", "sku", "unit_price"}`.
    private struct ItemAddedData: Codable {
        var sku: Sku
        var quantity: Int
        var unitPrice: Money
        var at: Date

        enum CodingKeys: String, CodingKey {
            case sku, quantity, unitPrice = "unit_price", at
        }
    }

    /// `order.item_removed` v1: `{"at", "sku"}`.
    private struct ItemRemovedData: Codable {
        var sku: Sku
        var at: Date
    }

    /// `order.shipping_address_changed` v1: `{"at", "shipping_address": address}`.
    private struct ShippingAddressChangedData: Codable {
        var shippingAddress: StoredAddress
        var at: Date

        enum CodingKeys: String, CodingKey {
            case shippingAddress = "shipping_address", at
        }
    }

    /// `order.confirmed` v1: `{"at"}`.
    private struct ConfirmedData: Codable {
        var at: Date
    }

    /// `order.shipped` v1: `{"at", "carrier"?, "tracking_number"?}`.
    private struct ShippedData: Codable {
        var carrier: String?
        var trackingNumber: String?
        var at: Date

        enum CodingKeys: String, CodingKey {
            case carrier, trackingNumber = "tracking_number", at
        }
    }

    /// `order.cancelled` v1: `{"at", "reason"}`.
    private struct CancelledData: Codable {
        var reason: String
        var at: Date
    }

    /// A line: `{"quantity", "sku", "unit_price": "19.99"}`.
    private struct StoredLine: Codable {
        var sku: Sku
        var quantity: Int
        var unitPrice: Money

        init(_ line: OrderLine) {
            self.sku = line.sku
            self.quantity = line.quantity
            self.unitPrice = line.unitPrice
        }

        var line: OrderLine { OrderLine(sku: sku, quantity: quantity, unitPrice: unitPrice) }

        enum CodingKeys: String, CodingKey {
            case sku, quantity, unitPrice = "unit_price"
        }
    }

    /// An address: `{"city", "country", "line1", "line2"?, "postal_code"}`.
    private struct StoredAddress: Codable {
        var line1: String
        var line2: String?
        var city: String
        var postalCode: String
        var country: CountryCode

        init(_ address: ShippingAddress) {
            self.line1 = address.line1
            self.line2 = address.line2
            self.city = address.city
            self.postalCode = address.postalCode
            self.country = address.country
        }

        var address: ShippingAddress {
            ShippingAddress(line1: line1, line2: line2, city: city, postalCode: postalCode, country: country)
        }

        enum CodingKeys: String, CodingKey {
            case line1, line2, city, postalCode = "postal_code", country
        }
    }
}
