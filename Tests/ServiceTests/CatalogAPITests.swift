import Foundation
import HTTPTypes
import TestSupport
import Testing

/// The catalog context through the real routers, projector and watcher
/// (API.md "Catalog: items"): what a client of the two services sees.
@Suite("Catalog: items over HTTP")
struct CatalogAPITests {
    @Test func anItemIsCreatedDescribedAndReadBackFresh() async throws {
        try await QueryAPIHarness.run { api in
            let created = try await QueryAPIHarness.send(api.command, .post, "/items",
                                                         json: #"{"sku": "MUG-330", "description": "  A blue mug  "}"#)
            #expect(created.status == 201, "\(created.body)")
            #expect(created.headers[.location] == "/items/MUG-330")
            #expect(created.json["sku"] as? String == "MUG-330" && created.json["version"] as? Int == 1)
            let token = try #require(created.json["consistency_token"] as? String)
            let first = try await api.get("/items/MUG-330", after: token, waitMilliseconds: 30000)
            #expect(first.status == 200 && first.consistency == "fresh", "\(first.body)")
            #expect(first.json["description"] as? String == "A blue mug", "trimmed: \(first.body)")
            #expect(first.json["version"] as? Int == 1)
            #expect(Set(first.json.keys) == ["sku", "description", "created_at", "updated_at", "version"])

            let changed = try await api.run(.put, "/items/MUG-330/description", json: #"{"description": "A red mug"}"#)
            #expect(changed.id == "MUG-330")
            let second = try await api.get("/items/MUG-330", after: changed.token, waitMilliseconds: 30000)
            #expect(second.consistency == "fresh")
            #expect(second.json["description"] as? String == "A red mug" && second.json["version"] as? Int == 2)
            #expect(second.json["created_at"] as? String == first.json["created_at"] as? String)
            #expect((second.json["updated_at"] as? String ?? "") >= (first.json["updated_at"] as? String ?? "~"))
        }
    }

    /// The sku is the identity and case-sensitive: a second create of one
    /// sku is a 409 that appends nothing, another case is another item, and
    /// the list is in byte order (upper case before lower case).
    @Test func skusAreIdentitiesListedInByteOrder() async throws {
        try await QueryAPIHarness.run { api in
            var token = ""
            for sku in ["b-2", "B-1", "a-1", "A-2"] {
                token = try await api.run(.post, "/items", json: #"{"sku": "\#(sku)", "description": "Item \#(sku)"}"#).token
            }
            let again = try await QueryAPIHarness.send(api.command, .post, "/items",
                                                       json: #"{"sku": "B-1", "description": "Again"}"#)
            #expect(again.status == 409 && again.isProblem, "\(again.body)")
            let count = try await api.probe.query("SELECT count(*) FROM events WHERE stream_type = 'item'")[0]
                .decode(Int.self, at: 0)
            #expect(count == 4)

            let all = try await api.get("/items", after: token, waitMilliseconds: 30000)
            #expect(all.json["total"] as? Int == 4)
            let skus = (all.json["items"] as? [[String: Any]] ?? []).compactMap { $0["sku"] as? String }
            #expect(skus == ["A-2", "B-1", "a-1", "b-2"])
            let second = try await api.get("/items?page=2&page_size=3")
            #expect((second.json["items"] as? [[String: Any]])?.compactMap { $0["sku"] as? String } == ["b-2"])
            let past = try await api.get("/items?page=9&page_size=3")
            #expect((past.json["items"] as? [Any])?.isEmpty == true && past.json["total"] as? Int == 4, "\(past.body)")
            let bad = try await api.get("/items?page_size=101")
            #expect(bad.status == 422 && bad.errorFields == ["page_size"], "\(bad.body)")
            #expect(try await api.get("/items/C-3").status == 404)
            #expect(try await api.get("/items/bad%21sku").status == 404)
        }
    }

    @Test func aRepeatedIdempotencyKeyCreatesTheItemOnce() async throws {
        try await QueryAPIHarness.run { api in
            let body = #"{"sku": "ONCE", "description": "Once"}"#
            let headers = ["Idempotency-Key": "item-once", "Content-Type": "application/json"]
            let first = try await QueryAPIHarness.send(api.command, .post, "/items", json: body, headers: headers)
            let repeated = try await QueryAPIHarness.send(api.command, .post, "/items", json: body, headers: headers)
            #expect(first.status == 201 && repeated.status == 201)
            #expect(first.body == repeated.body)
            let count = try await api.probe.query("SELECT count(*) FROM events WHERE stream_type = 'item'")[0]
                .decode(Int.self, at: 0)
            #expect(count == 1)
        }
    }

    /// `chronicle-admin rebuild-projection items` rebuilds beside and swaps:
    /// the same views after, and the projector goes on with new items.
    @Test func theItemsProjectionIsRebuiltAndGoesOn() async throws {
        try await QueryAPIHarness.run { api in
            for n in 0..<30 { _ = try await api.run(.post, "/items", json: #"{"sku": "R-\#(n)", "description": "Item \#(n)"}"#) }
            _ = try await api.run(.put, "/items/R-7/description", json: #"{"description": "Changed"}"#)
            try await api.caughtUp()
            let before = try await api.get("/items?page_size=100").body
            let rebuild = try await ChildProcess.run(RebuildTests.admin, ["rebuild-projection", "items",
                                                                          "--database-url", api.conninfo])
            #expect(rebuild.status == 0, "\(rebuild.output)")
            #expect(try await api.get("/items?page_size=100").body == before)
            let after = try await api.run(.post, "/items", json: #"{"sku": "R-after", "description": "After"}"#)
            let read = try await api.get("/items/R-after", after: after.token, waitMilliseconds: 30000)
            #expect(read.status == 200 && read.consistency == "fresh", "\(read.body)")
        }
    }
}
