import EventSourcing
import Foundation
import ShopDomain
import TestSupport
import Testing

@Suite("Order decider")
struct OrderDeciderTests {
    let spec = DeciderSpec(Order.self)

    static let placed: [Order.Event] = [
        .placed(customer: Fixture.ada, lines: [Fixture.mugs, Fixture.tea], shippingAddress: Fixture.berlin, at: Time.t0),
    ]

    /// A history that leaves the order in `status`.
    static func history(_ status: Order.Status) -> [Order.Event] {
        switch status {
        case .pending: placed
        case .confirmed: placed + [.confirmed(at: Time.t1)]
        case .shipped: placed + [.confirmed(at: Time.t1), .shipped(carrier: "DHL", trackingNumber: "JD0001", at: Time.t2)]
        case .cancelled: placed + [.cancelled(reason: "changed my mind", at: Time.t1)]
        }
    }

    // MARK: place

    @Test func placesAnOrder() {
        spec.given([])
            .when(.place(customer: Fixture.ada, lines: [Fixture.mugs, Fixture.tea], shippingAddress: Fixture.berlin,
                         at: Time.t0))
            .then([.placed(customer: Fixture.ada,
                           lines: [OrderLine(sku: "MUG", quantity: 2, unitPrice: "4.50"),
                                   OrderLine(sku: "TEA-01", quantity: 1, unitPrice: "19.99")],
                           shippingAddress: ShippingAddress(line1: "Unter den Linden 1", city: "Berlin",
                                                            postalCode: "10117", country: "DE"),
                           at: Time.t0)])
    }

    @Test func placesAnOrderOfAHundredLines() {
        spec.given([])
            .when(.place(customer: Fixture.ada, lines: Fixture.lines(100), shippingAddress: Fixture.berlin, at: Time.t0))
            .then([.placed(customer: Fixture.ada, lines: Fixture.lines(100), shippingAddress: Fixture.berlin, at: Time.t0)])
    }

    @Test func anOrderNeedsALine() {
        spec.given([])
            .when(.place(customer: Fixture.ada, lines: [], shippingAddress: Fixture.berlin, at: Time.t0))
            .thenRejects(.noLines)
    }

    @Test func anOrderHasAtMostAHundredLines() {
        spec.given([])
            .when(.place(customer: Fixture.ada, lines: Fixture.lines(101), shippingAddress: Fixture.berlin, at: Time.t0))
            .thenRejects(.tooManyLines)
    }

    @Test func aPlacedSkuAppearsOnce() {
        spec.given([])
            .when(.place(customer: Fixture.ada, lines: [Fixture.mugs, Fixture.tea, Fixture.mugs],
                         shippingAddress: Fixture.berlin, at: Time.t0))
            .thenRejects(.duplicateSku("MUG"))
    }

    @Test(arguments: [0, -1, 1001])
    func placedQuantitiesAreBetweenOneAndAThousand(_ quantity: Int) {
        spec.given([])
            .when(.place(customer: Fixture.ada, lines: [OrderLine(sku: "MUG", quantity: quantity, unitPrice: "4.50")],
                         shippingAddress: Fixture.berlin, at: Time.t0))
            .thenRejects(.quantityOutOfRange(sku: "MUG", quantity: quantity))
    }

    @Test(arguments: Order.Status.allCases)
    func anOrderIsPlacedOnce(_ status: Order.Status) {
        spec.given(Self.history(status))
            .when(.place(customer: Fixture.ada, lines: [Fixture.tea], shippingAddress: Fixture.paris, at: Time.t3))
            .thenRejects(.alreadyPlaced)
    }

    static let commandsOnAnExistingOrder: [Order.Command] = [
        .addItem(Fixture.tea, at: Time.t1),
        .removeItem(sku: "MUG", at: Time.t1),
        .changeShippingAddress(Fixture.paris, at: Time.t1),
        .confirm(at: Time.t1),
        .ship(carrier: nil, trackingNumber: nil, at: Time.t1),
        .cancel(reason: "changed my mind", at: Time.t1),
    ]

    @Test(arguments: commandsOnAnExistingOrder)
    func everyOtherCommandNeedsAPlacedOrder(_ command: Order.Command) {
        spec.given([]).when(command).thenRejects(.notFound)
    }

    // MARK: addItem

    @Test func addsANewLine() {
        spec.given(Self.placed)
            .when(.addItem(OrderLine(sku: "SPOON", quantity: 6, unitPrice: "1.25"), at: Time.t1))
            .then([.itemAdded(OrderLine(sku: "SPOON", quantity: 6, unitPrice: "1.25"), at: Time.t1)])
    }

    @Test func addingAnOrderedSkuAtItsPriceAddsToItsQuantity() {
        spec.given(Self.placed)
            .when(.addItem(OrderLine(sku: "MUG", quantity: 3, unitPrice: "4.50"), at: Time.t1))
            .then([.itemAdded(OrderLine(sku: "MUG", quantity: 3, unitPrice: "4.50"), at: Time.t1)])
        let state = Order.fold(Self.placed + [.itemAdded(OrderLine(sku: "MUG", quantity: 3, unitPrice: "4.50"), at: Time.t1)])
        #expect(state.lines == [OrderLine(sku: "MUG", quantity: 5, unitPrice: "4.50"),
                                OrderLine(sku: "TEA-01", quantity: 1, unitPrice: "19.99")])
    }

    @Test func anAddedQuantityMayReachAThousand() {
        spec.given(Self.placed)
            .when(.addItem(OrderLine(sku: "MUG", quantity: 998, unitPrice: "4.50"), at: Time.t1))
            .then([.itemAdded(OrderLine(sku: "MUG", quantity: 998, unitPrice: "4.50"), at: Time.t1)])
    }

    @Test func anAddedQuantityMayNotExceedAThousand() {
        spec.given(Self.placed)
            .when(.addItem(OrderLine(sku: "MUG", quantity: 999, unitPrice: "4.50"), at: Time.t1))
            .thenRejects(.quantityOutOfRange(sku: "MUG", quantity: 1001))
    }

    @Test(arguments: [0, 1001])
    func anAddedLineHoldsBetweenOneAndAThousand(_ quantity: Int) {
        spec.given(Self.placed)
            .when(.addItem(OrderLine(sku: "SPOON", quantity: quantity, unitPrice: "1.25"), at: Time.t1))
            .thenRejects(.quantityOutOfRange(sku: "SPOON", quantity: quantity))
    }

    @Test func anOrderedSkuCannotBeAddedAtAnotherPrice() {
        spec.given(Self.placed)
            .when(.addItem(OrderLine(sku: "MUG", quantity: 1, unitPrice: "4.99"), at: Time.t1))
            .thenRejects(.priceDiffersForSku("MUG", onOrder: "4.50", requested: "4.99"))
    }

    @Test func theHundredAndFirstLineIsRefused() {
        let full: [Order.Event] = [.placed(customer: Fixture.ada, lines: Fixture.lines(100),
                                           shippingAddress: Fixture.berlin, at: Time.t0)]
        spec.given(full)
            .when(.addItem(OrderLine(sku: "SPOON", quantity: 1, unitPrice: "1.25"), at: Time.t1))
            .thenRejects(.tooManyLines)
        spec.given(full)
            .when(.addItem(OrderLine(sku: "SKU-7", quantity: 2, unitPrice: "1.00"), at: Time.t1))
            .then([.itemAdded(OrderLine(sku: "SKU-7", quantity: 2, unitPrice: "1.00"), at: Time.t1)])
    }

    @Test func theHundredthLineIsAccepted() {
        spec.given([.placed(customer: Fixture.ada, lines: Fixture.lines(99), shippingAddress: Fixture.berlin, at: Time.t0)])
            .when(.addItem(OrderLine(sku: "SPOON", quantity: 1, unitPrice: "1.25"), at: Time.t1))
            .then([.itemAdded(OrderLine(sku: "SPOON", quantity: 1, unitPrice: "1.25"), at: Time.t1)])
    }

    @Test(arguments: [Order.Status.confirmed, .shipped, .cancelled])
    func itemsAreAddedOnlyWhilePending(_ status: Order.Status) {
        spec.given(Self.history(status))
            .when(.addItem(OrderLine(sku: "SPOON", quantity: 1, unitPrice: "1.25"), at: Time.t3))
            .thenRejects(.itemsCannotChange(status: status))
    }

    // MARK: removeItem

    @Test func removesALine() {
        spec.given(Self.placed).when(.removeItem(sku: "MUG", at: Time.t1)).then([.itemRemoved(sku: "MUG", at: Time.t1)])
        let state = Order.fold(Self.placed + [.itemRemoved(sku: "MUG", at: Time.t1)])
        #expect(state.lines == [OrderLine(sku: "TEA-01", quantity: 1, unitPrice: "19.99")])
    }

    @Test func removingASkuNotOnTheOrderIsNotFound() {
        spec.given(Self.placed).when(.removeItem(sku: "SPOON", at: Time.t1)).thenRejects(.lineNotFound("SPOON"))
    }

    @Test func theLastLineCannotBeRemoved() {
        spec.given(Self.placed + [.itemRemoved(sku: "MUG", at: Time.t1)])
            .when(.removeItem(sku: "TEA-01", at: Time.t2))
            .thenRejects(.lastLineCannotBeRemoved)
    }

    @Test func anUnknownSkuOnAOneLineOrderIsStillNotFound() {
        spec.given(Self.placed + [.itemRemoved(sku: "MUG", at: Time.t1)])
            .when(.removeItem(sku: "MUG", at: Time.t2))
            .thenRejects(.lineNotFound("MUG"))
    }

    @Test(arguments: [Order.Status.confirmed, .shipped, .cancelled])
    func itemsAreRemovedOnlyWhilePending(_ status: Order.Status) {
        spec.given(Self.history(status)).when(.removeItem(sku: "MUG", at: Time.t3))
            .thenRejects(.itemsCannotChange(status: status))
    }

    // MARK: changeShippingAddress

    @Test(arguments: [Order.Status.pending, .confirmed])
    func changesTheAddressBeforeShipping(_ status: Order.Status) {
        spec.given(Self.history(status))
            .when(.changeShippingAddress(Fixture.paris, at: Time.t3))
            .then([.shippingAddressChanged(ShippingAddress(line1: "1 Rue de Rivoli", line2: "Apt 4", city: "Paris",
                                                           postalCode: "75001", country: "FR"), at: Time.t3)])
    }

    @Test(arguments: [Order.Status.shipped, .cancelled])
    func theAddressIsFixedOnceShippedOrCancelled(_ status: Order.Status) {
        spec.given(Self.history(status))
            .when(.changeShippingAddress(Fixture.paris, at: Time.t3))
            .thenRejects(.shippingAddressCannotChange(status: status))
    }

    // MARK: status transitions

    @Test func confirmsAPendingOrder() {
        spec.given(Self.placed).when(.confirm(at: Time.t1)).then([.confirmed(at: Time.t1)])
    }

    @Test(arguments: [Order.Status.confirmed, .shipped, .cancelled])
    func confirmsOnlyPendingOrders(_ status: Order.Status) {
        spec.given(Self.history(status)).when(.confirm(at: Time.t3)).thenRejects(.notAllowed(from: status, to: .confirmed))
    }

    @Test func shipsAConfirmedOrder() {
        spec.given(Self.history(.confirmed))
            .when(.ship(carrier: "DHL", trackingNumber: "JD014600006281230704", at: Time.t2))
            .then([.shipped(carrier: "DHL", trackingNumber: "JD014600006281230704", at: Time.t2)])
    }

    @Test func shipsWithoutCarrierOrTrackingNumber() {
        spec.given(Self.history(.confirmed))
            .when(.ship(carrier: nil, trackingNumber: nil, at: Time.t2))
            .then([.shipped(carrier: nil, trackingNumber: nil, at: Time.t2)])
    }

    @Test(arguments: [Order.Status.pending, .shipped, .cancelled])
    func shipsOnlyConfirmedOrders(_ status: Order.Status) {
        spec.given(Self.history(status))
            .when(.ship(carrier: nil, trackingNumber: nil, at: Time.t3))
            .thenRejects(.notAllowed(from: status, to: .shipped))
    }

    @Test(arguments: [Order.Status.pending, .confirmed])
    func cancelsBeforeShipping(_ status: Order.Status) {
        spec.given(Self.history(status))
            .when(.cancel(reason: "found it cheaper", at: Time.t3))
            .then([.cancelled(reason: "found it cheaper", at: Time.t3)])
    }

    @Test(arguments: [Order.Status.shipped, .cancelled])
    func cannotCancelAfterShippingOrTwice(_ status: Order.Status) {
        spec.given(Self.history(status))
            .when(.cancel(reason: "found it cheaper", at: Time.t3))
            .thenRejects(.notAllowed(from: status, to: .cancelled))
    }

    // MARK: state

    @Test(arguments: Order.Status.allCases)
    func stateTracksTheStatus(_ status: Order.Status) {
        #expect(Order.fold(Self.history(status)).status == status)
    }

    @Test func stateHasTotalsAndTimes() {
        let state = Order.fold(Self.placed + [
            .itemAdded(OrderLine(sku: "SPOON", quantity: 3, unitPrice: "0.35"), at: Time.t1),
            .shippingAddressChanged(Fixture.paris, at: Time.t2),
        ])
        #expect(state.customer == Fixture.ada)
        #expect(state.itemCount == 6)
        #expect(state.totalAmount == "30.04")  // 2 × 4.50 + 19.99 + 3 × 0.35
        #expect(state.line(for: "SPOON")?.lineTotal == "1.05")
        #expect(state.line(for: "FORK") == nil)
        #expect(state.shippingAddress == Fixture.paris)
        #expect(state.placedAt == Time.t0)
        #expect(state.updatedAt == Time.t2)
        #expect(Order.initialState.status == nil)
        #expect(Order.initialState.totalAmount == .zero)
    }

    @Test func statusesSpellTheirAPIValues() {
        #expect(Order.Status.allCases.map(\.rawValue) == ["pending", "confirmed", "shipped", "cancelled"])
    }

    // MARK: rejections

    @Test(arguments: [
        (Order.Rejection.notFound, "No such order."),
        (.alreadyPlaced, "The order has already been placed."),
        (.noLines, "An order needs at least one line."),
        (.tooManyLines, "An order has at most 100 lines."),
        (.duplicateSku("MUG"), "The sku MUG appears on more than one line."),
        (.quantityOutOfRange(sku: "MUG", quantity: 1001),
         "The quantity of MUG would be 1001; a line holds between 1 and 1000."),
        (.priceDiffersForSku("MUG", onOrder: "4.50", requested: "4.99"),
         "The sku MUG is on the order at 4.50, not 4.99; remove it first to change its price."),
        (.lineNotFound("SPOON"), "The sku SPOON is not on the order."),
        (.lastLineCannotBeRemoved, "The last line of an order cannot be removed; cancel the order instead."),
        (.itemsCannotChange(status: .shipped), "The order is shipped; its items change only while it is pending."),
        (.shippingAddressCannotChange(status: .cancelled),
         "The order is cancelled; its shipping address changes only while it is pending or confirmed."),
        (.notAllowed(from: .shipped, to: .cancelled), "An order that is shipped cannot become cancelled."),
    ])
    func rejectionsExplainThemselves(_ rejection: Order.Rejection, _ description: String) {
        #expect(rejection.description == description)
    }
}
