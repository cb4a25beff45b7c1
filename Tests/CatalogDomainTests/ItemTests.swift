import CatalogDomain
import EventSourcing
import Foundation
import TestSupport
import Testing
import Wire

@Suite("Catalog: the item decider")
struct ItemDeciderTests {
    let spec = DeciderSpec(Item.self)
    let t0 = Timestamp.parse("2026-11-24T10:15:30.123Z")!
    let t1 = Timestamp.parse("2026-11-24T10:16:30.456Z")!
    let mug = ItemSku("MUG-1")!

    func text(_ value: String) -> ItemDescription { try! ItemDescription(validating: value) }

    @Test func createsANewItem() {
        spec.given([])
            .when(.create(sku: mug, description: text("A mug"), at: t0))
            .then([.created(sku: mug, description: text("A mug"), at: t0)])
    }

    @Test func anExistingSkuIsAConflict() {
        let rejection = Result { () throws(Item.Rejection) in
            try Item.decide(.create(sku: mug, description: text("Another"), at: t1),
                            Item.fold([.created(sku: mug, description: text("A mug"), at: t0)]))
        }
        #expect(throws: Item.Rejection.alreadyExists(mug)) { try rejection.get() }
        #expect(Item.Rejection.alreadyExists(mug).kind == .conflict)
    }

    @Test func changesTheDescriptionOfAnExistingItem() {
        spec.given([.created(sku: mug, description: text("A mug"), at: t0)])
            .when(.changeDescription(text("A big mug"), at: t1))
            .then([.descriptionChanged(text("A big mug"), at: t1)])
    }

    @Test func anUnknownItemIsNotFound() {
        spec.given([]).when(.changeDescription(text("A mug"), at: t1)).thenRejects(.notFound)
        #expect(Item.Rejection.notFound.kind == .notFound)
    }

    @Test func stateFollowsTheEvents() {
        let state = Item.fold([.created(sku: mug, description: text("A mug"), at: t0),
                               .descriptionChanged(text("A big mug"), at: t1)])
        #expect(state.sku == mug && state.description == text("A big mug"))
        #expect(state.createdAt == t0 && state.updatedAt == t1 && state.exists)
    }

    @Test func descriptionsFollowTheTextRule() {
        #expect(text("  A mug  ").value == "A mug")
        #expect(throws: TextRule.Violation.empty) { try ItemDescription(validating: "   ") }
        #expect(throws: TextRule.Violation.tooLong(maxLength: 2000)) {
            try ItemDescription(validating: String(repeating: "é", count: 2001))
        }
        #expect((try? ItemDescription(validating: String(repeating: "é", count: 2000))) != nil)
        #expect(throws: TextRule.Violation.controlCharacter) { try ItemDescription(validating: "a\u{7}b") }
    }
}

@Suite("Catalog: skus and their stream ids")
struct ItemSkuTests {
    @Test(arguments: ["A", "mug-1_B", String(repeating: "x", count: 64)])
    func validSkus(_ text: String) { #expect(ItemSku(text)?.value == text) }

    @Test(arguments: ["", "has space", "ümlaut", "a/b", String(repeating: "x", count: 65)])
    func invalidSkus(_ text: String) { #expect(ItemSku(text) == nil) }

    /// The expected ids are Python's `uuid.uuid5(namespace, sku)`: the
    /// derivation is RFC 9562 version 5, not something of our own.
    @Test(arguments: [("MUG", "180ddde4-0029-52f5-819b-4419b9438685"), ("mug", "39ba90af-1a91-5ada-adc8-30a9674778c4"),
                      ("A-1_b", "5f4e94fd-ceb4-521f-b0b0-37acd8cdef4c"),
                      (String(repeating: "x", count: 64), "ba344184-a2a1-5c40-86bb-d28196728d7a")])
    func streamIDIsTheNameBasedUUIDOfTheSku(_ sku: String, _ expected: String) {
        #expect(ItemSku(sku)!.streamID.uuidString.lowercased() == expected)
        #expect(Item.stream(ItemSku(sku)!) == StreamName(type: "item", id: UUID(uuidString: expected)!))
    }

    @Test func theNamespaceIsTheURLNameOfTheCatalog() {
        let url = UUID(uuidString: "6ba7b811-9dad-11d1-80b4-00c04fd430c8")!  // RFC 9562 NameSpace_URL
        #expect(UUID(nameBased: "https://chronicle.dev/catalog/items", in: url).uuidString.lowercased()
            == "4728ea53-70ac-5ecf-b7b3-6cfd0c71aef5")
    }

    @Test func listingOrderIsByteOrder() {
        let skus = ["b", "B", "a-1", "a_1", "A"].compactMap(ItemSku.init).sorted()
        #expect(skus.map(\.value) == ["A", "B", "a-1", "a_1", "b"])
    }
}

@Suite("Catalog: stored item events")
struct ItemCodecTests {
    let t0 = Timestamp.parse("2026-11-24T10:15:30.123Z")!

    @Test func roundTripsAndSpellsTheStoredShape() throws {
        let sku = ItemSku("MUG")!
        let created = Item.Event.created(sku: sku, description: try ItemDescription(validating: "A mug"), at: t0)
        let encoded = try Item.codec.encode(created)
        #expect(encoded.type == "item.created" && encoded.schemaVersion == 1)
        #expect(String(decoding: encoded.data, as: UTF8.self)
            == #"{"at":"2026-11-24T10:15:30.123Z","description":"A mug","sku":"MUG"}"#)
        #expect(try Item.codec.decode(encoded) == created)
        let changed = Item.Event.descriptionChanged(try ItemDescription(validating: "B"), at: t0)
        let encodedChange = try Item.codec.encode(changed)
        #expect(encodedChange.type == "item.description_changed")
        #expect(try Item.codec.decode(encodedChange) == changed)
    }

    @Test func anUnknownTypeOrMalformedDataIsAClearError() {
        #expect(throws: EventDecodingError.self) {
            try Item.codec.decode(EncodedEvent(type: "item.deleted", schemaVersion: 1, data: Array("{}".utf8)))
        }
        #expect(throws: EventDecodingError.self) {
            try Item.codec.decode(EncodedEvent(type: "item.created", schemaVersion: 1, data: Array(#"{"sku":"a b"}"#.utf8)))
        }
    }
}
