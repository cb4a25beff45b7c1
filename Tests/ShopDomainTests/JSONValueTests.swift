import ShopDomain
import Testing
import Wire

@Suite("JSON parser")
struct JSONValueTests {
    func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    @Test func parsesEveryKindOfValue() throws {
        let value = try parse(#" { "s": "a\"b\\c\/d\b\f\n\r\t", "n": -12.5e+3, "t": true, "f": false, "z": null, "a": [1, [], {}] } "#)
        guard case .object(let members) = value else {
            Issue.record("not an object")
            return
        }
        #expect(members["s"] == .string("a\"b\\c/d\u{8}\u{C}\n\r\t"))
        guard case .number(let number)? = members["n"] else {
            Issue.record("not a number")
            return
        }
        #expect(number.literal == "-12.5e+3")
        #expect(members["t"] == .bool(true))
        #expect(members["f"] == .bool(false))
        #expect(members["z"] == .null)
        #expect(members["a"] == .array([.number(JSONNumber(1)), .array([]), .object([:])]))
    }

    @Test(arguments: [
        (#""\u00e9""#, "é"), (#""\u00E9""#, "é"), (#""\ud83d\ude00""#, "😀"), (#""\u0000""#, "\u{0}"),
        (#""é😀""#, "é😀"), (#""e\u0301""#, "e\u{301}"), (#""\u2028""#, "\u{2028}"), (#""""#, ""),
    ])
    func decodesStrings(_ json: String, _ expected: String) throws {
        #expect(try parse(json) == .string(expected))
    }

    @Test(arguments: [
        ("0", 0), ("-0", 0), ("1", 1), ("1.0", 1), ("1.000", 1), ("1e2", 100), ("1E+2", 100), ("100e-2", 1),
        ("0.1e1", 1), ("123.4500e2", 12_345), ("0e999999999999", 0), ("-7", -7), ("1000", 1000),
        ("9223372036854775807", .max), ("-9223372036854775808", .min), ("0.00000", 0),
    ] as [(String, Int64)])
    func readsIntegersExactly(_ literal: String, _ expected: Int64) throws {
        guard case .number(let number) = try parse(literal) else {
            Issue.record("not a number")
            return
        }
        #expect(try number.integer() == expected)
    }

    @Test(arguments: [
        ("1.5", JSONNumber.IntegerError.fractional), ("0.1", .fractional), ("1e-1", .fractional), ("1e-400", .fractional),
        ("-0.5", .fractional), ("1.0000000000000000000001", .fractional),
        ("1e400", .outOfRange), ("99999999999999999999", .outOfRange), ("9223372036854775808", .outOfRange),
        ("-9223372036854775809", .outOfRange), ("1e19", .outOfRange), ("1e99999999999999999999", .outOfRange),
        ("-1e400", .outOfRange),
    ])
    func refusesNonIntegers(_ literal: String, _ error: JSONNumber.IntegerError) throws {
        guard case .number(let number) = try parse(literal) else {
            Issue.record("not a number")
            return
        }
        #expect(throws: error) { try number.integer() }
    }

    @Test(arguments: [
        "", " ", "{", "}", "[", "]", "{\"a\"}", "{\"a\":}", "{'a': 1}", "{a: 1}", "{\"a\": 1,}", "[1,]", "[1 2]",
        "01", "-01", "1.", ".5", "-", "+1", "1e", "1e+", "0x10", "NaN", "Infinity", "-Infinity", "tru", "nul", "True",
        "\"abc", "\"a\tb\"", "\"a\nb\"", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\ud800\"", "\"\\udc00\"",
        "\"\\ud800\\u0041\"", "\"\\ud800x\"", "{\"a\": 1} x", "{} {}", "{\"a\": 1, \"a\": 2}", "/* c */ {}", "{} // c",
        "\u{FEFF}{}", "'a'", "[,]", "{,}", "\"\u{7F}\"x",
    ])
    func refusesMalformedDocuments(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try parse(text) }
    }

    @Test(arguments: [
        [0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22],
        [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xF8, 0x88, 0x80, 0x80, 0x80, 0x22, 0x7D],
    ] as [[UInt8]])
    func refusesInvalidUTF8(_ bytes: [UInt8]) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(bytes) }
    }

    @Test func nestsSixtyFourLevelsButNoDeeper() throws {
        let deepest = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try parse(deepest) }
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONSyntaxError.self) { try parse(tooDeep) }
        let hostile = String(repeating: "{\"a\":", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try parse(hostile) }
    }

    @Test func errorsSayWhere() {
        #expect(throws: JSONSyntaxError(message: "expected ',' or '}'", offset: 8)) { try parse(#"{"a": 1 "b": 2}"#) }
        #expect(throws: JSONSyntaxError(message: "invalid UTF-8", offset: 3)) { try JSONValue.parse([0x22, 0x61, 0x62, 0xFF]) }
        #expect(throws: JSONSyntaxError(message: "repeated key \"a\"", offset: 9)) { try parse(#"{"a": 1, "a": 2}"#) }
        #expect(JSONSyntaxError(message: "unexpected character", offset: 0).description == "unexpected character at byte 0")
    }

    @Test func serializesDeterministically() throws {
        let value = try parse(#"{"b": [1.50, "x/y", null, true], "a": {"\u0001": "\"\\\n"}, "ü": false}"#)
        #expect(String(decoding: value.serialized(), as: UTF8.self)
            == #"{"a":{"\u0001":"\"\\\n"},"b":[1.50,"x/y",null,true],"ü":false}"#)
        #expect(try JSONValue.parse(value.serialized()) == value)
    }
}
