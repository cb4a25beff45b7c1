public import Foundation
import ReadModel
public import ShopDomain
import Wire

/// `GET /customers/{id}`, and an item of `GET /customers`.
///
/// Encodes exactly to the API's JSON; `last_order_at` is `null` (not
/// omitted) for a customer without orders.
public struct CustomerView: Equatable, Sendable {
    public var customerID: CustomerID
    public var name: String
    public var email: String
    /// All the customer's orders, whatever their status.
    public var orderCount: Int
    /// The totals of the customer's orders that are not cancelled.
    public var totalSpent: Money
    /// When the newest order was placed; nil without orders.
    public var lastOrderAt: Date?
    /// The customer stream's version after the last event applied.
    public var version: Int

    public init(customerID: CustomerID, name: String, email: String, orderCount: Int, totalSpent: Money,
                lastOrderAt: Date?, version: Int) {
        self.customerID = customerID
        self.name = name
        self.email = email
        self.orderCount = orderCount
        self.totalSpent = totalSpent
        self.lastOrderAt = lastOrderAt
        self.version = version
    }
}

extension CustomerView: Encodable {
    enum CodingKeys: String, CodingKey {
        case customerID = "customer_id", name, email, orderCount = "order_count", totalSpent = "total_spent"
        case lastOrderAt = "last_order_at", version
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(customerID, forKey: .customerID)
        try container.encode(name, forKey: .name)
        try container.encode(email, forKey: .email)
        try container.encode(orderCount, forKey: .orderCount)
        try container.encode(totalSpent, forKey: .totalSpent)
        // `encode` of an Optional writes null; the contract wants the key.
        try container.encode(lastOrderAt.map(Timestamp.format), forKey: .lastOrderAt)
        try container.encode(version, forKey: .version)
    }
}
