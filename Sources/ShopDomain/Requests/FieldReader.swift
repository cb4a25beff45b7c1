import Foundation

/// One JSON object of a request body, and where it sits in the body.
struct BodyObject {
    let members: [String: JSONValue]
    /// `""` for the body itself, `"shipping_address"`, `"items[2]"`, …
    let path: String

    func path(of key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}

/// Reads the fields of a request body and collects every error instead of
/// stopping at the first, so that a 422 can name them all. Each reading
/// method returns `nil` after recording why the field is not usable.
///
/// Fields the API does not define are ignored, as a tolerant reader does: a
/// client may send more than a command needs (say, the `order_id` it read)
/// without breaking.
struct FieldReader {
    private(set) var errors: [FieldError] = []

    /// The body as an object. With `emptyBodyIsEmptyObject`, an empty body
    /// (or one of whitespace only) reads as `{}`, for commands whose fields
    /// are all optional.
    static func object(from body: [UInt8], emptyBodyIsEmptyObject: Bool = false) throws(RequestProblem) -> BodyObject {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            guard emptyBodyIsEmptyObject else { throw .notAnObject }
            return BodyObject(members: [:], path: "")
        }
        let document: JSONValue
        do {
            document = try JSONValue.parse(body)
        } catch {
            throw .malformedJSON(error.description)
        }
        guard case .object(let members) = document else { throw .notAnObject }
        return BodyObject(members: members, path: "")
    }

    mutating func fail(_ field: String, _ message: String) {
        errors.append(FieldError(field: field, message: message))
    }

    /// The value built from the fields read, or every error recorded.
    func result<Value>(_ build: () -> Value?) throws(RequestProblem) -> Value {
        guard errors.isEmpty, let value = build() else { throw .invalid(errors) }
        return value
    }

    // MARK: JSON types

    /// A field that must be present; `null` is accepted here and left to the
    /// type check, which names it.
    mutating func required(_ key: String, in object: BodyObject) -> JSONValue? {
        guard let value = object.members[key] else {
            fail(object.path(of: key), "is required")
            return nil
        }
        return value
    }

    mutating func typeMismatch(_ field: String, expected: String, got value: JSONValue) {
        fail(field, "must be \(expected), not \(value.typeName)")
    }

    mutating func string(_ key: String, in object: BodyObject) -> String? {
        guard let value = required(key, in: object) else { return nil }
        guard case .string(let text) = value else {
            typeMismatch(object.path(of: key), expected: "a string", got: value)
            return nil
        }
        return text
    }

    /// An optional string: absent and `null` both mean "not given".
    mutating func optionalString(_ key: String, in object: BodyObject) -> String?? {
        switch object.members[key] {
        case nil, .null?: return .some(nil)
        case .string(let text)?: return .some(text)
        case let value?:
            typeMismatch(object.path(of: key), expected: "a string", got: value)
            return nil
        }
    }

    mutating func object(_ key: String, in object: BodyObject) -> BodyObject? {
        guard let value = required(key, in: object) else { return nil }
        return self.object(value, at: object.path(of: key))
    }

    mutating func object(_ value: JSONValue, at path: String) -> BodyObject? {
        guard case .object(let members) = value else {
            typeMismatch(path, expected: "an object", got: value)
            return nil
        }
        return BodyObject(members: members, path: path)
    }

    mutating func array(_ key: String, in object: BodyObject) -> [JSONValue]? {
        guard let value = required(key, in: object) else { return nil }
        guard case .array(let elements) = value else {
            typeMismatch(object.path(of: key), expected: "an array", got: value)
            return nil
        }
        return elements
    }

    /// A JSON number without a fractional part (`1.0` counts as 1) in `range`.
    mutating func integer(_ key: String, in object: BodyObject, range: ClosedRange<Int>) -> Int? {
        guard let value = required(key, in: object) else { return nil }
        let field = object.path(of: key)
        guard case .number(let number) = value else {
            typeMismatch(field, expected: "an integer", got: value)
            return nil
        }
        let outOfRange = "must be between \(range.lowerBound) and \(range.upperBound)"
        switch Result(catching: { () throws(JSONNumber.IntegerError) in try number.integer() }) {
        case .success(let integer) where Int64(range.lowerBound) <= integer && integer <= Int64(range.upperBound):
            return Int(integer)
        case .success, .failure(.outOfRange):
            fail(field, outOfRange)
        case .failure(.fractional):
            fail(field, "must be an integer")
        }
        return nil
    }

    // MARK: Text and values

    mutating func text(_ key: String, in object: BodyObject, rule: TextRule) -> String? {
        guard let raw = string(key, in: object) else { return nil }
        return checked(raw, rule: rule, field: object.path(of: key))
    }

    /// Optional text: absent or `null` is `.some(nil)`; present, it follows the rule.
    mutating func optionalText(_ key: String, in object: BodyObject, rule: TextRule) -> String?? {
        guard let raw = optionalString(key, in: object) else { return nil }
        guard let raw else { return .some(nil) }
        return checked(raw, rule: rule, field: object.path(of: key)).map { .some($0) }
    }

    private mutating func checked(_ raw: String, rule: TextRule, field: String) -> String? {
        do {
            return try rule.check(raw)
        } catch {
            fail(field, error.description)
            return nil
        }
    }

    /// A string field turned into a value by `make`; `message` when it cannot be.
    mutating func value<Value>(_ key: String, in object: BodyObject, invalid message: String,
                               _ make: (String) -> Value?) -> Value? {
        guard let raw = string(key, in: object) else { return nil }
        guard let value = make(raw) else {
            fail(object.path(of: key), message)
            return nil
        }
        return value
    }
}

// MARK: The shop's fields

extension FieldReader {
    mutating func personName(_ key: String, in object: BodyObject) -> PersonName? {
        guard let raw = string(key, in: object) else { return nil }
        do {
            return try PersonName(validating: raw)
        } catch {
            fail(object.path(of: key), error.description)
            return nil
        }
    }

    mutating func email(_ key: String, in object: BodyObject) -> Email? {
        guard let raw = string(key, in: object) else { return nil }
        guard raw.count <= Email.maxLength else {
            fail(object.path(of: key), "must be at most \(Email.maxLength) characters")
            return nil
        }
        guard let email = Email(raw) else {
            fail(object.path(of: key), "must be a valid email address")
            return nil
        }
        return email
    }

    mutating func customerID(_ key: String, in object: BodyObject) -> CustomerID? {
        value(key, in: object, invalid: "must be a UUID", CustomerID.init)
    }

    mutating func sku(_ key: String, in object: BodyObject) -> Sku? {
        value(key, in: object, invalid: "must be 1 to \(Sku.maxLength) characters of A-Z, a-z, 0-9, '_' and '-'",
              Sku.init)
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
