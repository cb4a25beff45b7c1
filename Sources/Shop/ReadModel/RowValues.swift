import EventSourcing
import Foundation
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

extension ProjectionBatch {
    /// The typed shop event, upcast to its current shape.
    func shopEvent(_ recorded: RecordedEvent) throws -> ShopEvent {
        try decode(recorded) { try ShopEvent.decode($0) }
    }
}
