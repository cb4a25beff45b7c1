import Wire
/// Where an order goes. Text fields follow `TextRule.addressField` (trimmed,
/// 1–200 characters); `line2` is the only optional one.
///
/// The initializer trusts its arguments: the request parser
/// (`ShippingAddressRequest`) applies the rule, and stored events were
/// checked when they were decided.
public struct ShippingAddress: Hashable, Sendable {
    public var line1: String
    public var line2: String?
    public var city: String
    public var postalCode: String
    public var country: CountryCode

    public init(line1: String, line2: String? = nil, city: String, postalCode: String, country: CountryCode) {
        self.line1 = line1
        self.line2 = line2
        self.city = city
        self.postalCode = postalCode
        self.country = country
    }
}
