import Foundation
import Testing
import Wire

/// `JSONValueDecoder` replaced Foundation's `JSONDecoder` (as `WireJSON`
/// configures it) for event payloads: the same bytes must give the same
/// value, or an error that reads the same.
@Suite("JSONValueDecoder decodes as WireJSON.decoder does")
struct JSONValueDecoderTests {
    struct Line: Codable, Equatable {
        var sku: String
        var quantity: Int
        var price: Double?
    }

    struct Payload: Codable, Equatable {
        var at: Date
        var name: String
        var count: UInt8
        var small: Int16?
        var ratio: Float
        var flag: Bool
        var lines: [Line]
        var tags: [String: Int]
        var nested: [[Int]]
        var note: String?
    }

    enum Kind: String, Codable { case one, two }

    enum Outcome<T: Equatable>: Equatable {
        case value(T)
        case error(String)
    }

    static let valid = #"""
        {"at": "2026-11-24T10:15:30.123Z", "name": "Ada \u00e9\ud83d\ude00", "count": 255, "ratio": 0.5,
         "flag": true, "lines": [{"sku": "A", "quantity": -3}, {"sku": "B", "quantity": 1e2, "price": 1.25}],
         "tags": {"x": 1, "y": 2}, "nested": [[], [1, 2]], "note": null, "unknown": {"ignored": [1]}}
        """#

    /// What either decoder made of `json`: the value, or the error as the
    /// event codecs report it.
    static func outcome<T: Decodable & Equatable>(_: T.Type, _ json: String, foundation: Bool) -> Outcome<T> {
        do {
            let bytes = Array(json.utf8)
            return .value(foundation ? try WireJSON.decoder.decode(T.self, from: Data(bytes))
                                     : try JSONValueDecoder.decode(T.self, from: bytes))
        } catch let error as DecodingError {
            // The two parsers word a syntax error differently.
            return .error(error.readableDescription.hasPrefix("not JSON") ? "not JSON" : error.readableDescription)
        } catch {
            return .error("\(error)")
        }
    }

    @Test func aValidDocumentGivesTheSameValue() throws {
        let ours = try JSONValueDecoder.decode(Payload.self, from: Array(Self.valid.utf8))
        #expect(Self.outcome(Payload.self, Self.valid, foundation: true) == .value(ours))
        #expect(ours.lines == [Line(sku: "A", quantity: -3), Line(sku: "B", quantity: 100, price: 1.25)])
        #expect(ours.name == "Ada é😀" && ours.note == nil && ours.small == nil && ours.tags == ["x": 1, "y": 2])
        #expect(try JSONValueDecoder.decode(Kind.self, from: Array(#""two""#.utf8)) == .two)
        #expect(try JSONValueDecoder.decode([Int?].self, from: Array("[1, null]".utf8)) == [1, nil])
    }

    @Test(arguments: [
        #"{"name": "x"}"#,
        #"{"at": "2026-11-24T10:15:30.123Z", "name": 7}"#,
        #"{"at": 1795515330, "name": "x"}"#,
        #"{"at": "yesterday", "name": "x"}"#,
        #"{"at": "2026-11-24T10:15:30.123Z", "name": null}"#,
        #"{"at": "2026-11-24T10:15:30.123Z", "name": "x", "count": "1"}"#,
        #"{"at": "2026-11-24T10:15:30.123Z", "name": "x", "count": 1, "ratio": "0.5"}"#,
        #"{"at": "2026-11-24T10:15:30.123Z", "name": "x", "count": 1, "ratio": 1, "flag": 1}"#,
        #"{"at": "2026-11-24T10:15:30.123Z", "name": "x", "count": 1, "ratio": 1, "flag": true, "lines": {}}"#,
        #"{"at": "2026-11-24T10:15:30.123Z", "name": "x", "count": 1, "ratio": 1, "flag": true, "lines": [{"sku": "A"}]}"#,
        #"{"at": "2026-11-24T10:15:30.123Z", "name": "x", "count": 1, "ratio": 1, "flag": true, "lines": [{"sku": "A", "quantity": 1}, {"sku": 2}]}"#,
        #"{"at": "2026-11-24T10:15:30.123Z", "name": "x", "count": 1, "ratio": 1, "flag": true, "lines": [], "tags": {"x": "1"}}"#,
        #"{"at": "2026-11-24T10:15:30.123Z", "name": "x", "count": 1, "ratio": 1, "flag": true, "lines": [], "tags": {}, "nested": [[1], ["a"]]}"#,
        #"[1, 2]"#,
        "",
    ])
    func aBadDocumentFailsTheSameWay(_ json: String) {
        let ours = Self.outcome(Payload.self, json, foundation: false)
        #expect(ours == Self.outcome(Payload.self, json, foundation: true))
        if case .value = ours { Issue.record("decoded \(json)") }
    }

    /// Where it differs, on purpose: a number that does not fit is reported
    /// at its field (Foundation's error has no path), and a trailing comma is
    /// not JSON (Foundation lets it pass).
    @Test func aNumberThatDoesNotFitSaysWhereAndATrailingCommaIsNotJSON() {
        let start = #"{"at": "2026-11-24T10:15:30.123Z", "name": "x", "#
        #expect(Self.outcome(Payload.self, start + #""count": 256}"#, foundation: false)
            == .error("at count: Number 256 does not fit in UInt8."))
        #expect(Self.outcome(Payload.self, start + #""count": 1.5}"#, foundation: false)
            == .error("at count: Number 1.5 does not fit in UInt8."))
        #expect(Self.outcome(Payload.self, start + #""count": 1,}"#, foundation: false) == .error("not JSON"))
    }
}
