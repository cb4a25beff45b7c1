public import EventSourcing
public import Foundation

/// An order's life: placed with lines and an address, edited while pending,
/// then confirmed and shipped, or cancelled before it ships.
public enum Order: Decider {
    public static let streamType = "order"
    /// The most lines one order holds, whether placed at once or added later.
    public static let maxLines = 100

    public static func stream(_ id: OrderID) -> StreamName {
        StreamName(type: streamType, id: id.uuid)
    }

    public enum Status: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
        case pending, confirmed, shipped, cancelled

        public var description: String { rawValue }
    }

    /// What the decisions need, and what callers report; read-only
    /// outside the module because only `evolve` may change it.
    public struct State: Equatable, Sendable {
        /// `nil` until the order is placed.
        public internal(set) var status: Status?
        public internal(set) var customer: CustomerID?
        /// One line per sku, in the order they were first added.
        public internal(set) var lines: [OrderLine] = []
        public internal(set) var shippingAddress: ShippingAddress?
        public internal(set) var placedAt: Date?
        public internal(set) var updatedAt: Date?

        /// The line holding `sku`, if any.
        public func line(for sku: Sku) -> OrderLine? { lines.first { $0.sku == sku } }
        /// The sum of the lines' quantities.
        public var itemCount: Int { lines.reduce(0) { $0 + $1.quantity } }
        /// The sum of the lines' totals.
        public var totalAmount: Money { lines.reduce(.zero) { $0 + $1.lineTotal } }
    }

    public enum Command: Equatable, Sendable {
        case place(customer: CustomerID, lines: [OrderLine], shippingAddress: ShippingAddress, at: Date)
        /// Adds a line, or adds to the quantity of the line with the same sku and price.
        case addItem(OrderLine, at: Date)
        case removeItem(sku: Sku, at: Date)
        case changeShippingAddress(ShippingAddress, at: Date)
        case confirm(at: Date)
        case ship(carrier: String?, trackingNumber: String?, at: Date)
        case cancel(reason: String, at: Date)
    }

    public enum Event: Equatable, Sendable {
        case placed(customer: CustomerID, lines: [OrderLine], shippingAddress: ShippingAddress, at: Date)
        /// `line.quantity` is the quantity added: merged into an existing line
        /// of the same sku, or a new line.
        case itemAdded(OrderLine, at: Date)
        case itemRemoved(sku: Sku, at: Date)
        case shippingAddressChanged(ShippingAddress, at: Date)
        case confirmed(at: Date)
        case shipped(carrier: String?, trackingNumber: String?, at: Date)
        case cancelled(reason: String, at: Date)

        /// When the event happened (the command's time).
        public var at: Date {
            switch self {
            case .placed(_, _, _, let at), .itemAdded(_, let at), .itemRemoved(_, let at),
                 .shippingAddressChanged(_, let at), .confirmed(let at), .shipped(_, _, let at),
                 .cancelled(_, let at): at
            }
        }
    }

    public static let initialState = State()

    public static func decide(_ command: Command, _ state: State) throws(Rejection) -> [Event] {
        guard let status = state.status else {
            guard case let .place(customer, lines, address, at) = command else { throw .notFound }
            try checkPlacedLines(lines)
            return [.placed(customer: customer, lines: lines, shippingAddress: address, at: at)]
        }
        switch command {
        case .place:
            throw .alreadyPlaced
        case let .addItem(line, at):
            guard status == .pending else { throw .itemsCannotChange(status: status) }
            try checkAddedLine(line, to: state)
            return [.itemAdded(line, at: at)]
        case let .removeItem(sku, at):
            guard status == .pending else { throw .itemsCannotChange(status: status) }
            guard state.line(for: sku) != nil else { throw .lineNotFound(sku) }
            guard state.lines.count > 1 else { throw .lastLineCannotBeRemoved }
            return [.itemRemoved(sku: sku, at: at)]
        case let .changeShippingAddress(address, at):
            guard status == .pending || status == .confirmed else {
                throw .shippingAddressCannotChange(status: status)
            }
            return [.shippingAddressChanged(address, at: at)]
        case let .confirm(at):
            guard status == .pending else { throw .notAllowed(from: status, to: .confirmed) }
            return [.confirmed(at: at)]
        case let .ship(carrier, trackingNumber, at):
            guard status == .confirmed else { throw .notAllowed(from: status, to: .shipped) }
            return [.shipped(carrier: carrier, trackingNumber: trackingNumber, at: at)]
        case let .cancel(reason, at):
            guard status == .pending || status == .confirmed else { throw .notAllowed(from: status, to: .cancelled) }
            return [.cancelled(reason: reason, at: at)]
        }
    }

    public static func evolve(_ state: State, _ event: Event) -> State {
        var state = state
        switch event {
        case let .placed(customer, lines, address, at):
            state.status = .pending
            state.customer = customer
            state.lines = lines
            state.shippingAddress = address
            state.placedAt = at
        case let .itemAdded(line, _):
            if let index = state.lines.firstIndex(where: { $0.sku == line.sku }) {
                state.lines[index].quantity += line.quantity
            } else {
                state.lines.append(line)
            }
        case let .itemRemoved(sku, _):
            state.lines.removeAll { $0.sku == sku }
        case let .shippingAddressChanged(address, _):
            state.shippingAddress = address
        case .confirmed:
            state.status = .confirmed
        case .shipped:
            state.status = .shipped
        case .cancelled:
            state.status = .cancelled
        }
        state.updatedAt = event.at
        return state
    }

    // The request parser already enforces these; `decide` checks them again
    // because it is the last word on what enters a stream, whoever calls it.
    private static func checkPlacedLines(_ lines: [OrderLine]) throws(Rejection) {
        guard !lines.isEmpty else { throw .noLines }
        guard lines.count <= maxLines else { throw .tooManyLines }
        var seen: Set<Sku> = []
        for line in lines {
            guard OrderLine.allowedQuantities.contains(line.quantity) else {
                throw .quantityOutOfRange(sku: line.sku, quantity: line.quantity)
            }
            guard seen.insert(line.sku).inserted else { throw .duplicateSku(line.sku) }
        }
    }

    private static func checkAddedLine(_ line: OrderLine, to state: State) throws(Rejection) {
        guard OrderLine.allowedQuantities.contains(line.quantity) else {
            throw .quantityOutOfRange(sku: line.sku, quantity: line.quantity)
        }
        if let existing = state.line(for: line.sku) {
            guard existing.unitPrice == line.unitPrice else {
                throw .priceDiffersForSku(line.sku, onOrder: existing.unitPrice, requested: line.unitPrice)
            }
            let resulting = existing.quantity + line.quantity
            guard OrderLine.allowedQuantities.contains(resulting) else {
                throw .quantityOutOfRange(sku: line.sku, quantity: resulting)
            }
        } else {
            guard state.lines.count < maxLines else { throw .tooManyLines }
        }
    }
}
