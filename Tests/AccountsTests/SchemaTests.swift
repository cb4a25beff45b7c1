import Accounts
import AccountsDomain
import EventSourcing
import Foundation
import LibPQ
import ReadModel
import TestSupport  // Email literals
import Testing
import Wire

@Suite("Accounts read tables: one DDL source, other schemas, isolation")
struct SchemaTests {
    static func tables(in schema: String, on connection: Connection) async throws -> Set<String> {
        try await ProjectionChecks.tables(in: schema, on: connection)
    }

    @Test(arguments: ProjectionRegistry.accounts.names)
    func createTablesMatchesTheMigration(_ name: String) async throws {
        try await withConnection { connection in
            try await ProjectionChecks.expectCreateTablesMatchesTheMigration(name, of: .accounts, on: connection)
        }
    }

    @Test func migrationCreatedExactlyTheProjectionsTables() async throws {
        try await withConnection { connection in
            let owned = ProjectionRegistry.accounts.all().flatMap(\.tables)
            #expect(Set(owned).count == owned.count, "no table has two owners")
            let publicTables = try await Self.tables(in: "public", on: connection)
            #expect(Set(owned).isSubset(of: publicTables))
            #expect(ProjectionRegistry.accounts.all().map(\.name) == ["users", "companies"])
        }
    }

    /// Each event type a projection handles is listed by one handler only
    /// (a second would never run), and the projections handle the event
    /// types the domain stores.
    @Test func eachEventTypeHasOneHandler() throws {
        var handled: [String: Set<String>] = [:]
        for projection in ProjectionRegistry.accounts.all() {
            let declarative = try #require(projection as? any DeclarativeProjection)
            #expect(declarative.eventTypesHandledTwice == [], "\(projection.name)")
            handled[projection.name] = Set(declarative.handlers.flatMap(\.eventTypes))
        }
        #expect(handled["users"] == ["company.created", "company.renamed", "user.created", "user.renamed",
                                     "user.company_changed"])
        #expect(handled["companies"] == ["company.created", "company.activated", "company.deactivated",
                                         "company.renamed", "user.created", "user.company_changed"])
    }

    /// Each projection alone in a schema holding only its own tables: any
    /// statement touching another projection's table would fail there.
    @Test(arguments: ProjectionRegistry.accounts.names)
    func projectionTouchesOnlyItsOwnTables(_ name: String) async throws {
        try await withConnection { connection in
            let schema = "only_\(name)"
            try await ProjectionRegistry.accounts.createTables(forProjection: name, in: schema, on: connection)
            let projection = try #require(ProjectionRegistry.accounts.projection(named: name, schema: schema))
            let log = Simulation.run(seed: 7, steps: 400).log
            let before = try await snapshot(on: connection)
            // Small batches, so that every statement runs on rows of several rounds.
            for start in stride(from: 0, to: log.events.count, by: 25) {
                try await project(Array(log.events[start..<min(start + 25, log.events.count)]), through: [projection],
                                  on: connection)
            }
            for table in projection.tables {
                #expect(try await count(table, in: schema, on: connection) > 0, "\(table)")
            }
            // And nothing in public.
            #expect(try await snapshot(on: connection) == before)
        }
    }

    @Test func queriesReadTheSchemaTheyAreGiven() async throws {
        try await withConnection { connection in
            let schema = "next version"
            try await ProjectionRegistry.accounts.createAllTables(in: schema, on: connection)
            var log = EventLog()
            let t0 = time("2026-11-24T09:00:00.000Z")
            log.append(.created(name: name("Acme"), at: t0), to: Fixture.company(1))
            log.append(.created(name: name("Ada"), email: "ada@example.org", company: Fixture.company(1), at: t0),
                       to: Fixture.user(1))
            try await project(log.events, through: ProjectionRegistry.accounts.all(schema: schema), on: connection)
            let (otherUsers, otherCompanies) = (UsersProjection(schema: schema), CompaniesProjection(schema: schema))
            #expect(try await otherUsers.user(id: Fixture.user(1), on: connection)?.companyName == "Acme")
            #expect(try await otherUsers.users(companyID: nil, page: 1, pageSize: 5, on: connection).total == 1)
            #expect(try await otherCompanies.company(id: Fixture.company(1), on: connection)?.userCount == 1)
            #expect(try await otherCompanies.companies(active: nil, page: 1, pageSize: 5, on: connection).total == 1)
            #expect(try await otherCompanies.dashboard(on: connection).totals.users == 1)
            #expect(try await users.user(id: Fixture.user(1), on: connection) == nil)
            #expect(try await companies.dashboard(on: connection).companies.isEmpty)
        }
    }
}
