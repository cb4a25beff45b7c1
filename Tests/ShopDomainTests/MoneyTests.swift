import ShopDomain
import Testing

@Suite("Money")
struct MoneyTests {
    @Test(arguments: [
        ("0", 0), ("0.5", 50), ("0.50", 50), ("0.05", 5), ("1", 100), ("19.99", 1999), ("59.97", 5997),
        ("007", 700), ("9999999.99", 999_999_999), ("1234567", 123_456_700), ("10.1", 1010),
    ] as [(String, Int64)])
    func parsesRequestPrices(_ text: String, cents: Int64) {
        #expect(Money(parsing: text)?.minorUnits == cents)
    }

    @Test(arguments: [
        "", " ", "1.234", "-1", "+1", "1e3", "1E3", "12345678", "12345678.00", "1.", ".5", "1,00", "1.0.0",
        " 1.00", "1.00 ", "0x10", "NaN", "Infinity", "١٢", "1.5e1", "½", "1_000", "--1", "1.-5", "１",
    ])
    func refusesAnythingElse(_ text: String) {
        #expect(Money(parsing: text) == nil)
    }

    @Test(arguments: [
        (0, "0.00"), (5, "0.05"), (50, "0.50"), (100, "1.00"), (1999, "19.99"), (5997, "59.97"),
        (999_999_999, "9999999.99"), (-300, "-3.00"), (-5, "-0.05"), (100_000_000_000_000, "1000000000000.00"),
    ] as [(Int64, String)])
    func formatsWithTwoFractionDigits(_ cents: Int64, text: String) {
        #expect(Money(minorUnits: cents).description == text)
        #expect(Money(canonical: text) == Money(minorUnits: cents))
    }

    @Test func formatsTheExtremes() {
        #expect(Money(minorUnits: .max).description == "92233720368547758.07")
        #expect(Money(minorUnits: .min).description == "-92233720368547758.08")
    }

    @Test(arguments: ["0.5", "1", "1.234", "", "+1.00", "1e3", "--1.00", "12345678901234567.00"])
    func theCanonicalFormIsExactlyTwoDecimals(_ text: String) {
        #expect(Money(canonical: text) == nil)
    }

    @Test func addsAndMultipliesExactly() {
        // 0.1 + 0.2 is not 0.3 in binary floating point; in cents it is.
        #expect(Money(parsing: "0.1")! + Money(parsing: "0.2")! == Money(parsing: "0.3")!)
        #expect((Money(parsing: "19.99")! * 3).description == "59.97")
        #expect((Money(parsing: "9999999.99")! * 1000).description == "9999999990.00")
        #expect(Money(parsing: "5")! - Money(parsing: "7.25")! == Money(minorUnits: -225))
        #expect(Money(parsing: "0.99")! < Money(parsing: "1")!)
    }
}
