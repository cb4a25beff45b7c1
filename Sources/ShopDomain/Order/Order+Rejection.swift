public import EventSourcing

extension Order {
    /// Why `decide` refused a command; each case names the rule it enforces.
    /// `description` is written for a person, fit for a problem's `detail`.
    /// `kind`: `notFound` and `lineNotFound` name something that does not
    /// exist; every other case is a conflict with the order as it stands.
    public enum Rejection: DomainRejection, Equatable, Sendable {
        /// The command needs a placed order and there is none.
        case notFound
        /// `place` on an order that already exists.
        case alreadyPlaced
        /// `place` without lines.
        case noLines
        /// More than `Order.maxLines` lines, placed or added.
        case tooManyLines
        /// The same sku twice in one `place`.
        case duplicateSku(Sku)
        /// A line's quantity, as given or after adding to the existing line,
        /// is outside `OrderLine.allowedQuantities`.
        case quantityOutOfRange(sku: Sku, quantity: Int)
        /// Adding a sku that is on the order at another price.
        case priceDiffersForSku(Sku, onOrder: Money, requested: Money)
        /// Removing a sku that is not on the order.
        case lineNotFound(Sku)
        /// An order keeps at least one line.
        case lastLineCannotBeRemoved
        /// Lines change only while the order is pending.
        case itemsCannotChange(status: Order.Status)
        /// The address changes only before the order ships or is cancelled.
        case shippingAddressCannotChange(status: Order.Status)
        /// A status transition the life cycle does not have.
        case notAllowed(from: Order.Status, to: Order.Status)

        public var kind: RejectionKind {
            switch self {
            case .notFound, .lineNotFound: .notFound
            default: .conflict
            }
        }

        public var description: String {
            switch self {
            case .notFound:
                "No such order."
            case .alreadyPlaced:
                "The order has already been placed."
            case .noLines:
                "An order needs at least one line."
            case .tooManyLines:
                "An order has at most \(Order.maxLines) lines."
            case .duplicateSku(let sku):
                "The sku \(sku) appears on more than one line."
            case let .quantityOutOfRange(sku, quantity):
                "The quantity of \(sku) would be \(quantity); a line holds between "
                    + "\(OrderLine.allowedQuantities.lowerBound) and \(OrderLine.allowedQuantities.upperBound)."
            case let .priceDiffersForSku(sku, onOrder, requested):
                "The sku \(sku) is on the order at \(onOrder), not \(requested); remove it first to change its price."
            case .lineNotFound(let sku):
                "The sku \(sku) is not on the order."
            case .lastLineCannotBeRemoved:
                "The last line of an order cannot be removed; cancel the order instead."
            case .itemsCannotChange(let status):
                "The order is \(status); its items change only while it is pending."
            case .shippingAddressCannotChange(let status):
                "The order is \(status); its shipping address changes only while it is pending or confirmed."
            case let .notAllowed(from, to):
                "An order that is \(from) cannot become \(to)."
            }
        }
    }
}
