import EventSourcing
import HTTPCommon
import HTTPTypes

extension HTTPField.Name {
    /// Response: `fresh` or `stale` (API.md "Read-your-writes").
    static let consistency = HTTPField.Name("Consistency")!
    static let consistencyWait = HTTPField.Name("Consistency-Wait")!
    // Internal, so it cannot clash with the command service's public twin
    // where both modules are imported (the tests).
    static let queryConsistencyToken = HTTPField.Name("Consistency-Token")!
}

/// Whether an answer reflects what the caller asked for.
enum Consistency: String, Sendable {
    /// With a token: the views read include that command. Without: the views
    /// read had applied every committed event when the query ran.
    case fresh
    /// The wait ran out, or (without a token) the views read lag.
    case stale
}

/// The read-your-writes request headers: `Consistency-Token` and
/// `Consistency-Wait`. Malformed is a 400; a numeric wait out of range is a
/// 422 (collected with the query parameters' problems, so one 422 names all).
struct ConsistencyRequest: Sendable {
    static let defaultWait = 5000
    static let waitRange = 0...30_000

    var token: ConsistencyToken?
    var waitMilliseconds: Int
    var problems: [ProblemDetails.FieldProblem] = []

    var wait: Duration { .milliseconds(waitMilliseconds) }

    init(_ headers: HTTPFields) throws {
        let tokens = headers[values: .queryConsistencyToken]
        if let text = tokens.first {
            guard tokens.count == 1, let token = ConsistencyToken(text) else {
                throw ProblemDetails.badRequest(
                    "Consistency-Token must be a consistency_token from a command response, sent once.")
            }
            self.token = token
        }
        waitMilliseconds = Self.defaultWait
        let waits = headers[values: .consistencyWait]
        if let text = waits.first {
            guard waits.count == 1, let value = Self.milliseconds(text) else {
                throw ProblemDetails.badRequest("Consistency-Wait must be a whole number of milliseconds, sent once.")
            }
            if Self.waitRange.contains(value) {
                waitMilliseconds = value
            } else {
                problems.append(.init(field: "Consistency-Wait", message: "must be between 0 and 30000 (milliseconds)"))
            }
        }
    }

    /// A decimal integer, optionally signed; nil when not one (a 400). One
    /// too large for `Int` is clamped: it is numeric, so out of range (a 422).
    static func milliseconds(_ text: String) -> Int? {
        var digits = Substring(text)
        var negative = false
        if let sign = digits.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return nil
        }
        let magnitude = Int(digits) ?? Int.max
        return negative ? -magnitude : magnitude
    }
}
