import EventSourcing
import Foundation
import LibPQ
import ReadModel
import Shop
import ShopDomain
import TestSupport
import Testing
import Wire

@Suite("A batch applies entirely or not at all")
struct ApplyFailureTests {
    let ada = Fixture.customer(1)

    func goodStart() -> EventLog {
        var log = EventLog()
        log.append(.registered(name: "Ada", email: "ada@example.org", at: time("2026-11-24T09:00:00.000Z")), to: ada)
        log.append(.placed(customer: ada, lines: [Fixture.mugs], shippingAddress: Fixture.berlin,
                           at: time("2026-11-24T10:00:00.000Z")), to: Fixture.order(1))
        log.append(.confirmed(at: time("2026-11-24T10:01:00.000Z")), to: Fixture.order(1))
        return log
    }


    @Test(arguments: ProjectionRegistry.shop.names)
    func undecodableEventFailsTheBatchBeforeAnyWrite(_ name: String) async throws {
        try await withConnection { connection in
            var log = goodStart()
            let bad = log.append(EncodedEvent(type: "order.placed", schemaVersion: 2, data: Array(#"{"at":1}"#.utf8)),
                                 to: Order.stream(Fixture.order(2)))
            log.append(.confirmed(at: time("2026-11-24T10:02:00.000Z")), to: Fixture.order(2))
            let projection = try #require(ProjectionRegistry.shop.projection(named: name))
            let before = try await snapshot(on: connection)
            let error = await #expect(throws: ProjectionError.self) {
                try await project(log.events, through: [projection], on: connection)
            }
            #expect(error?.position == bad.position)
            #expect(error?.projection == name)
            #expect(error?.eventType == "order.placed")
            #expect(error?.underlying is EventDecodingError)
            #expect(try await snapshot(on: connection) == before)
        }
    }

    /// Other contexts share the log: an event no handler of a projection
    /// lists (here of a stream type the shop does not know, with data the
    /// shop could not decode) is passed by, and the views are exactly those
    /// of the log without it. (An undecodable event of a type it handles
    /// fails the batch: see above.)
    @Test(arguments: ProjectionRegistry.shop.names)
    func anEventOfAnotherContextIsPassedBy(_ name: String) async throws {
        try await withConnection { connection in
            let projection = try #require(ProjectionRegistry.shop.projection(named: name))
            try await project(goodStart().events, through: [projection], on: connection)
            let expected = try await snapshot(on: connection)
            try await connection.query(SQL(unsafeRaw: "TRUNCATE " + projection.tables.map(quoteIdentifier).joined(separator: ", ")))
            var log = EventLog()
            log.append(.registered(name: "Ada", email: "ada@example.org", at: time("2026-11-24T09:00:00.000Z")), to: ada)
            log.append(.placed(customer: ada, lines: [Fixture.mugs], shippingAddress: Fixture.berlin,
                               at: time("2026-11-24T10:00:00.000Z")), to: Fixture.order(1))
            log.append(EncodedEvent(type: "invoice.sent", schemaVersion: 7, data: Array("not json".utf8)),
                       to: StreamName(type: "invoice", id: UUID()))
            log.append(.confirmed(at: time("2026-11-24T10:01:00.000Z")), to: Fixture.order(1))
            try await project(log.events, through: [projection], on: connection)
            #expect(try await snapshot(on: connection) == expected)
        }
    }

    /// A statement that fails mid-pipeline (here a second order.placed for
    /// the same order, which our write side cannot produce) names its event,
    /// and the caller's rollback removes what the statements before it did.
    @Test(arguments: ProjectionRegistry.shop.names)
    func failingStatementRollsBackTheWholeBatch(_ name: String) async throws {
        try await withConnection { connection in
            var log = goodStart()
            let duplicate = log.append(.placed(customer: ada, lines: [Fixture.tea], shippingAddress: Fixture.berlin,
                                               at: time("2026-11-24T10:05:00.000Z")), to: Fixture.order(1))
            log.append(.placed(customer: ada, lines: [Fixture.tea], shippingAddress: Fixture.berlin,
                               at: time("2026-11-24T10:06:00.000Z")), to: Fixture.order(2))
            let projection = try #require(ProjectionRegistry.shop.projection(named: name))
            let before = try await snapshot(on: connection)
            let error = await #expect(throws: ProjectionError.self) {
                try await project(log.events, through: [projection], on: connection)
            }
            #expect(error?.position == duplicate.position)
            #expect((error?.underlying as? PostgresError)?.isUniqueViolation == true)
            #expect(error?.description.contains("order.placed v3 of order-00000000-0000-4000-8000-000000000001") == true)
            #expect(try await snapshot(on: connection) == before)

            // The connection is usable afterwards, and the good events apply.
            try await project(goodStart().events, through: [projection], on: connection)
            let written = try await projection.tables.asyncReduce(0) { $0 + (try await count($1, on: connection)) }
            #expect(written > 0)
        }
    }

    @Test func emptyBatchIsANoOp() async throws {
        try await withConnection { connection in
            let before = try await snapshot(on: connection)
            try await project([], on: connection)
            #expect(try await snapshot(on: connection) == before)
        }
    }
}

extension Sequence {
    func asyncReduce<Result>(_ initial: Result, _ next: (Result, Element) async throws -> Result) async rethrows -> Result {
        var result = initial
        for element in self { result = try await next(result, element) }
        return result
    }
}
