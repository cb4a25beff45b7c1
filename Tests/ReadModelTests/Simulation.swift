import EventSourcing
import Foundation
import ReadModel
import Shop
import ShopDomain
import TestSupport
import Wire

/// A reproducible random history: commands chosen at random, decided by the
/// real deciders (rejections are skipped), so every event is one the write
/// side could append. Alongside it keeps what the views should show,
/// computed in Swift from the deciders' states: the oracle.
struct Simulation {
    var log = EventLog()
    private(set) var customers: [CustomerID: Customer.State] = [:]
    private(set) var customerVersions: [CustomerID: Int] = [:]
    private(set) var customerOrder: [CustomerID] = []
    private(set) var orders: [OrderID: Order.State] = [:]
    private(set) var orderVersions: [OrderID: Int] = [:]
    private(set) var orderOrder: [OrderID] = []
    private(set) var days: [Day: DailySales] = [:]
    private var clock = Timestamp.parse("2026-11-01T00:00:00.000Z")!
    private var rng: SplitMix64

    /// One price per sku, so adding a sku already on an order is allowed.
    static let prices: [Sku: Money] = [
        "A": Money(minorUnits: 1), "B": Money(minorUnits: 99), "C": Money(minorUnits: 1050),
        "D": Money(minorUnits: 12_345), "E": Money(minorUnits: 999_999_999),
    ]
    static let skus = prices.keys.sorted { $0.value < $1.value }
    static let addresses = [Fixture.berlin, Fixture.paris]

    static func run(seed: UInt64, steps: Int) -> Simulation {
        var simulation = Simulation(rng: SplitMix64(state: seed))
        for _ in 0..<steps { simulation.step() }
        return simulation
    }

    private init(rng: SplitMix64) { self.rng = rng }

    private mutating func step() {
        // Up to three hours later, in whole milliseconds; history spans weeks.
        clock = clock.addingTimeInterval(Double(Int.random(in: 0...10_800_000, using: &rng)) / 1000)
        let roll = Int.random(in: 0..<100, using: &rng)
        if customers.isEmpty || roll < 8 {
            let id = CustomerID(UUID.random(using: &rng))
            customerOrder.append(id)
            let n = customerOrder.count
            run(.register(name: try! PersonName(validating: ["Ada", "bob", "Zoë", "Ada"][n % 4] + " \(n % 7)"),
                          email: Email("c\(n)@example.org")!, at: clock), on: id)
        } else if roll < 13 {
            run(.rename(name: try! PersonName(validating: "Renamed \(Int.random(in: 0..<50, using: &rng))"), at: clock),
                on: customerOrder.randomElement(using: &rng)!)
        } else if orders.isEmpty || roll < 40 {
            let id = OrderID(UUID.random(using: &rng))
            orderOrder.append(id)
            var lines: [OrderLine] = []
            for sku in Self.skus.shuffled(using: &rng).prefix(Int.random(in: 1...3, using: &rng)) { lines.append(line(sku)) }
            run(.place(customer: customerOrder.randomElement(using: &rng)!, lines: lines,
                       shippingAddress: Self.addresses.randomElement(using: &rng)!, at: clock), on: id)
        } else {
            let id = orderOrder.randomElement(using: &rng)!
            let command: Order.Command = switch roll {
            case 40..<55: .addItem(line(Self.skus.randomElement(using: &rng)!), at: clock)
            case 55..<65: .removeItem(sku: Self.skus.randomElement(using: &rng)!, at: clock)
            case 65..<70: .changeShippingAddress(Self.addresses.randomElement(using: &rng)!, at: clock)
            case 70..<85: .confirm(at: clock)
            case 85..<92: .ship(carrier: nil, trackingNumber: nil, at: clock)
            default: .cancel(reason: "random", at: clock)
            }
            run(command, on: id)
        }
    }

    private mutating func line(_ sku: Sku) -> OrderLine {
        OrderLine(sku: sku, quantity: Int.random(in: 1...4, using: &rng), unitPrice: Self.prices[sku]!)
    }

    private mutating func run(_ command: Customer.Command, on id: CustomerID) {
        guard let events = try? Customer.decide(command, customers[id] ?? Customer.initialState) else { return }
        for event in events {
            log.append(event, to: id)
            customers[id] = Customer.evolve(customers[id] ?? Customer.initialState, event)
            customerVersions[id, default: 0] += 1
        }
    }

    private mutating func run(_ command: Order.Command, on id: OrderID) {
        let before = orders[id] ?? Order.initialState
        guard let events = try? Order.decide(command, before) else { return }
        for event in events {
            let previous = orders[id] ?? Order.initialState
            log.append(event, to: id)
            let next = Order.evolve(previous, event)
            orders[id] = next
            orderVersions[id, default: 0] += 1
            let day = Day(containing: event.at)
            var sales = days[day] ?? DailySales(date: day, ordersPlaced: 0, ordersCancelled: 0, revenue: .zero)
            switch event {
            case .placed: sales.ordersPlaced += 1
            case .confirmed: sales.revenue = sales.revenue + next.totalAmount
            case .cancelled:
                sales.ordersCancelled += 1
                if previous.status == .confirmed { sales.revenue = sales.revenue - previous.totalAmount }
            default: continue
            }
            days[day] = sales
        }
    }

    // MARK: What the views should show

    func expectedOrder(_ id: OrderID) -> OrderView {
        let state = orders[id]!
        return OrderView(
            orderID: id, customerID: state.customer!, customerName: customers[state.customer!]!.name!.value,
            status: state.status!,
            items: state.lines.map { OrderLineView(sku: $0.sku, quantity: $0.quantity, unitPrice: $0.unitPrice) },
            itemCount: state.itemCount, totalAmount: state.totalAmount, shippingAddress: state.shippingAddress!,
            createdAt: state.placedAt!, updatedAt: state.updatedAt!, version: orderVersions[id]!)
    }

    func expectedCustomer(_ id: CustomerID) -> CustomerView {
        let state = customers[id]!
        let theirs = orders.values.filter { $0.customer == id }
        return CustomerView(
            customerID: id, name: state.name!.value, email: state.email!.value, orderCount: theirs.count,
            totalSpent: theirs.filter { $0.status != .cancelled }.reduce(Money.zero) { $0 + $1.totalAmount },
            lastOrderAt: theirs.compactMap(\.placedAt).max(), version: customerVersions[id]!)
    }

    /// By name in code point order, then id (uuids compare like their lower-case text).
    var expectedCustomers: [CustomerView] {
        customers.keys.map(expectedCustomer).sorted { a, b in
            let (x, y) = (a.name.unicodeScalars.map(\.value), b.name.unicodeScalars.map(\.value))
            return x != y ? x.lexicographicallyPrecedes(y) : a.customerID.description < b.customerID.description
        }
    }

    var expectedDailySales: [DailySales] { days.values.sorted { $0.date < $1.date } }
}
