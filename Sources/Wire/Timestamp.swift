public import Foundation

/// The API's and the event data's time format: RFC 3339 in UTC with exactly
/// three fraction digits, `2026-11-24T10:15:30.123Z`.
///
/// Written by hand on integer milliseconds rather than with a date formatter,
/// so it needs no locale, calendar or shared mutable formatter, and a parsed
/// time formats back to exactly the same text.
public enum Timestamp {
    /// `date` rounded to the nearest millisecond. Dates outside the years
    /// 0000–9999 (which RFC 3339 cannot write) are clamped to that range.
    public static func format(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let millis = seconds.isNaN ? 0 : Int64(max(Double(minMillis), min(Double(maxMillis), (seconds * 1000).rounded())))
        let (days, millisOfDay) = floorDivision(millis, 86_400_000)
        let (year, month, day) = CivilDate.civilDate(daysSinceEpoch: days)
        let hour = millisOfDay / 3_600_000
        let minute = millisOfDay / 60_000 % 60
        let second = millisOfDay / 1000 % 60
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
            + ".\(pad(millisOfDay % 1000, 3))Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (upper-case `T` and `Z`, UTC
    /// only). Fraction digits beyond milliseconds are truncated.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ index: Int, is character: Unicode.Scalar) -> Bool { bytes[index] == UInt8(ascii: character) }
        guard byte(4, is: "-"), byte(7, is: "-"), byte(10, is: "T"), byte(13, is: ":"), byte(16, is: ":"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 60 else { return nil }
        var millis: Int64 = 0
        let fractionEnd = bytes.count - 1
        if fractionEnd > 19 {
            let digits = 20..<fractionEnd
            guard byte(19, is: "."), (1...9).contains(digits.count), let fraction = number(digits) else { return nil }
            millis = digits.count >= 3
                ? fraction / power10(digits.count - 3)
                : fraction * power10(3 - digits.count)
        }
        let days = CivilDate.daysSinceEpoch(year: year, month: month, day: day)
        let total = ((days * 24 + hour) * 60 + minute) * 60 + second
        return Date(timeIntervalSince1970: Double(total * 1000 + millis) / 1000)
    }

    private static let minMillis: Int64 = CivilDate.daysSinceEpoch(year: 0, month: 1, day: 1) * 86_400_000
    private static let maxMillis: Int64 = CivilDate.daysSinceEpoch(year: 10_000, month: 1, day: 1) * 86_400_000 - 1

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private static func power10(_ exponent: Int) -> Int64 {
        (0..<exponent).reduce(1) { value, _ in value * 10 }
    }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }

    private static func isLeap(_ year: Int64) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Proleptic Gregorian calendar conversions after Howard Hinnant's
}

/// Proleptic Gregorian dates ↔ days since 1970-01-01, in integer arithmetic
/// (Howard Hinnant's "chrono-compatible low-level date algorithms":
/// days_from_civil, civil_from_days). Shared by every type that prints or
/// parses calendar dates, so none needs Foundation's slower calendars.
public enum CivilDate {
    public static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    public static func civilDate(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
