import Foundation
import ShopDomain
import Testing
import Wire

@Suite("Email")
struct EmailTests {
    @Test(arguments: [
        "ada@example.org", "Ada.Lovelace@Example.ORG", "a+tag@mail.example.co.uk", "o'hara@example.ie",
        "x@a-b.io", "user_name-1@sub.domain.example", "jörg@example.de", "a@b.c0",
        String(repeating: "a", count: 64) + "@example.org",
        String(repeating: "a", count: 64) + "@" + String(repeating: "b", count: 63) + "." + String(repeating: "c", count: 63)
            + "." + String(repeating: "d", count: 61),  // 254 characters
    ])
    func acceptsAddresses(_ text: String) throws {
        let email = try #require(Email(text))
        #expect(email.value == text)  // stored as given
    }

    @Test(arguments: [
        ("", "empty"), ("ada", "no @"), ("ada@", "no domain"), ("@example.org", "no local part"),
        ("ada@@example.org", "two @"), ("ada@b@example.org", "two @"), ("ada@localhost", "no dot in domain"),
        ("ada lovelace@example.org", "space"), (" ada@example.org", "leading space"), ("ada@example.org ", "trailing space"),
        ("ada\u{0}@example.org", "NUL"), ("ada\t@example.org", "tab"), ("ada@exa mple.org", "space in domain"),
        ("ada@example..org", "empty label"), ("ada@.example.org", "empty first label"), ("ada@example.org.", "trailing dot"),
        ("ada@-example.org", "label starts with hyphen"), ("ada@example-.org", "label ends with hyphen"),
        ("ada@exam_ple.org", "underscore in domain"), ("ada@1.2.3.4", "numeric top-level label"),
        ("ada@[127.0.0.1]", "address literal"), (".ada@example.org", "leading dot"), ("ada.@example.org", "trailing dot"),
        ("a..da@example.org", "double dot"), ("\"ada\"@example.org", "quoted local part"), ("ada<x>@example.org", "specials"),
        ("ada@exämple.org", "non-ASCII domain"),
        (String(repeating: "a", count: 65) + "@example.org", "local part of 65"),
        ("ada@" + String(repeating: "a", count: 64) + ".org", "label of 64"),
        (String(repeating: "a", count: 64) + "@" + String(repeating: "b", count: 63) + "." + String(repeating: "c", count: 63)
            + "." + String(repeating: "d", count: 62), "255 characters"),
    ])
    func refusesAddresses(_ text: String, because reason: String) {
        #expect(Email(text) == nil, "\(reason)")
    }

    @Test func comparesCaseInsensitively() {
        let shouted: Email = "Ada@Example.ORG", quiet: Email = "ada@example.org"
        #expect(shouted.normalized == quiet.normalized)
        #expect(shouted.normalized == "ada@example.org")
        #expect(shouted != quiet)
    }
}

@Suite("Sku")
struct SkuTests {
    @Test(arguments: ["A", "mug", "TEA-01", "a_b-c", "0", String(repeating: "Z", count: 64)])
    func acceptsSkus(_ text: String) {
        #expect(Sku(text)?.value == text)
    }

    @Test(arguments: ["", " ", "MUG 1", "mug.1", "mug/1", "mug%20", "müg", "MUG\n", String(repeating: "Z", count: 65),
                      "é", "🙂", "a+b"])
    func refusesSkus(_ text: String) {
        #expect(Sku(text) == nil)
    }
}

@Suite("Country code")
struct CountryCodeTests {
    @Test func knowsTheAssignedCodes() {
        #expect(CountryCode.assigned.count == 249)
        #expect(CountryCode.assigned.allSatisfy { $0.count == 2 && $0.allSatisfy { $0.isASCII && $0.isUppercase } })
    }

    @Test(arguments: ["DE", "US", "GB", "FR", "JP", "AX", "SS", "BQ", "CW", "SX", "ZW", "AQ", "UM", "TW", "PS"])
    func acceptsAssignedCodes(_ text: String) {
        #expect(CountryCode(text)?.value == text)
    }

    @Test(arguments: ["de", "De", "dE", "UK", "EU", "XK", "ZZ", "AA", "QO", "AN", "YU", "", "D", "DEU", " DE", "DE ",
                      "276", "ＤＥ"])
    func refusesEverythingElse(_ text: String) {
        #expect(CountryCode(text) == nil)
    }
}

@Suite("Text rule")
struct TextRuleTests {
    @Test(arguments: [
        ("Ada", "Ada"), ("  Ada Lovelace  ", "Ada Lovelace"), ("\u{A0}Ada\u{3000}", "Ada"), ("Zoë", "Zoë"),
        ("李小龍", "李小龍"), ("🙂", "🙂"), ("a  b", "a  b"), ("O'Brien-Smith", "O'Brien-Smith"),
    ])
    func trimsAndKeeps(_ text: String, _ expected: String) throws {
        #expect(try TextRule.personName.check(text) == expected)
    }

    @Test(arguments: [
        ("", TextRule.Violation.empty), ("   ", .empty), ("\u{A0}\u{2003}", .empty),
        ("Ada\u{0}", .controlCharacter), ("A\u{7}da", .controlCharacter), ("Ada\u{7F}", .controlCharacter),
        ("Ada\nLovelace", .controlCharacter), ("\tAda", .controlCharacter), ("Ada\r\n", .controlCharacter),
        ("\u{1F}", .controlCharacter),
        (String(repeating: "x", count: 201), .tooLong(maxLength: 200)),
        (String(repeating: "🙂", count: 201), .tooLong(maxLength: 200)),
    ])
    func rejects(_ text: String, _ violation: TextRule.Violation) {
        #expect(throws: violation) { try TextRule.personName.check(text) }
    }

    @Test func countsCharactersNotScalarsOrBytes() throws {
        // 200 family emoji (7 scalars each) and 200 "é" spelt e + combining acute are 200 characters each.
        let family = String(repeating: "👨‍👩‍👧‍👦", count: 200)
        let combining = String(repeating: "e\u{301}", count: 200)
        let flags = String(repeating: "🇩🇪", count: 200)
        #expect(try TextRule.personName.check(family) == family)
        #expect(try TextRule.personName.check(combining) == combining)
        #expect(try TextRule.personName.check(flags) == flags)
        #expect(try TextRule.personName.check(" " + String(repeating: "x", count: 200) + " ").count == 200)
        #expect(throws: TextRule.Violation.tooLong(maxLength: 200)) {
            try TextRule.personName.check(combining + "e\u{301}")
        }
    }

    @Test func reasonsMayBeFiveHundredCharacters() throws {
        #expect(try TextRule.cancellationReason.check(String(repeating: "r", count: 500)).count == 500)
        #expect(throws: TextRule.Violation.tooLong(maxLength: 500)) {
            try TextRule.cancellationReason.check(String(repeating: "r", count: 501))
        }
    }

    @Test(arguments: [
        (TextRule.Violation.empty, "must not be empty"), (.tooLong(maxLength: 200), "must be at most 200 characters"),
        (.controlCharacter, "must not contain control characters"),
    ])
    func violationsReadAsFieldMessages(_ violation: TextRule.Violation, _ message: String) {
        #expect(violation.description == message)
    }

    @Test func personNamesFollowTheRule() throws {
        #expect(try PersonName(validating: "  Ada  ").value == "Ada")
        #expect(throws: TextRule.Violation.empty) { try PersonName(validating: " ") }
    }
}

@Suite("Identifiers")
struct IdentifierTests {
    @Test(arguments: ["0b7f3a52-6c1e-4b8e-9a3d-2f1c5e7d9a01", "0B7F3A52-6C1E-4B8E-9A3D-2F1C5E7D9A01"])
    func parseEitherCaseAndPrintLowerCase(_ text: String) {
        #expect(CustomerID(text)?.description == "0b7f3a52-6c1e-4b8e-9a3d-2f1c5e7d9a01")
        #expect(OrderID(text)?.description == "0b7f3a52-6c1e-4b8e-9a3d-2f1c5e7d9a01")
    }

    @Test(arguments: ["", "not-a-uuid", "0b7f3a526c1e4b8e9a3d2f1c5e7d9a01", "{0b7f3a52-6c1e-4b8e-9a3d-2f1c5e7d9a01}",
                      "0b7f3a52-6c1e-4b8e-9a3d-2f1c5e7d9a0", "0b7f3a52-6c1e-4b8e-9a3d-2f1c5e7d9a01 ",
                      "0b7f3a52-6c1e-4b8e-9a3d-2f1c5e7d9g01"])
    func refuseOtherText(_ text: String) {
        #expect(CustomerID(text) == nil)
        #expect(OrderID(text) == nil)
    }
}

@Suite("Timestamp")
struct TimestampTests {
    @Test(arguments: [
        "2026-11-24T10:15:30.123Z", "1970-01-01T00:00:00.000Z", "2000-02-29T23:59:59.999Z", "1969-12-31T23:59:59.999Z",
        "2024-02-29T12:00:00.001Z", "9999-12-31T23:59:59.999Z", "0001-01-01T00:00:00.000Z",
    ])
    func roundTripsToTheMillisecond(_ text: String) throws {
        let date = try #require(Timestamp.parse(text))
        #expect(Timestamp.format(date) == text)
        #expect(Timestamp.parse(Timestamp.format(date)) == date)
    }

    @Test func formatsKnownInstants() {
        #expect(Timestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_795_515_330.123)) == "2026-11-24T10:15:30.123Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_795_515_330.1236)) == "2026-11-24T10:15:30.124Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_795_515_330.9999)) == "2026-11-24T10:15:31.000Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp.format(.distantFuture) == "4001-01-01T00:00:00.000Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1e18)) == "9999-12-31T23:59:59.999Z")
    }

    @Test func parsesOtherFractionLengths() {
        #expect(Timestamp.parse("2026-11-24T10:15:30Z") == Timestamp.parse("2026-11-24T10:15:30.000Z"))
        #expect(Timestamp.parse("2026-11-24T10:15:30.1Z") == Timestamp.parse("2026-11-24T10:15:30.100Z"))
        #expect(Timestamp.parse("2026-11-24T10:15:30.123456Z") == Timestamp.parse("2026-11-24T10:15:30.123Z"))
    }

    @Test(arguments: [
        "", "2026-11-24", "2026-11-24T10:15:30.123", "2026-11-24T10:15:30.123+01:00", "2026-11-24 10:15:30.123Z",
        "2026-13-01T00:00:00.000Z", "2026-02-29T00:00:00.000Z", "2026-04-31T00:00:00.000Z", "2026-11-24T24:00:00.000Z",
        "2026-11-24T10:60:00.000Z", "2026-11-24T10:15:60.000Z", "2026-11-24T10:15:30.Z", "2026-11-24t10:15:30.123z",
        "26-11-24T10:15:30.123Z", "2026-11-24T10:15:30.1234567890Z", "2026-00-10T10:15:30.123Z",
    ])
    func refusesOtherText(_ text: String) {
        #expect(Timestamp.parse(text) == nil)
    }
}
