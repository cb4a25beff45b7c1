import ShopDomain
import Wire

// The shop's fields, read the way API.md's common rules say.
extension FieldReader {
    mutating func personName(_ key: String, in object: BodyObject) -> PersonName? {
        checked(key, in: object, PersonName.init(validating:))
    }

    mutating func customerID(_ key: String, in object: BodyObject) -> CustomerID? {
        value(key, in: object, invalid: "must be a UUID", CustomerID.init)
    }

    mutating func sku(_ key: String, in object: BodyObject) -> Sku? {
        value(key, in: object, invalid: PathSafeCode.violation(maxLength: Sku.maxLength), Sku.init)
    }

    mutating func quantity(_ key: String, in object: BodyObject) -> Int? {
        integer(key, in: object, range: OrderLine.allowedQuantities)
    }

    mutating func unitPrice(_ key: String, in object: BodyObject) -> Money? {
        value(key, in: object,
              invalid: "must be a decimal string of up to 7 digits and at most 2 fraction digits, such as \"19.99\"",
              Money.init(parsing:))
    }

    /// `sku`, `quantity` and `unit_price` of `object`.
    mutating func orderLine(in object: BodyObject) -> OrderLine? {
        let sku = sku("sku", in: object)
        let quantity = quantity("quantity", in: object)
        let unitPrice = unitPrice("unit_price", in: object)
        guard let sku, let quantity, let unitPrice else { return nil }
        return OrderLine(sku: sku, quantity: quantity, unitPrice: unitPrice)
    }

    /// `line1`, `line2`?, `city`, `postal_code` and `country` of `object`.
    mutating func shippingAddress(in object: BodyObject) -> ShippingAddress? {
        let line1 = text("line1", in: object, rule: .addressField)
        let line2 = optionalText("line2", in: object, rule: .addressField)
        let city = text("city", in: object, rule: .addressField)
        let postalCode = text("postal_code", in: object, rule: .addressField)
        let country = value("country", in: object,
                            invalid: "must be an ISO 3166-1 alpha-2 country code in upper case, such as \"DE\"",
                            CountryCode.init)
        guard let line1, let line2, let city, let postalCode, let country else { return nil }
        return ShippingAddress(line1: line1, line2: line2, city: city, postalCode: postalCode, country: country)
    }
}
