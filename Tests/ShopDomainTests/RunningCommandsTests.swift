import EventSourcing
import Foundation
import Shop
import ShopDomain
import Testing

/// The deciders on the real runner and the in-memory store, as the command
/// service wires them: request body → request → command → events → views.
@Suite("Running shop commands")
struct RunningCommandsTests {
    let store = InMemoryEventStore()
    let metadata = EventMetadata(commandID: UUID(), correlationID: "corr", causationID: "cause")

    @Test func emailsAreUniqueAcrossCustomersIgnoringCase() async throws {
        let customers = CommandRunner<Customer>(store: store, codec: Customer.codec)
        let ada = Customer.stream(CustomerID(UUID()))
        let impostor = Customer.stream(CustomerID(UUID()))
        let first = try RegisterCustomerRequest.parse(Array(#"{"name": "Ada", "email": "Ada@Example.org"}"#.utf8))
        let second = try RegisterCustomerRequest.parse(Array(#"{"name": "Eve", "email": "ada@EXAMPLE.org"}"#.utf8))

        let outcome = try await customers.run(first.command(at: Time.t0), on: ada, metadata: metadata,
                                              claims: Customer.claims(for:))
        #expect(outcome.streamVersion == 1)
        await #expect(throws: CommandRunError.claimTaken(UniqueClaim(scope: "customer-email", value: "ada@example.org"))) {
            try await customers.run(second.command(at: Time.t1), on: impostor, metadata: metadata,
                                    claims: Customer.claims(for:))
        }
        #expect(try await store.readStream(impostor).isEmpty)
    }

    @Test func anOrderGoesThroughItsLife() async throws {
        let orders = CommandRunner<Order>(store: store, codec: Order.codec)
        let id = OrderID(UUID())
        let stream = Order.stream(id)
        let place = try PlaceOrderRequest.parse(Array(#"""
            {"customer_id": "0b7f3a52-6c1e-4b8e-9a3d-2f1c5e7d9a01",
             "items": [{"sku": "MUG", "quantity": 2, "unit_price": "4.50"}],
             "shipping_address": {"line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"}}
            """#.utf8))
        _ = try await orders.run(place.command(at: Time.t0), on: stream, metadata: metadata)
        let add = try AddItemRequest.parse(Array(#"{"sku": "MUG", "quantity": 1, "unit_price": "4.50"}"#.utf8))
        _ = try await orders.run(add.command(at: Time.t1), on: stream, ifMatch: 1, metadata: metadata)
        await #expect(throws: Order.Rejection.lastLineCannotBeRemoved) {
            try await orders.run(.removeItem(sku: "MUG", at: Time.t1), on: stream, metadata: metadata)
        }
        _ = try await orders.run(.confirm(at: Time.t2), on: stream, metadata: metadata)
        let ship = try ShipOrderRequest.parse([])
        let shipped = try await orders.run(ship.command(at: Time.t3), on: stream, metadata: metadata)
        #expect(shipped.streamVersion == 4)

        let (state, version, _) = try await orders.load(stream)
        #expect(state.status == .shipped)
        #expect(state.itemCount == 3)
        #expect(state.totalAmount.description == "13.50")
        #expect(version == 4)

        // The projector's view of the same log.
        let log = try await store.readAll(after: .start, limit: 100).map(ShopEvent.decode)
        #expect(log == [
            .order(id, .placed(customer: Fixture.ada, lines: [Fixture.mugs], shippingAddress: Fixture.berlin, at: Time.t0)),
            .order(id, .itemAdded(OrderLine(sku: "MUG", quantity: 1, unitPrice: "4.50"), at: Time.t1)),
            .order(id, .confirmed(at: Time.t2)),
            .order(id, .shipped(carrier: nil, trackingNumber: nil, at: Time.t3)),
        ])
    }
}
