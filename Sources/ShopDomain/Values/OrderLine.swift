/// One line of an order: a sku, how many, and the price of one.
public struct OrderLine: Hashable, Sendable {
    public var sku: Sku
    public var quantity: Int
    public var unitPrice: Money

    /// How many of one sku a line may hold, whether placed at once or added up.
    public static let allowedQuantities = 1...1000

    public init(sku: Sku, quantity: Int, unitPrice: Money) {
        self.sku = sku
        self.quantity = quantity
        self.unitPrice = unitPrice
    }

    /// quantity × unit price.
    public var lineTotal: Money { unitPrice * quantity }
}
