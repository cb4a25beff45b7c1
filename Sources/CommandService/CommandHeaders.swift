import HTTPCommon
import HTTPTypes

/// The command request headers of API.md; malformed ones are a 400.
enum CommandHeaders {
    /// `Idempotency-Key`: 1–255 visible ASCII characters.
    static func idempotencyKey(_ headers: HTTPFields) throws -> String? {
        let values = headers[values: .idempotencyKey]
        guard let value = values.first else { return nil }
        guard values.count == 1, (1...255).contains(value.utf8.count),
              value.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw ProblemDetails.badRequest("Idempotency-Key must be 1 to 255 visible ASCII characters.")
        }
        return value
    }

    /// `If-Match: "3"` (bare `3` is accepted too) or `*`.
    static func precondition(_ headers: HTTPFields) throws -> VersionPrecondition {
        let values = headers[values: .ifMatch]
        guard let raw = values.first else { return .none }
        let value = raw.trimmingCharacters(in: .whitespaces)
        if values.count == 1, value == "*" { return .exists }
        var digits = Substring(value)
        if digits.count >= 2, digits.first == "\"", digits.last == "\"" { digits = digits.dropFirst().dropLast() }
        guard values.count == 1, !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let version = Int(digits) else {
            throw ProblemDetails.badRequest("If-Match must be a quoted version number such as \"3\".")
        }
        return .version(version)
    }
}
