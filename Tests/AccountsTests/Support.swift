import Accounts
import AccountsDomain
import EventSourcing
import Foundation
import LibPQ
import ReadModel
import TestSupport
import Wire

/// `"2026-11-24T10:15:30.123Z"` as a Date.
func time(_ text: String) -> Date { Timestamp.parse(text)! }

/// A name the test knows to be valid; an invalid one is a bug in the test.
func name(_ text: String) -> AccountName { try! AccountName(validating: text) }

enum Fixture {
    /// Ids that sort in the order of `n` (PostgreSQL compares uuids bytewise).
    static func company(_ n: Int) -> CompanyID { CompanyID(uuid(prefix: "c", n)) }
    static func user(_ n: Int) -> UserID { UserID(uuid(prefix: "a", n)) }

    private static func uuid(prefix: Character, _ n: Int) -> UUID {
        let digits = String(n)
        let tail = String(repeating: "0", count: 12 - digits.count) + digits
        return UUID(uuidString: "\(prefix)0000000-0000-4000-8000-\(tail)")!
    }
}

/// The accounts' events in a test log, encoded by their codecs.
typealias EventLog = TestEventLog

extension TestEventLog {
    mutating func append(_ event: Company.Event, to company: CompanyID) {
        append(event, Company.codec, to: Company.stream(company), at: event.at)
    }

    mutating func append(_ event: User.Event, to user: UserID) {
        append(event, User.codec, to: User.stream(user), at: event.at)
    }
}

let users = UsersProjection()
let companies = CompaniesProjection()

/// Applies `events` through the accounts' projections (unless told
/// others), each in its own transaction as the projector does.
func project(_ events: [RecordedEvent], through projections: [any ReadModelProjection] = ProjectionRegistry.accounts.all(),
             on connection: Connection) async throws {
    try await TestSupport.project(events, through: projections, on: connection)
}

/// The contents of the accounts' projections' tables in `schema`.
func snapshot(of registry: ProjectionRegistry = .accounts, _ schema: String = "public",
              on connection: Connection) async throws -> [String: String] {
    try await TestSupport.snapshot(of: registry, schema, on: connection)
}
