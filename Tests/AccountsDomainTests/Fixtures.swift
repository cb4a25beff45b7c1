import AccountsDomain
import Foundation
import TestSupport  // Email literals
import Wire

/// Times of the scenarios, a minute apart.
enum Time {
    static let t0 = Timestamp.parse("2026-11-24T10:15:30.123Z")!
    static let t1 = Timestamp.parse("2026-11-24T10:16:30.456Z")!
    static let t2 = Timestamp.parse("2026-11-24T10:17:30.789Z")!
}

enum Fixture {
    static let acme = CompanyID(UUID(uuidString: "3f2a1b0c-4d5e-4f60-8a7b-9c0d1e2f3a4b")!)
    static let globex = CompanyID(UUID(uuidString: "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f")!)
    static let ada = UserID(UUID(uuidString: "0b7f3a52-6c1e-4b8e-9a3d-2f1c5e7d9a01")!)
    static let adasEmail: Email = "Ada@Example.org"
}

/// A name the test knows to be valid; an invalid one is a bug in the test.
func name(_ text: String) -> AccountName { try! AccountName(validating: text) }
