public import Foundation
import UUIDKit

/// A Swift value that can be sent as a parameter in PostgreSQL's text format.
public protocol PostgresEncodable: Sendable {
    /// The value's text form; nil sends SQL NULL.
    var postgresText: String? { get }
}

/// A Swift value that can be read from a column in PostgreSQL's text format.
public protocol PostgresDecodable {
    init(postgresText text: Substring) throws
    /// The same from the column's bytes as libpq holds them (UTF-8 text).
    /// The default goes through `init(postgresText:)`; a type that only
    /// copies bytes (`JSONText`) skips making and checking a String.
    init(postgresBytes bytes: UnsafeRawBufferPointer) throws
}

extension PostgresDecodable {
    public init(postgresBytes bytes: UnsafeRawBufferPointer) throws {
        try self.init(postgresText: String(decoding: bytes, as: UTF8.self)[...])
    }
}

public typealias PostgresCodable = PostgresEncodable & PostgresDecodable

func decodingError(_ type: Any.Type, _ text: Substring) -> PostgresError {
    PostgresError(kind: .decoding, message: "cannot decode \(type) from '\(text.prefix(64))'")
}

extension String: PostgresCodable {
    public var postgresText: String? { self }
    public init(postgresText text: Substring) { self = String(text) }
    public init(postgresBytes bytes: UnsafeRawBufferPointer) { self = String(decoding: bytes, as: UTF8.self) }
}

extension Bool: PostgresCodable {
    public var postgresText: String? { self ? "t" : "f" }
    public init(postgresText text: Substring) throws {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw decodingError(Bool.self, text)
        }
    }
}

extension Int: PostgresCodable {
    public var postgresText: String? { String(self) }
    public init(postgresText text: Substring) throws {
        guard let value = Int(text) else { throw decodingError(Int.self, text) }
        self = value
    }
}

extension Int64: PostgresCodable {
    public var postgresText: String? { String(self) }
    public init(postgresText text: Substring) throws {
        guard let value = Int64(text) else { throw decodingError(Int64.self, text) }
        self = value
    }
}

extension Int32: PostgresCodable {
    public var postgresText: String? { String(self) }
    public init(postgresText text: Substring) throws {
        guard let value = Int32(text) else { throw decodingError(Int32.self, text) }
        self = value
    }
}

/// `xid8` (a 64-bit transaction id) reads and writes as UInt64.
extension UInt64: PostgresCodable {
    public var postgresText: String? { String(self) }
    public init(postgresText text: Substring) throws {
        guard let value = UInt64(text) else { throw decodingError(UInt64.self, text) }
        self = value
    }
}

extension UUID: PostgresCodable {
    public var postgresText: String? { lowercasedString }
    public init(postgresText text: Substring) throws {
        // Foundation's parser goes through `sscanf`, which showed up as a
        // tenth of a projector's time: every event read decodes a stream id.
        guard let value = UUID(canonical: text) else {
            throw decodingError(UUID.self, text)
        }
        self = value
    }

    /// Straight from libpq's bytes: no `String` in between.
    public init(postgresBytes bytes: UnsafeRawBufferPointer) throws {
        guard let value = UUID(canonicalUTF8: bytes) else {
            throw decodingError(UUID.self, Substring(String(decoding: bytes, as: UTF8.self)))
        }
        self = value
    }
}

/// `numeric` as an exact decimal. Foundation's `Decimal` holds 38 significant
/// digits, parsed from and printed to decimal text without binary rounding.
extension Decimal: PostgresCodable {
    public var postgresText: String? { description }
    public init(postgresText text: Substring) throws {
        guard let value = Decimal(string: String(text), locale: Locale(identifier: "en_US_POSIX")) else {
            throw decodingError(Decimal.self, text)
        }
        self = value
    }
}

/// `timestamptz` with microsecond precision. Sessions run with
/// `TimeZone=UTC` and `DateStyle=ISO` (set at connect), so the server prints
/// `2026-11-24 10:15:30.123456+00`.
extension Date: PostgresCodable {
    public var postgresText: String? { PostgresTimestamp.format(self) }
    public init(postgresText text: Substring) throws {
        guard let date = PostgresTimestamp.parse(text) else { throw decodingError(Date.self, text) }
        self = date
    }
}

/// `bytea` in hex format.
extension Array: PostgresEncodable where Element == UInt8 {
    public var postgresText: String? {
        var text = "\\x"
        text.reserveCapacity(2 + count * 2)
        let digits = Array<Character>("0123456789abcdef")
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return text
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    public init(postgresText text: Substring) throws {
        let utf8 = Array<UInt8>(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0 else {
            throw decodingError([UInt8].self, text)
        }
        func nibble(_ c: UInt8) throws -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: throw decodingError([UInt8].self, text)
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var index = 2
        while index < utf8.count {
            bytes.append(try nibble(utf8[index]) << 4 | nibble(utf8[index + 1]))
            index += 2
        }
        self = bytes
    }
}

/// A `text[]` parameter (cast it: `\(TextArray(names))::text[]`). Every
/// element is quoted, so commas, braces and quotes inside one stay its own.
public struct TextArray: PostgresEncodable, Equatable {
    public var elements: [String]

    public init(_ elements: [String]) { self.elements = elements }

    public var postgresText: String? {
        "{" + elements.map { element in
            "\"" + element.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }.joined(separator: ",") + "}"
    }
}

/// `json`/`jsonb` as raw UTF-8 bytes, so callers choose how to decode them.
public struct JSONText: PostgresCodable, Equatable {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// Encodes `value` as JSON.
    public init(encoding value: some Encodable, encoder: JSONEncoder = JSONText.encoder) throws {
        bytes = Array(try encoder.encode(value))
    }

    public func decode<T: Decodable>(_ type: T.Type, decoder: JSONDecoder = JSONText.decoder) throws -> T {
        try decoder.decode(type, from: Data(bytes))
    }

    public var postgresText: String? { String(decoding: bytes, as: UTF8.self) }

    public init(postgresText text: Substring) { bytes = Array(text.utf8) }
    public init(postgresBytes bytes: UnsafeRawBufferPointer) { self.bytes = Array(bytes) }

    /// Shared: making an encoder per value was work on every append.
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public static let decoder = JSONDecoder()
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresText: String? { self?.postgresText }
}

/// Formats and parses PostgreSQL's ISO timestamps in UTC without Foundation's
/// date formatters (slow, and lossy below milliseconds).
enum PostgresTimestamp {
    static func format(_ date: Date) -> String {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let totalMicros = Int64(micros)
        var seconds = totalMicros / 1_000_000
        var fraction = totalMicros % 1_000_000
        if fraction < 0 { fraction += 1_000_000; seconds -= 1 }
        let (days, secondOfDay) = seconds.floorDividedAndModulo(86_400)
        let (year, month, day) = civilFromDays(days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 6))Z"
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]]` (also with `T`).
    static func parse(_ text: Substring) -> Date? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ width: Int) -> Int64? {
            guard index + width <= bytes.count else { return nil }
            var value: Int64 = 0
            for offset in 0..<width {
                let c = bytes[index + offset]
                guard c >= 48, c <= 57 else { return nil }
                value = value * 10 + Int64(c - 48)
            }
            index += width
            return value
        }
        func expect(_ c: UInt8...) -> Bool {
            guard index < bytes.count, c.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2),
              expect(32, 84), let hour = number(2), expect(58), let minute = number(2), expect(58),
              let second = number(2) else { return nil }
        var micros: Int64 = 0
        if index < bytes.count, bytes[index] == 46 {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 6 { micros = micros * 10 + Int64(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            for _ in digits..<max(digits, 6) { micros *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if index < bytes.count {
            if bytes[index] == 90 { index += 1 } else {
                let sign: Int64 = bytes[index] == 45 ? -1 : 1
                guard expect(43, 45), let offsetHours = number(2) else { return nil }
                var offsetMinutes: Int64 = 0
                if expect(58) { guard let m = number(2) else { return nil }; offsetMinutes = m }
                offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
            }
        }
        guard index == bytes.count else { return nil }
        let days = daysFromCivil(year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    // Howard Hinnant's civil-calendar algorithms (proleptic Gregorian).
    static func daysFromCivil(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (month <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, month, day)
    }
}

extension Int64 {
    func floorDividedAndModulo(_ divisor: Int64) -> (Int64, Int64) {
        var quotient = self / divisor
        var remainder = self % divisor
        if remainder < 0 { remainder += divisor; quotient -= 1 }
        return (quotient, remainder)
    }
}
