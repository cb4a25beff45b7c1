import Catalog
import CatalogDomain
import EventSourcing
import Foundation
import LibPQ
import ReadModel
import TestSupport
import Testing
import Wire

/// The items projection on a real database: what it writes, what its
/// queries answer, and that batching changes nothing.
@Suite("Catalog: items projection and queries")
struct ItemsProjectionTests {
    let items = ItemsProjection()

    func time(_ text: String) -> Date { Timestamp.parse(text)! }

    func log(_ steps: [(String, Item.Event)]) -> TestEventLog {
        var log = TestEventLog()
        for (sku, event) in steps { log.append(event, Item.codec, to: Item.stream(ItemSku(sku)!), at: event.at) }
        return log
    }

    func created(_ sku: String, _ description: String, _ at: String) -> (String, Item.Event) {
        (sku, .created(sku: ItemSku(sku)!, description: try! ItemDescription(validating: description), at: time(at)))
    }

    func changed(_ sku: String, _ description: String, _ at: String) -> (String, Item.Event) {
        (sku, .descriptionChanged(try! ItemDescription(validating: description), at: time(at)))
    }

    func apply(_ events: [RecordedEvent], on connection: Connection) async throws {
        try await connection.withTransaction { try await items.apply(events, on: $0) }
    }

    @Test func anItemShowsItsLatestDescriptionAndVersion() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try await database.connect()
            let events = log([created("MUG", "Mug", "2026-12-01T09:00:00.000Z"),
                              changed("MUG", "Blue mug", "2026-12-01T10:00:00.000Z")]).events
            try await apply(events, on: connection)
            let view = try #require(try await items.item(ItemSku("MUG")!, on: connection))
            let json = String(decoding: try WireJSON.encoder.encode(view), as: UTF8.self)
            #expect(json == """
                {"created_at":"2026-12-01T09:00:00.000Z","description":"Blue mug","sku":"MUG",\
                "updated_at":"2026-12-01T10:00:00.000Z","version":2}
                """)
            #expect(try await items.item(ItemSku("mug")!, on: connection) == nil, "skus are case-sensitive")
            await connection.close()
        }
    }

    /// Applied in one batch, event by event or in random slices, a history
    /// gives the same tables: the batch's rounds keep each stream in order.
    @Test(arguments: [1, 3, 1000])
    func anyBatchingGivesTheSameItems(_ batchSize: Int) async throws {
        var steps: [(String, Item.Event)] = []
        var generator = SplitMix64(seed: UInt64(batchSize))
        let skus = (0..<12).map { "SKU-\($0)" }
        var made: [String] = []
        for n in 0..<120 {
            let at = "2026-12-01T10:\(String(format: "%02d", n / 60)):\(String(format: "%02d", n % 60)).000Z"
            if made.count < skus.count, made.isEmpty || Int.random(in: 0..<3, using: &generator) == 0 {
                let sku = skus[made.count]
                made.append(sku)
                steps.append(created(sku, "New \(sku)", at))
            } else {
                let sku = made.randomElement(using: &generator)!
                steps.append(changed(sku, "Change \(n)", at))
            }
        }
        let events = log(steps).events
        try await TestDatabase.withMigrated { database in
            let connection = try await database.connect()
            try await apply(events, on: connection)
            let whole = try await items.items(page: 1, pageSize: 100, on: connection)
            try await connection.query("TRUNCATE items_view, items_count")
            var start = 0
            while start < events.count {
                let end = min(events.count, start + batchSize)
                try await apply(Array(events[start..<end]), on: connection)
                start = end
            }
            let batched = try await items.items(page: 1, pageSize: 100, on: connection)
            #expect(batched == whole)
            #expect(whole.total == made.count && whole.items.map(\.sku) == made.sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) })
            await connection.close()
        }
    }

    @Test func theProjectionTouchesOnlyItsOwnTables() async throws {
        try await TestDatabase.withMigrated { database in
            let connection = try await database.connect()
            try await ItemsProjection().createTables(in: "only_items", on: connection)
            let alone = ItemsProjection(schema: "only_items")
            let events = log([created("A", "A", "2026-12-01T09:00:00.000Z"), changed("A", "B", "2026-12-01T09:01:00.000Z")])
            try await connection.withTransaction { try await alone.apply(events.events, on: $0) }
            #expect(try await connection.query("SELECT count(*) FROM only_items.items_view")[0].decode(Int.self, at: 0) == 1)
            #expect(try await connection.query("SELECT count(*) FROM public.items_view")[0].decode(Int.self, at: 0) == 0)
            #expect(alone.eventTypesHandledTwice == [])
            await connection.close()
        }
    }
}
