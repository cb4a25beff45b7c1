public import Foundation
import LibPQ
import Wire

/// A calendar day in UTC, `YYYY-MM-DD` (years 0001–9999): the unit of the
/// daily sales report and of its `from`/`to` parameters.
public struct Day: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Nil unless the date exists in the proleptic Gregorian calendar.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              (1...Day.daysIn(month: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD` (ten characters, ASCII digits), as query
    /// parameters spell it; nil for anything else or a date that does not exist.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The UTC day `date` falls on.
    public init(containing date: Date) {
        let civil = CivilDate.civilDate(daysSinceEpoch: Int64((date.timeIntervalSince1970 / 86_400).rounded(.down)))
        year = Int(civil.year)
        month = Int(civil.month)
        day = Int(civil.day)
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    public var daysSinceEpoch: Int {
        Int(CivilDate.daysSinceEpoch(year: Int64(year), month: Int64(month), day: Int64(day)))
    }

    /// Whole days from `self` to `other` (negative when `other` is earlier).
    public func distance(to other: Day) -> Int { other.daysSinceEpoch - daysSinceEpoch }

    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (lhs: Day, rhs: Day) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// A `date` column or parameter (sessions use DateStyle ISO).
extension Day: PostgresCodable {
    public var postgresText: String? { description }

    public init(postgresText text: Substring) throws {
        guard let day = Day(String(text)) else {
            throw PostgresError(kind: .decoding, message: "cannot decode Day from '\(text.prefix(32))'")
        }
        self = day
    }
}

/// Encoded as its `YYYY-MM-DD` string.
extension Day: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let day = Day(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not a YYYY-MM-DD date: \(text)"))
        }
        self = day
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
