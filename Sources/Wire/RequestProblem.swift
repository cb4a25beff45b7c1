/// One invalid field of a request body, as listed in a 422 problem's `errors`.
public struct FieldError: Equatable, Sendable, Codable, CustomStringConvertible {
    /// The field's path in the body: `name`, `items[0].quantity`, `shipping_address.country`.
    public var field: String
    /// What is wrong, phrased to follow the field name: "must be between 1 and 1000".
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field) \(message)" }
}

/// Why a request body cannot become a command.
public enum RequestProblem: Error, Equatable, Sendable, CustomStringConvertible {
    /// The body is not JSON (HTTP 400); the text says what and where.
    case malformedJSON(String)
    /// The body is empty or JSON other than an object (HTTP 400).
    case notAnObject
    /// Fields are missing, of the wrong type or invalid (HTTP 422); every
    /// one of them, in the order the body's fields are read.
    case invalid([FieldError])

    /// Fit for a problem's `detail`.
    public var description: String {
        switch self {
        case .malformedJSON(let reason): "The request body is not valid JSON: \(reason)."
        case .notAnObject: "The request body must be a JSON object."
        case .invalid(let errors) where errors.count == 1: "The field \(errors[0].field) \(errors[0].message)."
        case .invalid(let errors): "\(errors.count) fields are invalid; see errors."
        }
    }
}
