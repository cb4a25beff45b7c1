public import Foundation
import ReadModel
public import ShopDomain
import Wire

/// `GET /orders/{id}`: an order as the orders projection last saw it.
///
/// Encodes exactly to the API's JSON: snake_case keys, money as two-decimal
/// strings, times as RFC 3339 UTC with milliseconds, lower-case ids. In
/// `shipping_address`, `line2` is omitted when the address has none, the same
/// shape the request and the stored event use.
public struct OrderView: Equatable, Sendable {
    public var orderID: OrderID
    public var customerID: CustomerID
    /// The customer's current name; empty until this projection has seen the customer.
    public var customerName: String
    public var status: Order.Status
    /// In the order they were first added.
    public var items: [OrderLineView]
    /// The sum of the lines' quantities.
    public var itemCount: Int
    /// The sum of the lines' totals.
    public var totalAmount: Money
    public var shippingAddress: ShippingAddress
    public var createdAt: Date
    public var updatedAt: Date
    /// The order stream's version after the last event applied.
    public var version: Int

    public init(orderID: OrderID, customerID: CustomerID, customerName: String, status: Order.Status,
                items: [OrderLineView], itemCount: Int, totalAmount: Money, shippingAddress: ShippingAddress,
                createdAt: Date, updatedAt: Date, version: Int) {
        self.orderID = orderID
        self.customerID = customerID
        self.customerName = customerName
        self.status = status
        self.items = items
        self.itemCount = itemCount
        self.totalAmount = totalAmount
        self.shippingAddress = shippingAddress
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }
}

/// One line of `OrderView.items`: `{"sku", "quantity", "unit_price", "line_total"}`.
public struct OrderLineView: Equatable, Sendable, Encodable {
    public var sku: Sku
    public var quantity: Int
    public var unitPrice: Money

    public init(sku: Sku, quantity: Int, unitPrice: Money) {
        self.sku = sku
        self.quantity = quantity
        self.unitPrice = unitPrice
    }

    /// quantity × unit price.
    public var lineTotal: Money { unitPrice * quantity }

    enum CodingKeys: String, CodingKey {
        case sku, quantity, unitPrice = "unit_price", lineTotal = "line_total"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sku, forKey: .sku)
        try container.encode(quantity, forKey: .quantity)
        try container.encode(unitPrice, forKey: .unitPrice)
        try container.encode(lineTotal, forKey: .lineTotal)
    }
}

/// One item of `GET /orders`.
public struct OrderSummary: Equatable, Sendable {
    public var orderID: OrderID
    public var customerID: CustomerID
    public var customerName: String
    public var status: Order.Status
    public var itemCount: Int
    public var totalAmount: Money
    public var createdAt: Date
    public var updatedAt: Date

    public init(orderID: OrderID, customerID: CustomerID, customerName: String, status: Order.Status,
                itemCount: Int, totalAmount: Money, createdAt: Date, updatedAt: Date) {
        self.orderID = orderID
        self.customerID = customerID
        self.customerName = customerName
        self.status = status
        self.itemCount = itemCount
        self.totalAmount = totalAmount
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

enum OrderCodingKeys: String, CodingKey {
    case orderID = "order_id", customerID = "customer_id", customerName = "customer_name", status, items
    case itemCount = "item_count", totalAmount = "total_amount", shippingAddress = "shipping_address"
    case createdAt = "created_at", updatedAt = "updated_at", version
}

enum AddressCodingKeys: String, CodingKey {
    case line1, line2, city, postalCode = "postal_code", country
}

extension OrderView: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: OrderCodingKeys.self)
        try container.encode(orderID, forKey: .orderID)
        try container.encode(customerID, forKey: .customerID)
        try container.encode(customerName, forKey: .customerName)
        try container.encode(status, forKey: .status)
        try container.encode(items, forKey: .items)
        try container.encode(itemCount, forKey: .itemCount)
        try container.encode(totalAmount, forKey: .totalAmount)
        var address = container.nestedContainer(keyedBy: AddressCodingKeys.self, forKey: .shippingAddress)
        try address.encode(shippingAddress.line1, forKey: .line1)
        try address.encodeIfPresent(shippingAddress.line2, forKey: .line2)
        try address.encode(shippingAddress.city, forKey: .city)
        try address.encode(shippingAddress.postalCode, forKey: .postalCode)
        try address.encode(shippingAddress.country, forKey: .country)
        try container.encode(Timestamp.format(createdAt), forKey: .createdAt)
        try container.encode(Timestamp.format(updatedAt), forKey: .updatedAt)
        try container.encode(version, forKey: .version)
    }
}

extension OrderSummary: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: OrderCodingKeys.self)
        try container.encode(orderID, forKey: .orderID)
        try container.encode(customerID, forKey: .customerID)
        try container.encode(customerName, forKey: .customerName)
        try container.encode(status, forKey: .status)
        try container.encode(itemCount, forKey: .itemCount)
        try container.encode(totalAmount, forKey: .totalAmount)
        try container.encode(Timestamp.format(createdAt), forKey: .createdAt)
        try container.encode(Timestamp.format(updatedAt), forKey: .updatedAt)
    }
}
