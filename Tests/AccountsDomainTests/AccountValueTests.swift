import AccountsDomain
import Foundation
import Testing
import Wire

@Suite("Accounts: names and ids")
struct AccountValueTests {
    @Test(arguments: [("Acme", "Acme"), ("  Acme  ", "Acme"), (" \u{A0}Ada Lovelace\u{2003}", "Ada Lovelace"),
                      ("Zoë 🙂", "Zoë 🙂")])
    func namesAreTrimmed(_ text: String, expected: String) throws {
        #expect(try AccountName(validating: text).value == expected)
    }

    @Test(arguments: ["", " ", "   \u{A0} "])
    func emptyNamesAreRefused(_ text: String) {
        #expect(throws: TextRule.Violation.empty) { try AccountName(validating: text) }
    }

    /// Lengths count what a person sees as one character: a decomposed
    /// accent or a flag is one, however many scalars or bytes it takes.
    @Test(arguments: ["x", "e\u{301}", "🇩🇪", "👩‍💻"])
    func twoHundredCharactersAreTheMostAndTwoHundredAndOneTooMany(_ character: String) throws {
        let longest = String(repeating: character, count: 200)
        #expect(try AccountName(validating: longest).value == longest)
        #expect(try AccountName(validating: "  " + longest + "  ").value == longest)
        #expect(throws: TextRule.Violation.tooLong(maxLength: 200)) {
            try AccountName(validating: longest + character)
        }
    }

    @Test(arguments: ["a\u{0}b", "Acme\n", "\tAcme", "Ac\u{1F}me", "Acme\u{7F}", "Ac\rme"])
    func controlCharactersAreRefusedEvenWhereTrimmingWouldRemoveThem(_ text: String) {
        #expect(throws: TextRule.Violation.controlCharacter) { try AccountName(validating: text) }
    }

    @Test func namesAreStoredAsPlainStrings() throws {
        let data = try WireJSON.encoder.encode([try AccountName(validating: " Acme ")])
        #expect(String(decoding: data, as: UTF8.self) == #"["Acme"]"#)
        #expect(try AccountName(validating: "Acme").description == "Acme")
    }

    @Test func idsParseEitherCaseAndPrintLowerCase() {
        let upper = "3F2A1B0C-4D5E-4F60-8A7B-9C0D1E2F3A4B"
        #expect(CompanyID(upper) == Fixture.acme)
        #expect(CompanyID(upper)?.description == "3f2a1b0c-4d5e-4f60-8a7b-9c0d1e2f3a4b")
        #expect(UserID("0B7F3A52-6C1E-4B8E-9A3D-2F1C5E7D9A01") == Fixture.ada)
        #expect(UserID("0b7f3a52-6c1e-4b8e-9a3d-2f1c5e7d9a01")?.description == "0b7f3a52-6c1e-4b8e-9a3d-2f1c5e7d9a01")
    }

    @Test(arguments: ["", "acme", "3f2a1b0c-4d5e-4f60-8a7b-9c0d1e2f3a4", "3f2a1b0c4d5e4f608a7b9c0d1e2f3a4b0"])
    func textThatIsNotAUUIDIsNoID(_ text: String) {
        #expect(CompanyID(text) == nil)
        #expect(UserID(text) == nil)
    }

    @Test func idsAreStoredAsLowerCaseStrings() throws {
        let data = try WireJSON.encoder.encode([Fixture.ada])
        #expect(String(decoding: data, as: UTF8.self) == #"["0b7f3a52-6c1e-4b8e-9a3d-2f1c5e7d9a01"]"#)
        #expect(try WireJSON.decoder.decode([CompanyID].self, from: Data(#"["3F2A1B0C-4D5E-4F60-8A7B-9C0D1E2F3A4B"]"#.utf8))
            == [Fixture.acme])
        #expect(throws: DecodingError.self) { try WireJSON.decoder.decode([UserID].self, from: Data(#"["nope"]"#.utf8)) }
    }
}
