import Foundation
import ShopDomain
import TestSupport
import Wire

/// Times of the scenarios, a minute apart.
enum Time {
    static let t0 = Timestamp.parse("2026-11-24T10:15:30.123Z")!
    static let t1 = Timestamp.parse("2026-11-24T10:16:30.456Z")!
    static let t2 = Timestamp.parse("2026-11-24T10:17:30.789Z")!
    static let t3 = Timestamp.parse("2026-11-24T10:18:30.000Z")!
}

enum Fixture {
    static let ada = CustomerID(UUID(uuidString: "0b7f3a52-6c1e-4b8e-9a3d-2f1c5e7d9a01")!)
    static let order = OrderID(UUID(uuidString: "5d2c8e1a-3f4b-4c6d-8e9f-0a1b2c3d4e5f")!)

    static let berlin = ShippingAddress(line1: "Unter den Linden 1", city: "Berlin", postalCode: "10117", country: "DE")
    static let paris = ShippingAddress(line1: "1 Rue de Rivoli", line2: "Apt 4", city: "Paris", postalCode: "75001",
                                       country: "FR")

    static let mugs = OrderLine(sku: "MUG", quantity: 2, unitPrice: "4.50")
    static let tea = OrderLine(sku: "TEA-01", quantity: 1, unitPrice: "19.99")

    /// `count` distinct one-item lines, `SKU-0`, `SKU-1`, …
    static func lines(_ count: Int) -> [OrderLine] {
        (0..<count).map { OrderLine(sku: Sku("SKU-\($0)")!, quantity: 1, unitPrice: "1.00") }
    }
}
