/// An exact amount of money in minor units (cents). Never a binary float:
/// parsing, arithmetic and formatting all work on the integer.
///
/// Amounts in this domain are bounded (a unit price below ten million, at most
/// 1000 per line and 100 lines), so order totals stay many orders of magnitude
/// inside `Int64`; the arithmetic operators trap on overflow like `Int64`'s.
public struct Money: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let minorUnits: Int64

    public init(minorUnits: Int64) {
        self.minorUnits = minorUnits
    }

    public static let zero = Money(minorUnits: 0)

    /// Parses a request's price: `^[0-9]{1,7}(\.[0-9]{1,2})?$` and nothing
    /// else (no sign, exponent, spaces or grouping). `"0.5"` is fifty cents.
    public init?(parsing text: String) {
        guard let units = Money.minorUnits(of: text, maxIntegerDigits: 7, fractionDigits: 1...2,
                                           allowsSign: false) else { return nil }
        self.minorUnits = units
    }

    /// Parses exactly what `description` produces (an optional `-`, integer
    /// digits, two fraction digits): the form stored in events and views.
    public init?(canonical text: String) {
        guard let units = Money.minorUnits(of: text, maxIntegerDigits: 16, fractionDigits: 2...2,
                                           allowsSign: true) else { return nil }
        self.minorUnits = units
    }

    /// Always two fraction digits: `"59.97"`, `"0.50"`, `"-3.00"`.
    public var description: String {
        let magnitude = minorUnits.magnitude
        let cents = magnitude % 100
        let sign = minorUnits < 0 ? "-" : ""
        return "\(sign)\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents)"
    }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.minorUnits < rhs.minorUnits }
    public static func + (lhs: Money, rhs: Money) -> Money { Money(minorUnits: lhs.minorUnits + rhs.minorUnits) }
    public static func - (lhs: Money, rhs: Money) -> Money { Money(minorUnits: lhs.minorUnits - rhs.minorUnits) }
    public static func * (amount: Money, quantity: Int) -> Money {
        Money(minorUnits: amount.minorUnits * Int64(quantity))
    }

    private static func minorUnits(of text: String, maxIntegerDigits: Int, fractionDigits: ClosedRange<Int>,
                                   allowsSign: Bool) -> Int64? {
        var bytes = Substring(text).utf8[...]
        let negative = allowsSign && bytes.first == UInt8(ascii: "-")
        if negative { bytes = bytes.dropFirst() }
        let integer = bytes.prefix { $0 != UInt8(ascii: ".") }
        let rest = bytes.dropFirst(integer.count)
        guard (1...maxIntegerDigits).contains(integer.count), integer.allSatisfy(isDigit) else { return nil }
        var units: Int64 = 0
        for digit in integer { units = units * 10 + Int64(digit - UInt8(ascii: "0")) }
        var fraction: Int64 = 0
        if rest.isEmpty {
            guard fractionDigits.lowerBound <= 1 else { return nil }  // canonical form needs ".dd"
        } else {
            let digits = rest.dropFirst()
            guard fractionDigits.contains(digits.count), digits.allSatisfy(isDigit) else { return nil }
            for digit in digits { fraction = fraction * 10 + Int64(digit - UInt8(ascii: "0")) }
            if digits.count == 1 { fraction *= 10 }
        }
        units = units * 100 + fraction
        return negative ? -units : units
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}

/// Stored as its canonical string, never as a JSON number.
extension Money: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let money = Money(canonical: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not a two-decimal amount: \(text)"))
        }
        self = money
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
