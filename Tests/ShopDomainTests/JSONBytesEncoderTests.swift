import Foundation
import ShopDomain
import Testing
import Wire

/// `JSONBytesEncoder` must write the very bytes `WireJSON.encoder` writes:
/// stored payloads are compared byte for byte, and bodies must not change
/// with the encoder that wrote them.
@Suite("JSON bytes encoder writes what Foundation's encoder writes")
struct JSONBytesEncoderTests {
    func expectSameBytes<Value: Encodable>(_ value: Value, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try JSONBytesEncoder.encode(value)
        let foundations = Array(try WireJSON.encoder.encode(value))
        #expect(String(decoding: ours, as: UTF8.self) == String(decoding: foundations, as: UTF8.self),
                sourceLocation: sourceLocation)
    }

    struct Line: Codable {
        var sku: String
        var quantity: Int
        var note: String?
    }

    struct Document: Codable {
        enum CodingKeys: String, CodingKey {
            case identifier = "id", lines, zebra, apple = "a_b", createdAt = "created_at", tags, amount, ratio, raw, link
            case counts, optionalMissing = "optional_missing", optionalPresent = "optional_present", flag, kind
        }

        var identifier: UUID
        var lines: [Line]
        var zebra: Int8
        var apple: UInt64
        var createdAt: Date
        var tags: Set<String>
        var amount: Decimal
        var ratio: Double
        var raw: Data
        var link: URL
        var counts: [String: Int]
        var optionalMissing: String?
        var optionalPresent: Int?
        var flag: Bool
        var kind: Kind
    }

    enum Kind: Codable {
        case plain
        case labelled(name: String, weight: Int)
        case unlabelled(String, [Int])
    }

    /// Uses every container the protocol offers, nested, and a key twice.
    struct Handwritten: Encodable {
        enum Keys: String, CodingKey { case first, nested, list, again, single }
        enum Inner: String, CodingKey { case x, y }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode("one", forKey: .first)
            var nested = container.nestedContainer(keyedBy: Inner.self, forKey: .nested)
            try nested.encode(Int64.min, forKey: .y)
            try nested.encodeNil(forKey: .x)
            var list = container.nestedUnkeyedContainer(forKey: .list)
            try list.encode(UInt8.max)
            var inner = list.nestedContainer(keyedBy: Inner.self)
            try inner.encode(true, forKey: .x)
            try list.encode(Int16.min)
            var deeper = list.nestedUnkeyedContainer()
            try deeper.encode("d")
            try list.encodeNil()
            try container.encode(1, forKey: .again)
            try container.encode(2, forKey: .again)
            try Line(sku: "S", quantity: 1, note: nil).encode(to: container.superEncoder(forKey: .single))
        }
    }

    @Test func everyKindOfValueAndContainer() throws {
        let document = Document(
            identifier: UUID(uuidString: "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11")!,
            lines: [Line(sku: "MUG-1", quantity: 2, note: nil), Line(sku: "a/b", quantity: -1, note: "n\"q")],
            zebra: -128, apple: .max, createdAt: Date(timeIntervalSince1970: 1_700_000_000.123),
            tags: ["x", "y"], amount: Decimal(string: "4.50")!, ratio: 1.5e-7, raw: Data([0, 1, 254, 255]),
            link: URL(string: "https://example.com/a?b=c")!,
            counts: ["a10": 1, "a9": 2, "B": 3, "a": 4, "_x": 5, "é": 6, "e": 7, "": 8, "a b": 9],
            optionalMissing: nil, optionalPresent: 0, flag: false,
            kind: .labelled(name: "w", weight: 3))
        try expectSameBytes(document)
        try expectSameBytes([Kind.plain, .unlabelled("u", [1, 2]), .labelled(name: "", weight: 0)])
        try expectSameBytes(Handwritten())
        try expectSameBytes([[String: [Int]]]())
        try expectSameBytes(["empty": [String: Int](), "list": [:]])
        try expectSameBytes([Line]())
        try expectSameBytes(Optional<Int>.none)
        try expectSameBytes([Optional<Int>.none, 1])
        try expectSameBytes([Double.pi, 1.0, 1e20, -0.0, 0.1, 123456789.125])
        try expectSameBytes([Float(0.1), 3])
        try expectSameBytes([Int.min, Int.max])
        try expectSameBytes([UInt32.max])
    }

    @Test func everyByteOfAStringIsEscapedAlike() throws {
        let ascii = String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self)
        try expectSameBytes([ascii, "é😀\u{2028}\u{2029}\u{7F}", "e\u{301}", "", "/", "\\/"])
        try expectSameBytes(["key\n\"\u{1}": ascii])
    }

    @Test func shopValues() throws {
        try expectSameBytes([Money(minorUnits: 450), Money(minorUnits: -1), Money(minorUnits: 0)])
        try expectSameBytes(["country": try #require(CountryCode("DE"))])
    }
}
