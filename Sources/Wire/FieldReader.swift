import Foundation

/// One JSON object of a request body, and where it sits in the body.
public struct BodyObject: Sendable {
    public let members: [String: JSONValue]
    /// `""` for the body itself, `"shipping_address"`, `"items[2]"`, …
    public let path: String

    public init(members: [String: JSONValue], path: String) {
        self.members = members
        self.path = path
    }

    public func path(of key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}

/// Reads the fields of a request body and collects every error instead of
/// stopping at the first, so that a 422 can name them all. Each reading
/// method returns `nil` after recording why the field is not usable.
///
/// Fields the API does not define are ignored, as a tolerant reader does: a
/// client may send more than a command needs (say, the id it read back)
/// without breaking.
public struct FieldReader: Sendable {
    public private(set) var errors: [FieldError] = []

    public init() {}

    /// The body as an object. With `emptyBodyIsEmptyObject`, an empty body
    /// (or one of whitespace only) reads as `{}`, for commands whose fields
    /// are all optional.
    public static func object(from body: [UInt8], emptyBodyIsEmptyObject: Bool = false) throws(RequestProblem) -> BodyObject {
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

    public mutating func fail(_ field: String, _ message: String) {
        errors.append(FieldError(field: field, message: message))
    }

    /// The value built from the fields read, or every error recorded.
    public func result<Value>(_ build: () -> Value?) throws(RequestProblem) -> Value {
        guard errors.isEmpty, let value = build() else { throw .invalid(errors) }
        return value
    }

    // MARK: JSON types

    /// A field that must be present; `null` is accepted here and left to the
    /// type check, which names it.
    public mutating func required(_ key: String, in object: BodyObject) -> JSONValue? {
        guard let value = object.members[key] else {
            fail(object.path(of: key), "is required")
            return nil
        }
        return value
    }

    public mutating func typeMismatch(_ field: String, expected: String, got value: JSONValue) {
        fail(field, "must be \(expected), not \(value.typeName)")
    }

    public mutating func string(_ key: String, in object: BodyObject) -> String? {
        guard let value = required(key, in: object) else { return nil }
        guard case .string(let text) = value else {
            typeMismatch(object.path(of: key), expected: "a string", got: value)
            return nil
        }
        return text
    }

    /// An optional string: absent and `null` both mean "not given".
    public mutating func optionalString(_ key: String, in object: BodyObject) -> String?? {
        switch object.members[key] {
        case nil, .null?: return .some(nil)
        case .string(let text)?: return .some(text)
        case let value?:
            typeMismatch(object.path(of: key), expected: "a string", got: value)
            return nil
        }
    }

    public mutating func object(_ key: String, in object: BodyObject) -> BodyObject? {
        guard let value = required(key, in: object) else { return nil }
        return self.object(value, at: object.path(of: key))
    }

    public mutating func object(_ value: JSONValue, at path: String) -> BodyObject? {
        guard case .object(let members) = value else {
            typeMismatch(path, expected: "an object", got: value)
            return nil
        }
        return BodyObject(members: members, path: path)
    }

    public mutating func array(_ key: String, in object: BodyObject) -> [JSONValue]? {
        guard let value = required(key, in: object) else { return nil }
        guard case .array(let elements) = value else {
            typeMismatch(object.path(of: key), expected: "an array", got: value)
            return nil
        }
        return elements
    }

    /// A JSON number without a fractional part (`1.0` counts as 1) in `range`.
    public mutating func integer(_ key: String, in object: BodyObject, range: ClosedRange<Int>) -> Int? {
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

    public mutating func text(_ key: String, in object: BodyObject, rule: TextRule) -> String? {
        guard let raw = string(key, in: object) else { return nil }
        return checked(raw, rule: rule, field: object.path(of: key))
    }

    /// Optional text: absent or `null` is `.some(nil)`; present, it follows the rule.
    public mutating func optionalText(_ key: String, in object: BodyObject, rule: TextRule) -> String?? {
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
    public mutating func value<Value>(_ key: String, in object: BodyObject, invalid message: String,
                               _ make: (String) -> Value?) -> Value? {
        guard let raw = string(key, in: object) else { return nil }
        guard let value = make(raw) else {
            fail(object.path(of: key), message)
            return nil
        }
        return value
    }

    /// A string field checked by `make` (a value's validating initializer
    /// under its text rule); the rule's violation is the field's message.
    public mutating func checked<Value>(_ key: String, in object: BodyObject,
                                        _ make: (String) throws(TextRule.Violation) -> Value) -> Value? {
        guard let raw = string(key, in: object) else { return nil }
        do {
            return try make(raw)
        } catch {
            fail(object.path(of: key), error.description)
            return nil
        }
    }
}
