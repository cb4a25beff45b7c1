/// A JSON document as parsed, before any meaning is given to it. Request
/// validation reads bodies through it so that every field can be judged on
/// its own (a `JSONDecoder` stops at the first problem), and numbers keep
/// their literal text so that no value is ever rounded through a float.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    /// Keys are unique: the parser refuses a document that repeats one.
    case object([String: JSONValue])

    /// The name of the value's JSON type, for messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// A JSON number as its literal text, as it appeared in the document.
public struct JSONNumber: Equatable, Sendable, CustomStringConvertible {
    /// Valid JSON number syntax (the parser guarantees it).
    public let literal: String

    init(literal: String) {
        self.literal = literal
    }

    public init(_ value: Int64) {
        self.literal = String(value)
    }

    public var description: String { literal }

    public enum IntegerError: Error, Equatable, Sendable {
        /// The number has a non-zero fractional part (`1.5`, `1e-400`).
        case fractional
        /// An integer too large for `Int64` (`99999999999999999999`, `1e400`).
        case outOfRange
    }

    /// The number as an exact integer, worked out on the decimal digits:
    /// `1.0` and `1e2` are integers, `1.5` is not, and no exponent is large
    /// enough to make this slow or crash.
    public func integer() throws(IntegerError) -> Int64 {
        var bytes = Substring(literal).utf8[...]
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { bytes = bytes.dropFirst() }
        let mantissa = bytes.prefix { $0 != UInt8(ascii: "e") && $0 != UInt8(ascii: "E") }
        let integerDigits = mantissa.prefix { $0 != UInt8(ascii: ".") }
        let fractionDigits = mantissa.dropFirst(integerDigits.count).dropFirst()
        var exponent = 0
        let exponentPart = bytes.dropFirst(mantissa.count).dropFirst()
        if !exponentPart.isEmpty {
            let exponentNegative = exponentPart.first == UInt8(ascii: "-")
            let exponentDigits = exponentPart.drop { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") }
            for digit in exponentDigits {
                // Beyond a million the exact value no longer matters: the
                // number is out of range, or fractional, either way.
                exponent = min(exponent * 10 + Int(digit - UInt8(ascii: "0")), 1_000_000)
            }
            if exponentNegative { exponent = -exponent }
        }
        // value = digits × 10^scale, with the digits' leading and trailing zeros dropped.
        var digits = Array(integerDigits) + Array(fractionDigits)
        var scale = exponent - fractionDigits.count
        digits = Array(digits.drop { $0 == UInt8(ascii: "0") })
        while digits.last == UInt8(ascii: "0") {
            digits.removeLast()
            scale += 1
        }
        if digits.isEmpty { return 0 }
        if scale < 0 { throw .fractional }
        if digits.count + scale > 19 { throw .outOfRange }
        var magnitude: UInt64 = 0
        for digit in digits { magnitude = magnitude * 10 + UInt64(digit - UInt8(ascii: "0")) }
        for _ in 0..<scale {
            let (product, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            if overflow { throw .outOfRange }
            magnitude = product
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw .outOfRange }
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw .outOfRange }
        return Int64(magnitude)
    }
}
