import EventSourcing
import Foundation
import LibPQ
import ReadModel
import Shop
import ShopDomain
import TestSupport
import Testing

@Suite("Read table schema: one DDL source, other schemas, isolation")
struct SchemaTests {
    static func tables(in schema: String, on connection: Connection) async throws -> Set<String> {
        try await ProjectionChecks.tables(in: schema, on: connection)
    }

    @Test(arguments: ProjectionRegistry.shop.names)
    func createTablesMatchesTheMigration(_ name: String) async throws {
        try await withConnection { connection in
            try await ProjectionChecks.expectCreateTablesMatchesTheMigration(name, of: .shop, on: connection)
        }
    }

    @Test func migrationCreatedExactlyTheProjectionsTables() async throws {
        try await withConnection { connection in
            let owned = ProjectionRegistry.shop.all().flatMap(\.tables)
            #expect(Set(owned).count == owned.count, "no table has two owners")
            let publicTables = try await Self.tables(in: "public", on: connection)
            #expect(Set(owned).isSubset(of: publicTables))
            #expect(ProjectionRegistry.shop.all().map(\.name) == ["orders", "customers", "daily_sales"])
            #expect(ProjectionRegistry.shop.projection(named: "nope") == nil)
            await #expect(throws: ReadModelSchemaError.unknownProjection("nope")) {
                try await ProjectionRegistry.shop.createTables(forProjection: "nope", in: "x", on: connection)
            }
        }
    }

    /// Each event type a projection handles is listed by one handler only
    /// (a second would never run).
    @Test(arguments: ProjectionRegistry.shop.names)
    func eachEventTypeHasOneHandler(_ name: String) throws {
        let projection = try #require(ProjectionRegistry.shop.projection(named: name) as? any DeclarativeProjection)
        #expect(!projection.handlers.isEmpty)
        #expect(projection.eventTypesHandledTwice == [])
    }

    /// Each projection alone in a schema holding only its own tables: any
    /// statement touching another projection's table would fail there.
    @Test(arguments: ProjectionRegistry.shop.names)
    func projectionTouchesOnlyItsOwnTables(_ name: String) async throws {
        try await withConnection { connection in
            let schema = "only_\(name)"
            try await ProjectionRegistry.shop.createTables(forProjection: name, in: schema, on: connection)
            let projection = try #require(ProjectionRegistry.shop.projection(named: name, schema: schema))
            let log = Simulation.run(seed: 7, steps: 400).log
            let before = try await snapshot(on: connection)
            try await project(log.events, through: [projection], on: connection)
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
            try await ProjectionRegistry.shop.createAllTables(in: schema, on: connection)
            var log = EventLog()
            let ada = Fixture.customer(1)
            log.append(.registered(name: "Ada", email: "ada@example.org", at: time("2026-11-24T09:00:00.000Z")), to: ada)
            log.append(.placed(customer: ada, lines: [Fixture.mugs], shippingAddress: Fixture.berlin,
                               at: time("2026-11-24T10:00:00.000Z")), to: Fixture.order(1))
            try await project(log.events, through: ProjectionRegistry.shop.all(schema: schema), on: connection)
            let other = ShopQueries(schema: schema)
            #expect(try await other.order(id: Fixture.order(1), on: connection)?.customerName == "Ada")
            #expect(try await other.customers(page: 1, pageSize: 5, on: connection).total == 1)
            #expect(try await other.dailySales(from: "2026-11-24", to: "2026-11-24", on: connection).days.count == 1)
            #expect(try await queries.order(id: Fixture.order(1), on: connection) == nil)
        }
    }
}
