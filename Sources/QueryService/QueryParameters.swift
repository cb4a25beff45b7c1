public import Foundation
import HTTPCommon
import Hummingbird
public import ReadModel
import UUIDKit

/// Reads query parameters by the rules API.md sets for body fields: a
/// missing, malformed or out-of-range parameter is a 422 naming it, and every
/// such parameter is named, not only the first. Each reader returns nil (or
/// its default) for a bad value and records the problem; `validated()`
/// throws the 422 once everything was read.
public struct QueryParameters {
    /// Values by name (percent-decoded by Hummingbird), in request order.
    private let parameters: [Substring: [Substring]]
    private(set) var problems: [ProblemDetails.FieldProblem] = []

    init(_ request: Request) {
        var parameters: [Substring: [Substring]] = [:]
        for (name, value) in request.uri.queryParameters { parameters[name, default: []].append(value) }
        self.parameters = parameters
    }

    public mutating func problem(_ name: String, _ message: String) {
        problems.append(.init(field: name, message: message))
    }

    /// The parameter's value, nil when absent; a parameter given twice is a
    /// problem (and reads as absent, so only that problem is reported for it).
    private mutating func single(_ name: String) -> Substring? {
        let values = parameters[Substring(name)] ?? []
        if values.count > 1 { problem(name, "must be given at most once") }
        return values.count == 1 ? values[0] : nil
    }

    /// The parameter's text, nil when absent (or given twice: a problem).
    public mutating func text(_ name: String) -> String? { single(name).map { String($0) } }

    /// Every value of a parameter that may repeat, in request order.
    public func all(_ name: String) -> [String] { (parameters[Substring(name)] ?? []).map { String($0) } }

    /// An integer in `range`, `fallback` when absent. As in JSON bodies, `2.0`
    /// counts as 2.
    public mutating func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>) -> Int {
        guard let text = single(name) else { return fallback }
        guard let value = Self.integer(text), range.contains(value) else {
            problem(name, "must be an integer between \(range.lowerBound) and \(range.upperBound)")
            return fallback
        }
        return value
    }

    /// `page` (1…2³¹−1, default 1) and `page_size` (1…100, default 20), as
    /// every paginated list reads them (API.md "Query service").
    public mutating func pagination() -> (page: Int, pageSize: Int) {
        (integer("page", default: 1, in: 1...Int(Int32.max)), integer("page_size", default: 20, in: 1...100))
    }

    /// A UUID (any case), nil when absent or bad.
    public mutating func uuid(_ name: String) -> UUID? {
        guard let text = single(name) else { return nil }
        guard let id = UUID(canonical: text) else {
            problem(name, "must be a UUID")
            return nil
        }
        return id
    }

    /// One of `T`'s raw values, nil when absent or bad.
    public mutating func oneOf<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) -> T?
        where T.RawValue == String {
        guard let text = single(name) else { return nil }
        guard let value = T(rawValue: String(text)) else {
            problem(name, "must be one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
            return nil
        }
        return value
    }

    /// A required `YYYY-MM-DD` date that exists; nil when missing or bad.
    public mutating func day(_ name: String) -> Day? {
        let values = parameters[Substring(name)] ?? []
        guard let text = single(name) else {
            if values.isEmpty { problem(name, "is required (a date written YYYY-MM-DD)") }
            return nil
        }
        guard let day = Day(String(text)) else {
            problem(name, "must be a date that exists, written YYYY-MM-DD")
            return nil
        }
        return day
    }

    /// Throws the 422 naming every bad parameter (and `extra` problems found
    /// elsewhere, such as an out-of-range `Consistency-Wait`).
    func validated(adding extra: [ProblemDetails.FieldProblem] = []) throws {
        let all = extra + problems
        guard !all.isEmpty else { return }
        let detail = all.count == 1 ? "\(all[0].field) \(all[0].message)."
            : "\(all.count) parameters are invalid; see errors."
        throw ProblemDetails.validation(all, detail: detail)
    }

    /// Decimal digits with an optional sign and an optional all-zero
    /// fraction; nil for anything else and for values too large for `Int`
    /// (which are out of every range we accept anyway).
    static func integer(_ text: Substring) -> Int? {
        var digits = text
        var negative = false
        if let sign = digits.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        if let dot = digits.firstIndex(of: ".") {
            let fraction = digits[digits.index(after: dot)...]
            guard !fraction.isEmpty, fraction.allSatisfy({ $0 == "0" }) else { return nil }
            digits = digits[..<dot]
        }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let magnitude = Int(digits) else { return nil }
        return negative ? -magnitude : magnitude
    }
}
