import EventSourcing
import Foundation
import LibPQ
import ReadModel
import ShopDomain
import Wire

/// Money as it goes into a row's JSON: integer minor units.
extension JSONValue {
    static func money(_ amount: Money) -> JSONValue { .number(JSONNumber(amount.minorUnits)) }
}

/// What a projection keeps of an order's lines to take a removed one off a
/// total: sku → quantity × unit price, in minor units.
func lineTotals(_ lines: [OrderLine]) -> JSONValue {
    var totals: [String: Money] = [:]
    for line in lines { totals[line.sku.value, default: .zero] = totals[line.sku.value, default: .zero] + line.lineTotal }
    return .object(totals.mapValues(JSONValue.money))
}

extension Array where Element == OrderLine {
    var itemCount: Int { reduce(0) { $0 + $1.quantity } }
    var totalAmount: Money { reduce(.zero) { $0 + $1.lineTotal } }
}

/// The order events as changes to a projection's own ledger of order
/// amounts (`order_id` → `line_totals`, `total`): customers and daily sales
/// both keep one, because a later event names only its order.
extension ProjectionHandler {
    /// `{order_id, customer_id, line_totals, total, at}`.
    static func orderPlaced(write statement: @escaping @Sendable (_ rows: String) -> SQL) -> ProjectionHandler {
        ProjectionHandler("order.placed", codec: Order.codec, row: { event, recorded in
            guard case let .placed(customer, lines, _, at) = event else { return nil }
            return ["order_id": .id(recorded.stream.id), "customer_id": .id(customer.uuid),
                    "line_totals": lineTotals(lines), "total": .money(lines.totalAmount), "at": .time(at)]
        }, write: statement)
    }

    /// `{order_id, sku, amount}`.
    static func orderItemAdded(write statement: @escaping @Sendable (_ rows: String) -> SQL) -> ProjectionHandler {
        ProjectionHandler("order.item_added", codec: Order.codec, row: { event, recorded in
            guard case let .itemAdded(line, _) = event else { return nil }
            return ["order_id": .id(recorded.stream.id), "sku": .string(line.sku.value), "amount": .money(line.lineTotal)]
        }, write: statement)
    }

    /// `{order_id, sku}`: the amount comes from the ledger's `line_totals`.
    static func orderItemRemoved(write statement: @escaping @Sendable (_ rows: String) -> SQL) -> ProjectionHandler {
        ProjectionHandler("order.item_removed", codec: Order.codec, row: { event, recorded in
            guard case let .itemRemoved(sku, _) = event else { return nil }
            return ["order_id": .id(recorded.stream.id), "sku": .string(sku.value)]
        }, write: statement)
    }
}
