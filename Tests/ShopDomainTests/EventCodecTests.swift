import EventSourcing
import Foundation
@testable import ShopDomain  // for the v1→v2 step on its own
import Testing
import Wire

@Suite("Event codecs")
struct EventCodecTests {
    static let customerEvents: [(Customer.Event, String, String)] = [
        (.registered(name: "Ada Lovelace", email: "Ada@Example.org", at: Time.t0), "customer.registered",
         #"{"at":"2026-11-24T10:15:30.123Z","email":"Ada@Example.org","name":"Ada Lovelace"}"#),
        (.renamed(name: "Zoë \"Z\" Ōkubo 🙂", at: Time.t1), "customer.renamed",
         #"{"at":"2026-11-24T10:16:30.456Z","name":"Zoë \"Z\" Ōkubo 🙂"}"#),
    ]

    static let orderEvents: [(Order.Event, String, String)] = [
        (.placed(customer: Fixture.ada, lines: [Fixture.mugs, Fixture.tea], shippingAddress: Fixture.berlin, at: Time.t0),
         "order.placed",
         #"{"at":"2026-11-24T10:15:30.123Z","customer_id":"0b7f3a52-6c1e-4b8e-9a3d-2f1c5e7d9a01","#
            + #""lines":[{"quantity":2,"sku":"MUG","unit_price":"4.50"},{"quantity":1,"sku":"TEA-01","unit_price":"19.99"}],"#
            + #""shipping_address":{"city":"Berlin","country":"DE","line1":"Unter den Linden 1","postal_code":"10117"}}"#),
        (.itemAdded(OrderLine(sku: "SPOON", quantity: 6, unitPrice: "0.50"), at: Time.t1), "order.item_added",
         #"{"at":"2026-11-24T10:16:30.456Z","quantity":6,"sku":"SPOON","unit_price":"0.50"}"#),
        (.itemRemoved(sku: "MUG", at: Time.t1), "order.item_removed",
         #"{"at":"2026-11-24T10:16:30.456Z","sku":"MUG"}"#),
        (.shippingAddressChanged(ShippingAddress(line1: "c/o Marie Curie", line2: "Apt 4", city: "Paris",
                                                 postalCode: "75001", country: "FR"), at: Time.t2),
         "order.shipping_address_changed",
         #"{"at":"2026-11-24T10:17:30.789Z","shipping_address":{"city":"Paris","country":"FR","line1":"c/o Marie Curie","#
            + #""line2":"Apt 4","postal_code":"75001"}}"#),
        (.confirmed(at: Time.t1), "order.confirmed", #"{"at":"2026-11-24T10:16:30.456Z"}"#),
        (.shipped(carrier: "DHL", trackingNumber: "JD0001/X", at: Time.t2), "order.shipped",
         #"{"at":"2026-11-24T10:17:30.789Z","carrier":"DHL","tracking_number":"JD0001/X"}"#),
        (.shipped(carrier: nil, trackingNumber: nil, at: Time.t2), "order.shipped",
         #"{"at":"2026-11-24T10:17:30.789Z"}"#),
        (.cancelled(reason: "changed my mind", at: Time.t3), "order.cancelled",
         #"{"at":"2026-11-24T10:18:30.000Z","reason":"changed my mind"}"#),
    ]

    @Test(arguments: customerEvents)
    func customerEventsHaveStableStoredShapes(_ event: Customer.Event, type: String, json: String) throws {
        let encoded = try Customer.codec.encode(event)
        #expect(encoded.type == type)
        #expect(encoded.schemaVersion == 1)
        #expect(String(decoding: encoded.data, as: UTF8.self) == json)
        #expect(try Customer.codec.decode(encoded) == event)
        #expect(try Customer.codec.encode(event) == encoded)  // deterministic
    }

    @Test(arguments: orderEvents)
    func orderEventsHaveStableStoredShapes(_ event: Order.Event, type: String, json: String) throws {
        let encoded = try Order.codec.encode(event)
        #expect(encoded.type == type)
        #expect(encoded.schemaVersion == (type == "order.placed" ? 2 : 1))
        #expect(String(decoding: encoded.data, as: UTF8.self) == json)
        #expect(try Order.codec.decode(encoded) == event)
        #expect(try Order.codec.encode(event) == encoded)
    }

    @Test func timesSurviveToTheMillisecond() throws {
        let at = Date(timeIntervalSince1970: 1_795_515_330.987)
        let decoded = try Order.codec.decode(try Order.codec.encode(.confirmed(at: at)))
        #expect(decoded == .confirmed(at: at))
    }

    // MARK: upcasting

    static let placedV1 = #"""
        {"customer_id": "0B7F3A52-6C1E-4B8E-9A3D-2F1C5E7D9A01", "at": "2026-11-24T10:15:30.123Z",
         "lines": [{"sku": "MUG", "quantity": 2, "unit_price_cents": 450},
                   {"sku": "TEA-01", "quantity": 1, "unit_price_cents": 1999}],
         "address": {"line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"}}
        """#

    @Test func placedVersionOneDecodesAsTheCurrentEvent() throws {
        let stored = EncodedEvent(type: "order.placed", schemaVersion: 1, data: Array(Self.placedV1.utf8))
        let event = try Order.codec.decode(stored)
        #expect(event == .placed(customer: Fixture.ada,
                                 lines: [OrderLine(sku: "MUG", quantity: 2, unitPrice: "4.50"),
                                         OrderLine(sku: "TEA-01", quantity: 1, unitPrice: "19.99")],
                                 shippingAddress: ShippingAddress(line1: "Unter den Linden 1", city: "Berlin",
                                                                  postalCode: "10117", country: "DE"),
                                 at: Time.t0))
    }

    @Test func theUpcastRewritesOnlyPricesAndTheAddressKey() throws {
        let v1 = #"{"address":{"x":1},"lines":[{"unit_price_cents":5,"q":1.0}],"other":"kept"}"#
        let upcast = try Order.upcastPlacedFromV1(Array(v1.utf8))
        #expect(String(decoding: upcast, as: UTF8.self)
            == #"{"lines":[{"q":1.0,"unit_price":"0.05"}],"other":"kept","shipping_address":{"x":1}}"#)
    }

    @Test(arguments: [
        #"{"lines": [{"sku": "MUG", "quantity": 2, "unit_price": "4.50"}], "address": {}}"#,
        #"{"lines": [{"sku": "MUG", "quantity": 2, "unit_price_cents": 4.5}], "address": {}}"#,
        #"{"lines": [{"sku": "MUG", "quantity": 2, "unit_price_cents": -1}], "address": {}}"#,
        #"{"lines": [{"sku": "MUG", "quantity": 2, "unit_price_cents": "450"}], "address": {}}"#,
        #"{"lines": [{"sku": "MUG", "quantity": 2, "unit_price_cents": 450}]}"#,
        #"{"lines": {}, "address": {}}"#,
        #"[]"#,
        #"{"lines": ["#,
    ])
    func malformedVersionOneDataIsAnError(_ json: String) {
        let stored = EncodedEvent(type: "order.placed", schemaVersion: 1, data: Array(json.utf8))
        #expect {
            try Order.codec.decode(stored)
        } throws: { error in
            guard case .malformedData(eventType: "order.placed", schemaVersion: 1, _)? = error as? EventDecodingError else {
                return false
            }
            return true
        }
    }

    // MARK: errors

    @Test func unknownTypesAreNamed() {
        #expect(throws: EventDecodingError.unknownEventType("order.teleported", streamType: "order")) {
            try Order.codec.decode(EncodedEvent(type: "order.teleported", schemaVersion: 1, data: Array("{}".utf8)))
        }
        #expect(throws: EventDecodingError.unknownEventType("order.placed", streamType: "customer")) {
            try Customer.codec.decode(EncodedEvent(type: "order.placed", schemaVersion: 2, data: Array("{}".utf8)))
        }
    }

    @Test func schemaVersionsWithoutAWayToTheCurrentOneAreErrors() {
        #expect(throws: UpcastError.newerThanKnown(type: "order.confirmed", version: 2, known: 1)) {
            try Order.codec.decode(EncodedEvent(type: "order.confirmed", schemaVersion: 2, data: Array("{}".utf8)))
        }
        #expect(throws: UpcastError.noStep(type: "order.confirmed", fromVersion: 0)) {
            try Order.codec.decode(EncodedEvent(type: "order.confirmed", schemaVersion: 0, data: Array("{}".utf8)))
        }
    }

    @Test(arguments: [
        ("order.confirmed", #"{}"#, "at at: missing key"),
        ("order.confirmed", #"{"at": "yesterday"}"#, "at at: not an RFC 3339 UTC time: yesterday"),
        ("order.confirmed", #"{"at": 1795515330}"#, "at at: expected String"),
        ("order.confirmed", #"not json"#, "not JSON"),
        ("order.item_removed", #"{"at": "2026-11-24T10:15:30.123Z", "sku": "no spaces"}"#, "at sku: not a sku: no spaces"),
        ("order.item_added", #"{"at": "2026-11-24T10:15:30.123Z", "sku": "MUG", "quantity": 1, "unit_price": 4.5}"#,
         "at unit_price: expected String"),
        ("order.item_added", #"{"at": "2026-11-24T10:15:30.123Z", "sku": "MUG", "quantity": 1, "unit_price": "4.5"}"#,
         "at unit_price: not a two-decimal amount: 4.5"),
        ("order.placed", #"{"at": "2026-11-24T10:15:30.123Z", "customer_id": "nope", "lines": [], "shipping_address": {}}"#,
         "at customer_id: not a UUID: nope"),
        ("order.shipping_address_changed",
         #"{"at": "2026-11-24T10:15:30.123Z", "shipping_address": {"line1": "x", "city": "y", "postal_code": "z", "country": "XX"}}"#,
         "at shipping_address.country: not an ISO 3166-1 alpha-2 code: XX"),
    ])
    func malformedDataIsAnErrorThatSaysWhere(_ type: String, json: String, reason: String) {
        let version = type == "order.placed" ? 2 : 1
        #expect {
            try Order.codec.decode(EncodedEvent(type: type, schemaVersion: version, data: Array(json.utf8)))
        } throws: { error in
            guard case let .malformedData(eventType, actualVersion, actualReason)? = error as? EventDecodingError else {
                return false
            }
            return eventType == type && actualVersion == version && actualReason.hasPrefix(reason)
        }
    }

    @Test func errorsDescribeThemselves() {
        #expect(EventDecodingError.unknownStreamType("invoice").description == #"unknown stream type "invoice""#)
        #expect(EventDecodingError.unknownEventType("order.x", streamType: "order").description
            == #"unknown event type "order.x" in a order stream"#)
        #expect(EventDecodingError.malformedData(eventType: "order.confirmed", schemaVersion: 1, reason: "at at: missing key")
            .description == "malformed data for order.confirmed v1: at at: missing key")
    }

    // MARK: ShopEvent

    @Test func shopEventsNameTheirStream() throws {
        let customer = try ShopEvent.decode(streamType: "customer", streamID: Fixture.ada.uuid,
                                            event: try Customer.codec.encode(.renamed(name: "Ada King", at: Time.t1)))
        #expect(customer == .customer(Fixture.ada, .renamed(name: "Ada King", at: Time.t1)))
        #expect(customer.at == Time.t1)
        let order = try ShopEvent.decode(streamType: "order", streamID: Fixture.order.uuid,
                                         event: try Order.codec.encode(.confirmed(at: Time.t2)))
        #expect(order == .order(Fixture.order, .confirmed(at: Time.t2)))
    }

    @Test func shopEventsDecodeRecordedEvents() throws {
        let recorded = RecordedEvent(
            position: LogPosition(transactionID: 7, globalPosition: 3), stream: Order.stream(Fixture.order),
            streamVersion: 1, event: EncodedEvent(type: "order.placed", schemaVersion: 1, data: Array(Self.placedV1.utf8)),
            metadata: EventMetadata(commandID: UUID(), correlationID: "c", causationID: "c"), recordedAt: Time.t0)
        guard case let .order(id, .placed(customer, lines, _, at)) = try ShopEvent.decode(recorded) else {
            Issue.record("not an order placement")
            return
        }
        #expect(id == Fixture.order)
        #expect(customer == Fixture.ada)
        #expect(lines.map(\.lineTotal) == ["9.00", "19.99"])
        #expect(at == Time.t0)
    }

    @Test func unknownStreamTypesAreErrors() {
        #expect(throws: EventDecodingError.unknownStreamType("invoice")) {
            try ShopEvent.decode(streamType: "invoice", streamID: UUID(),
                                 event: EncodedEvent(type: "invoice.sent", schemaVersion: 1, data: []))
        }
    }
}
