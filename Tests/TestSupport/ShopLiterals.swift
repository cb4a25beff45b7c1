public import Wire
public import ShopDomain

// Test-only literal spellings, so that expected events read as literals:
// `OrderLine(sku: "MUG", quantity: 2, unitPrice: "4.50")`. An invalid literal
// is a bug in the test, hence the crash.
extension Sku: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = Sku(value)! }
}

extension Money: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = Money(canonical: value) ?? Money(parsing: value)! }
}

extension PersonName: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = try! PersonName(validating: value) }
}

extension Email: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = Email(value)! }
}

extension CountryCode: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = CountryCode(value)! }
}
